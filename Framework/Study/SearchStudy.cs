using System.Text.Json;

namespace Condensa.Study;

/// <summary>
/// A study: a name, a direction and the work units a scenario planned, one trial each (trial number = position in the
/// plan), with user attributes, kept in a <see cref="StudyStorage"/> that any number of worker processes share.
/// Workers run its units with <see cref="StudyRunner.RunWorker"/>. (The store's vocabulary is Optuna's, whose
/// distributed study it follows; named SearchStudy because <c>Condensa.Study</c> is its namespace.)
/// </summary>
public sealed class SearchStudy
{
    private Dictionary<string, JsonElement> _userAttrs;

    private SearchStudy(StudyStorage storage, StoredStudy stored)
    {
        Storage = storage;
        Id = stored.Id;
        Name = stored.Name;
        Direction = StudyText.ParseDirection(stored.Direction);
        _userAttrs = StudyJson.DeserializeMap(stored.UserAttrsJson, $"user attributes of study '{stored.Name}'");
    }

    public StudyStorage Storage { get; }
    internal long Id { get; }
    public string Name { get; }
    public StudyDirection Direction { get; }

    /// <summary>The study's user attributes as of opening it (or of this process's last <see cref="SetUserAttr"/>).</summary>
    public IReadOnlyDictionary<string, JsonElement> UserAttrs => _userAttrs;

    /// <summary>
    /// Creates the study of <paramref name="units"/>, or opens it when it exists with the same direction and units
    /// (Optuna's <c>create_study(load_if_exists=True)</c>); a study of that name with other units is an error. On
    /// creation the units are enqueued as Waiting trials and <paramref name="userAttrs"/> stored, in the same
    /// transaction as the study row, so concurrent creators enqueue the plan exactly once and a worker never sees a
    /// half-created study. A unit whose key a Complete unit of the store already has starts Complete with that result
    /// (a re-run computes only what is new); a unit with a prerequisite is claimed only once that one is Complete.
    /// An existing study keeps its user attributes.
    /// </summary>
    public static SearchStudy Create(StudyStorage storage, string name, StudyDirection direction, IReadOnlyList<WorkUnit> units,
        IReadOnlyDictionary<string, JsonElement>? userAttrs = null)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new CondensaException("A study needs a non-empty name.");
        var enqueued = Enqueued(units);
        var stored = storage.CreateOrLoadStudy(name, StudyText.Of(direction),
            StudyJson.SerializeMap(userAttrs ?? new Dictionary<string, JsonElement>()), enqueued);
        var study = new SearchStudy(storage, stored);

        var mismatches = new List<string>();
        if (stored.Direction != StudyText.Of(direction)) mismatches.Add($"direction {stored.Direction} (asked: {StudyText.Of(direction)})");
        else if (OtherUnits(study.GetTrials(), enqueued) is { } difference) mismatches.Add(difference);
        if (mismatches.Count > 0)
            throw new CondensaException(
                $"Study '{name}' already exists in {storage.Url} with a different configuration: {string.Join("; ", mismatches)}.",
                "Use another study name, or the configuration the study was created with.");
        return study;
    }

    /// <summary>The trials of a plan, after checking that keys are unique and every unit waits only for an earlier one.</summary>
    private static List<EnqueuedTrial> Enqueued(IReadOnlyList<WorkUnit> units)
    {
        var keys = new HashSet<string>();
        for (int i = 0; i < units.Count; i++)
        {
            if (!keys.Add(units[i].Key)) throw new ArgumentException($"work unit {i} repeats the key {units[i].Key}", nameof(units));
            if (units[i].After is int after && (after < 0 || after >= i))
                throw new ArgumentException($"work unit {i} waits for unit {after}; a unit can only wait for an earlier one", nameof(units));
        }
        return units.Select(u => new EnqueuedTrial(StudyJson.SerializeMap(u.Params), u.Key, u.After)).ToList();
    }

    /// <summary>How the stored trials differ from the plan <paramref name="enqueued"/> (the first difference), or null.</summary>
    private static string? OtherUnits(IReadOnlyList<FrozenTrial> trials, IReadOnlyList<EnqueuedTrial> enqueued)
    {
        if (trials.Count != enqueued.Count) return $"{trials.Count} units (asked: {enqueued.Count})";
        for (int i = 0; i < trials.Count; i++)
        {
            var (parameters, key, after) = enqueued[i];
            if (trials[i].UnitKey != key) return $"unit {i} has the key {trials[i].UnitKey ?? "none"} (asked: {key})";
            if (trials[i].After != after) return $"unit {i} waits for {trials[i].After?.ToString() ?? "none"} (asked: {after?.ToString() ?? "none"})";
            if (StudyJson.SerializeMap(trials[i].Params) != parameters) return $"unit {i} has the parameters {StudyJson.SerializeMap(trials[i].Params)} (asked: {parameters})";
        }
        return null;
    }

    /// <summary>Opens an existing study (what a worker that joins by name does).</summary>
    public static SearchStudy Load(StudyStorage storage, string name)
    {
        var stored = storage.LoadStudy(name);
        if (stored is null)
        {
            var names = storage.StudyNames();
            throw new CondensaException(
                $"No study named '{name}' in {storage.Url} (studies there: {(names.Count == 0 ? "none" : string.Join(", ", names))}).");
        }
        return new SearchStudy(storage, stored);
    }

    /// <summary>The trials, by number (a plain read: it never blocks a worker).</summary>
    public IReadOnlyList<FrozenTrial> GetTrials(TrialState? state = null) => Storage.GetTrials(Id, state);

    /// <summary>The Complete trial with the best value (the lowest number among ties), or null.</summary>
    public FrozenTrial? BestTrial()
    {
        FrozenTrial? best = null;
        foreach (var t in GetTrials(TrialState.Complete))
            if (t.Value is { } v && (best is null || (Direction == StudyDirection.Maximize ? v > best.Value : v < best.Value)))
                best = t;
        return best;
    }

    /// <summary>Trial counts by state; <see cref="StudySummary.Stale"/> counts Running trials whose heartbeat is older than <paramref name="grace"/>.</summary>
    public StudySummary Summary(TimeSpan grace)
    {
        var trials = GetTrials();
        int Count(TrialState s) => trials.Count(t => t.State == s);
        return new StudySummary(Count(TrialState.Waiting), Count(TrialState.Running), trials.Count(t => t.IsStale(grace)),
            Count(TrialState.Complete), Count(TrialState.Failed));
    }

    /// <summary>Puts every Failed trial back to Waiting with its parameters (attempts reset), e.g. after fixing what
    /// made them fail; returns how many.</summary>
    public int RequeueFailed() => Storage.RequeueFailed(Id);

    /// <summary>Sets a study user attribute (read-modify-write in one transaction, so concurrent writers of different keys both land).</summary>
    public void SetUserAttr<T>(string key, T value)
    {
        var element = StudyJson.ToElement(value);
        string json = Storage.UpdateStudyUserAttrs(Id, current =>
        {
            var map = StudyJson.DeserializeMap(current, $"user attributes of study '{Name}'");
            map[key] = element;
            return StudyJson.SerializeMap(map);
        });
        _userAttrs = StudyJson.DeserializeMap(json, $"user attributes of study '{Name}'");
    }
}

/// <summary>Trial counts of a study; <see cref="Stale"/> is a subset of <see cref="Running"/>.</summary>
public sealed record StudySummary(int Waiting, int Running, int Stale, int Complete, int Failed)
{
    public int Total => Waiting + Running + Complete + Failed;
}
