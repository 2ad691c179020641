using Condensa.Data;
using Condensa.Models;
using Microsoft.Extensions.Logging;
using TorchSharp;
using Condensa.Runtime;

namespace Condensa.Memory;

/// <summary>
/// Everything a builder may use: the source data (real training data, or an existing memory to shrink), the budget,
/// the classes to build for (a continual-learning step builds only its new classes), the architecture of any model
/// the method trains, the device, a seed from which the builder derives all its randomness, progress and log sinks,
/// a cache for artifacts shared by several builders in one run (e.g. recorded training dynamics), and an optional
/// checkpoint folder.
/// </summary>
public sealed class MemoryRequest
{
    /// <summary>The name the builder is registered under: it names the builder in logs and checkpoints and keys its random streams.</summary>
    public required string Method { get; init; }

    public required LabeledDataset Source { get; init; }
    public required Budget Budget { get; init; }
    public int[]? Classes { get; init; }
    public ArchitectureSpec Architecture { get; init; } = ArchitectureSpec.Default;
    public torch.Device Device { get; init; } = torch.CPU;
    public long Seed { get; init; }
    public IProgressSink Progress { get; init; } = NullProgress.Instance;
    public ILogger Log { get; init; } = Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
    public IArtifactCache Cache { get; init; } = new InMemoryArtifactCache();

    /// <summary>
    /// Where a long-running builder (the synthesizers) keeps its checkpoint, so an interrupted build resumes where it
    /// stopped; null (the default) keeps none.
    /// </summary>
    public string? CheckpointDirectory { get; init; }

    /// <summary>
    /// A folder where artifacts that several builds of a run share (a selection model's recorded training dynamics) are
    /// kept for every worker process of the machine; null keeps them in <see cref="Cache"/> only.
    /// </summary>
    public string? SharedDirectory { get; init; }

    /// <summary>The classes to build for: the requested ones, or every class present in the source.</summary>
    public int[] TargetClasses => Classes ?? Source.PresentClasses();
}
