using System.Text.Json;

namespace Condensa.Study;

/// <summary>
/// The running trial an objective receives (Optuna's <c>Trial</c>): its parameters come from <c>Suggest*</c> calls,
/// which return the value the study's sampler fixed for this trial (the grid point), or draw one (define-by-run)
/// and store it. <see cref="Report"/> stores intermediate values; <see cref="ShouldPrune"/> asks the study's pruner.
/// Every write is guarded by the claim (worker and attempt): if the store has re-queued the trial in the meantime,
/// the write throws and the worker drops the trial.
/// </summary>
public sealed class Trial
{
    private readonly Dictionary<string, JsonElement> _params;
    private readonly SortedDictionary<int, double> _intermediateValues = new();
    private readonly Dictionary<string, JsonElement> _userAttrs = new();
    private readonly Dictionary<string, JsonElement> _systemAttrs = new();

    internal Trial(SearchStudy study, ClaimedTrial claimed, string worker)
    {
        Study = study;
        Id = claimed.Id;
        Number = claimed.Number;
        Attempt = claimed.Attempts;
        Worker = worker;
        _params = StudyJson.DeserializeMap(claimed.ParamsJson, $"parameters of trial {claimed.Number}");
    }

    public SearchStudy Study { get; }
    public long Id { get; }
    public int Number { get; }

    /// <summary>1 for the first run of this trial, 2 when it was re-queued once, ...</summary>
    public int Attempt { get; }

    public string Worker { get; }

    internal TrialLease Lease => new(Id, Worker, Attempt);

    public IReadOnlyDictionary<string, JsonElement> Params => _params;
    public IReadOnlyDictionary<int, double> IntermediateValues => _intermediateValues;
    public int? LastStep => _intermediateValues.Count == 0 ? null : _intermediateValues.Keys.Max();
    public IReadOnlyDictionary<string, JsonElement> UserAttrs => _userAttrs;
    public IReadOnlyDictionary<string, JsonElement> SystemAttrs => _systemAttrs;

    public int SuggestInt(string name, int low, int high, int step = 1, bool log = false) =>
        Suggest(name, new IntDistribution(low, high, step, log)).GetInt32();

    public double SuggestFloat(string name, double low, double high, double? step = null, bool log = false) =>
        Suggest(name, new FloatDistribution(low, high, step, log)).GetDouble();

    /// <summary>One of <paramref name="choices"/> (strings, numbers or booleans), compared as JSON with the stored value.</summary>
    public T SuggestCategorical<T>(string name, IReadOnlyList<T> choices)
    {
        var distribution = CategoricalDistribution.Of(choices);
        return choices[distribution.IndexOf(Suggest(name, distribution))];
    }

    private JsonElement Suggest(string name, ParamDistribution distribution)
    {
        if (_params.TryGetValue(name, out var fixedValue))
        {
            if (!distribution.Contains(fixedValue))
                throw new CondensaException(
                    $"Study '{Study.Name}', trial {Number}: parameter '{name}' is {fixedValue.GetRawText()} in the study, " +
                    $"which the suggested {distribution} does not contain.");
            return fixedValue;
        }
        var value = Study.Sampler.SampleMissing(Number, name, distribution);
        _params[name] = value;
        Write(Study.Storage.SetTrialJson(Lease, TrialJsonColumn.Params, StudyJson.SerializeMap(_params)));
        return value;
    }

    /// <summary>
    /// Stores the objective's intermediate <paramref name="value"/> at <paramref name="step"/> (>= 0; an epoch, say).
    /// As Optuna, a second report for the same step is ignored. NaN is allowed (and prunes under every pruner).
    /// </summary>
    public void Report(int step, double value)
    {
        if (step < 0) throw new ArgumentOutOfRangeException(nameof(step), step, "A reported step must be >= 0.");
        if (!_intermediateValues.TryAdd(step, value)) return;
        Write(Study.Storage.ReportIntermediateValue(Lease, step, value));
    }

    /// <summary>Whether the study's pruner says to stop now, judged at the last reported step.</summary>
    public bool ShouldPrune() => Study.Pruner.Prune(this);

    /// <summary>Stores a user attribute (any JSON-serializable value), visible to readers at once.</summary>
    public void SetUserAttr<T>(string key, T value)
    {
        _userAttrs[key] = StudyJson.ToElement(value);
        Write(Study.Storage.SetTrialJson(Lease, TrialJsonColumn.UserAttrs, StudyJson.SerializeMap(_userAttrs)));
    }

    /// <summary>A pruner's bookkeeping (Optuna's system attributes), e.g. the successive-halving rung values.</summary>
    internal void SetSystemAttr(string key, double value)
    {
        _systemAttrs[key] = StudyJson.ToElement(value);
        Write(Study.Storage.SetTrialJson(Lease, TrialJsonColumn.SystemAttrs, StudyJson.SerializeMap(_systemAttrs)));
    }

    private void Write(bool stillOwned)
    {
        if (!stillOwned) throw new TrialLostException(Number, Worker);
    }
}
