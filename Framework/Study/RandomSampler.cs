using System.Text.Json;
using System.Text.Json.Serialization;

namespace Condensa.Study;

/// <summary>
/// <see cref="Trials"/> independent uniform draws of the search space (Optuna's <c>RandomSampler</c>), seeded.
/// Departure: when the space is a finite grid, a repeated point is drawn again, so the trials are distinct (a NAS
/// random search over a fixed list of architectures samples without replacement); asking for more trials than the
/// grid has points is an error. A parameter outside the space is drawn from its suggested distribution with a
/// stream derived from (seed, trial number, name), so it does not depend on which worker runs the trial.
/// </summary>
internal sealed record RandomSampler : Sampler
{
    public RandomSampler(SearchSpace space, int trials, long seed)
    {
        if (trials < 1) throw new CondensaException($"The random sampler needs at least one trial (got {trials}).");
        if (space.Axes.Count > 0 && space.GridSize() is { } size && trials > size)
            throw new CondensaException($"The random sampler asks for {trials} distinct trials but the search space has only {size} points.");
        (Space, Trials, Seed) = (space, trials, seed);
    }

    public SearchSpace Space { get; }
    public int Trials { get; }
    public long Seed { get; }

    internal override IReadOnlyList<Dictionary<string, JsonElement>> EnqueuedPoints()
    {
        var random = new Random(unchecked((int)Seeds.Derive(Seed, "random-sampler")));
        var points = new List<Dictionary<string, JsonElement>>(Trials);
        var seen = new HashSet<string>();
        bool distinct = Space.Axes.Count > 0 && Space.GridSize() is not null;
        while (points.Count < Trials)
        {
            var point = Space.Sample(random);
            if (!distinct || seen.Add(StudyJson.SerializeMap(point))) points.Add(point);
        }
        return points;
    }

    internal override JsonElement SampleMissing(int trialNumber, string name, ParamDistribution distribution) =>
        distribution.Sample(new Random(unchecked((int)Seeds.Derive(Seed, $"trial/{trialNumber}/{name}"))));
}
