using System.Text.Json;
using System.Text.Json.Serialization;

namespace Condensa.Study;

/// <summary>
/// Decides the parameters of the trials of a study. Unlike Optuna, where every worker's sampler picks a point when
/// it asks for a trial (so distributed grid workers "occasionally suggest the same parameter configuration", says
/// the <c>GridSampler</c> docstring), a sampler here fixes its points up front: the process that creates the study
/// inserts them all as Waiting trials in the same transaction that inserts the study, and workers only claim them.
/// So every point runs exactly once however many workers join. A parameter a trial suggests that its point does not
/// fix (define-by-run) comes from <see cref="SampleMissing"/>. The sampler is stored with the study as JSON, so a
/// worker that only knows the study's name rebuilds it.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(GridSampler), "grid")]
[JsonDerivedType(typeof(RandomSampler), "random")]
[JsonDerivedType(typeof(UnitSampler), "units")]
public abstract record Sampler
{
    /// <summary>The parameters of the trials enqueued when the study is created, trial number = position.</summary>
    internal abstract IReadOnlyList<Dictionary<string, JsonElement>> EnqueuedPoints();

    /// <summary>The trials enqueued when the study is created: parameters, and for work units their key and prerequisite.</summary>
    internal virtual IReadOnlyList<EnqueuedTrial> Enqueued() => EnqueuedPoints().Select(p => new EnqueuedTrial(StudyJson.SerializeMap(p))).ToList();

    /// <summary>The value of parameter <paramref name="name"/> for trial <paramref name="trialNumber"/>, which its point does not fix.</summary>
    internal abstract JsonElement SampleMissing(int trialNumber, string name, ParamDistribution distribution);
}

/// <summary>
/// Every point of a finite search space once (Optuna's <c>GridSampler</c>): in odometer order, or shuffled with
/// <see cref="Seed"/> so that a study stopped early has a uniform sample of the grid (Optuna always shuffles).
/// </summary>
public sealed record GridSampler : Sampler
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

/// <summary>
/// <see cref="Trials"/> independent uniform draws of the search space (Optuna's <c>RandomSampler</c>), seeded.
/// Departure: when the space is a finite grid, a repeated point is drawn again, so the trials are distinct (a NAS
/// random search over a fixed list of architectures samples without replacement); asking for more trials than the
/// grid has points is an error. A parameter outside the space is drawn from its suggested distribution with a
/// stream derived from (seed, trial number, name), so it does not depend on which worker runs the trial.
/// </summary>
public sealed record RandomSampler : Sampler
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

/// <summary>
/// One unit of a scenario's work (a memory build, an evaluation, a continual run, a NAS candidate): its
/// <see cref="Key"/>, a hash of everything its result depends on; its parameters (what a worker needs to run it, and a
/// <c>label</c> for people); and the position in the plan of the unit it waits for, if any (an evaluation waits for
/// its memory's build).
/// </summary>
public sealed record WorkUnit(string Key, IReadOnlyDictionary<string, JsonElement> Params, int? After = null);

/// <summary>
/// The work units a coordinator planned, one trial each, trial number = position. A unit whose key a Complete unit of
/// the store already has starts Complete with that result (a re-run computes only what is new); a unit with a
/// prerequisite is claimed only once that one is Complete. Units take no parameter they do not fix.
/// </summary>
public sealed record UnitSampler : Sampler
{
    public UnitSampler(IReadOnlyList<WorkUnit> units)
    {
        var keys = new HashSet<string>();
        for (int i = 0; i < units.Count; i++)
        {
            if (!keys.Add(units[i].Key)) throw new ArgumentException($"work unit {i} repeats the key {units[i].Key}", nameof(units));
            if (units[i].After is int after && (after < 0 || after >= i))
                throw new ArgumentException($"work unit {i} waits for unit {after}; a unit can only wait for an earlier one", nameof(units));
        }
        Units = units;
    }

    public IReadOnlyList<WorkUnit> Units { get; }

    internal override IReadOnlyList<Dictionary<string, JsonElement>> EnqueuedPoints() => Units.Select(u => new Dictionary<string, JsonElement>(u.Params)).ToList();

    internal override IReadOnlyList<EnqueuedTrial> Enqueued() => Units.Select(u => new EnqueuedTrial(StudyJson.SerializeMap(u.Params), u.Key, u.After)).ToList();

    internal override JsonElement SampleMissing(int trialNumber, string name, ParamDistribution distribution) =>
        throw new CondensaException($"Work unit {trialNumber} asks for parameter '{name}', which its plan does not give ({string.Join(", ", Units[trialNumber].Params.Keys)}).");
}
