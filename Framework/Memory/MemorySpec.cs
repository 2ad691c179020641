using Condensa.Config;
using Condensa.Models;
using Condensa.Runtime;

namespace Condensa.Memory;

/// <summary>
/// Which memory to build: the builder with its options, the data it builds from (named by <see cref="SourceKey"/>), the
/// budget and classes, the architecture of any model it trains, its seed, and its slot, the folder under
/// <c>memories/</c> (and <c>checkpoints/</c>) of the run where it is kept; a memory without a slot is built each time
/// and kept nowhere (e.g. a pruning of transient data).
/// </summary>
public sealed record MemorySpec
{
    public required MethodSpec Builder { get; init; }

    /// <summary>
    /// What the source data is, for the memory's identity: the dataset's resolved settings and seed and any subset
    /// taken (e.g. a continual step's classes). Two specs with equal source keys must be built from equal data.
    /// </summary>
    public required string SourceKey { get; init; }

    public required Budget Budget { get; init; }

    /// <summary>The classes to build for; null: every class of the source.</summary>
    public int[]? Classes { get; init; }

    public required ArchitectureSpec Architecture { get; init; }

    public required long Seed { get; init; }

    /// <summary>The memory's folder under <c>memories/</c>, e.g. <c>herding/ipc-10/seed0</c>; null: not kept.</summary>
    public string? Slot { get; init; }

    /// <summary>
    /// The slot of a shorter run of the same synthesis (options equal but for <c>iterations</c>) whose checkpoint this
    /// build continues when its own slot holds none, e.g. a sweep's 100-iteration memory for its 300-iteration one; null:
    /// none. It leaves the memory unchanged (a resumed synthesis gives an uninterrupted one's images), so it is not part
    /// of the identity.
    /// </summary>
    public string? ContinuesFrom { get; init; }

    /// <summary>
    /// A hash of everything the memory depends on: builder, options, source, budget, classes, architecture, seed and
    /// the execution settings. A kept memory is reused only under the same identity.
    /// </summary>
    public string Identity(ExecutionSettings settings) => Identity(settings.Key);

    /// <summary>The identity under execution settings given as their <see cref="ExecutionSettings.Key"/>.</summary>
    public string Identity(string settingsKey) => Fingerprint.Of(string.Join('|',
        Builder.Name, MemoryStore.OptionsJson(Builder.Options).ToJsonString(), SourceKey, Budget.ToString(), $"balanced {Budget.Balanced}",
        Classes is null ? "all classes" : string.Join(',', Classes), Architecture.ToString(), Seed.ToString(System.Globalization.CultureInfo.InvariantCulture), settingsKey));
}
