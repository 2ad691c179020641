using System.Text.Json;

namespace Condensa.Study;

/// <summary>
/// An optimization study (Optuna's <c>Study</c>; named SearchStudy because <c>Condensa.Study</c> is its namespace):
/// a name, a direction, a sampler, a pruner and user attributes, kept in a <see cref="StudyStorage"/> that any
/// number of worker processes share. Workers run trials with <see cref="StudyRunner.RunWorker"/>.
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
        Sampler = StudyJson.Deserialize<Sampler>(stored.SamplerJson, $"sampler of study '{stored.Name}'");
        Pruner = StudyJson.Deserialize<IPruner>(stored.PrunerJson, $"pruner of study '{stored.Name}'");
        _userAttrs = StudyJson.DeserializeMap(stored.UserAttrsJson, $"user attributes of study '{stored.Name}'");
    }

    public StudyStorage Storage { get; }
    internal long Id { get; }
    public string Name { get; }
    public StudyDirection Direction { get; }
    public Sampler Sampler { get; }
    public IPruner Pruner { get; }

    /// <summary>The study's user attributes as of opening it (or of this process's last <see cref="SetUserAttr"/>).</summary>
    public IReadOnlyDictionary<string, JsonElement> UserAttrs => _userAttrs;

    /// <summary>
    /// Creates the study, or opens it when it exists with the same direction, sampler and pruner (Optuna's
    /// <c>create_study(load_if_exists=True)</c>); a study of that name with another configuration is an error. On
    /// creation the sampler's points are enqueued as Waiting trials and <paramref name="userAttrs"/> stored, in the
    /// same transaction as the study row, so concurrent creators enumerate the grid exactly once and a worker never
    /// sees a half-created study. An existing study keeps its user attributes.
    /// </summary>
    public static SearchStudy Create(StudyStorage storage, string name, StudyDirection direction, Sampler sampler,
        IPruner? pruner = null, IReadOnlyDictionary<string, JsonElement>? userAttrs = null)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new CondensaException("A study needs a non-empty name.");
        pruner ??= new NopPruner();
        string samplerJson = StudyJson.Serialize(sampler);
        string prunerJson;
        try
        {
            prunerJson = StudyJson.Serialize(pruner);
        }
        catch (NotSupportedException e)
        {
            throw new CondensaException($"Pruner {pruner.GetType().Name} cannot be stored with a study (allowed: nop, median, successiveHalving).", inner: e);
        }
        var stored = storage.CreateOrLoadStudy(name, StudyText.Of(direction), samplerJson, prunerJson,
            StudyJson.SerializeMap(userAttrs ?? new Dictionary<string, JsonElement>()), sampler.Enqueued());

        var mismatches = new List<string>();
        if (stored.Direction != StudyText.Of(direction)) mismatches.Add($"direction {stored.Direction} (asked: {StudyText.Of(direction)})");
        if (!SameJson(stored.SamplerJson, samplerJson)) mismatches.Add($"sampler {stored.SamplerJson} (asked: {samplerJson})");
        if (!SameJson(stored.PrunerJson, prunerJson)) mismatches.Add($"pruner {stored.PrunerJson} (asked: {prunerJson})");
        if (mismatches.Count > 0)
            throw new CondensaException(
                $"Study '{name}' already exists in {storage.Url} with a different configuration: {string.Join("; ", mismatches)}.",
                "Use another study name, or the configuration the study was created with.");
        return new SearchStudy(storage, stored);
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

    /// <summary>The trials, by number, with their intermediate values (a plain read: it never blocks a worker).</summary>
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
            Count(TrialState.Complete), Count(TrialState.Pruned), Count(TrialState.Failed));
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

    private static bool SameJson(string a, string b)
    {
        using var x = JsonDocument.Parse(a);
        using var y = JsonDocument.Parse(b);
        return JsonElement.DeepEquals(x.RootElement, y.RootElement);
    }
}

/// <summary>Trial counts of a study; <see cref="Stale"/> is a subset of <see cref="Running"/>.</summary>
public sealed record StudySummary(int Waiting, int Running, int Stale, int Complete, int Pruned, int Failed)
{
    public int Total => Waiting + Running + Complete + Pruned + Failed;
}
