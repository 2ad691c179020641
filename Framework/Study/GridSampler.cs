using System.Text.Json;
using System.Text.Json.Serialization;

namespace Condensa.Study;

/// <summary>
/// Every point of a finite search space once (Optuna's <c>GridSampler</c>): in odometer order, or shuffled with
/// <see cref="Seed"/> so that a study stopped early has a uniform sample of the grid (Optuna always shuffles).
/// </summary>
internal sealed record GridSampler : Sampler
{
    public GridSampler(SearchSpace space, long? seed = null)
    {
        Space = space;
        Seed = seed;
        space.Grid(); // fails now, with the offending axis, if the space has no finite grid
    }

    public SearchSpace Space { get; }
    public long? Seed { get; }

    internal override IReadOnlyList<Dictionary<string, JsonElement>> EnqueuedPoints()
    {
        var points = Space.Grid();
        if (Seed is { } seed) new Random(unchecked((int)Seeds.Derive(seed, "grid"))).Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(points));
        return points;
    }

    internal override JsonElement SampleMissing(int trialNumber, string name, ParamDistribution distribution) =>
        throw new CondensaException(
            $"Trial {trialNumber} suggests parameter '{name}' ({distribution}), which is not in the grid's search space " +
            $"({string.Join(", ", Space.Axes.Select(a => a.Key))}).");
}
