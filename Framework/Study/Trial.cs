using System.Text.Json;

namespace Condensa.Study;

/// <summary>
/// A running trial (one work unit) as its objective receives it: the parameters its plan fixed, and
/// <see cref="SetUserAttr"/> for what the objective records besides its value. Every write is guarded by the claim
/// (worker and attempt): if the store has re-queued the trial in the meantime, the write throws and the worker drops
/// the trial.
/// </summary>
public sealed class Trial
{
    private readonly Dictionary<string, JsonElement> _userAttrs = new();

    internal Trial(SearchStudy study, ClaimedTrial claimed, string worker)
    {
        Study = study;
        Id = claimed.Id;
        Number = claimed.Number;
        Attempt = claimed.Attempts;
        Worker = worker;
        Params = StudyJson.DeserializeMap(claimed.ParamsJson, $"parameters of trial {claimed.Number}");
    }

    public SearchStudy Study { get; }
    public long Id { get; }
    public int Number { get; }

    /// <summary>1 for the first run of this trial, 2 when it was re-queued once, ...</summary>
    public int Attempt { get; }

    public string Worker { get; }

    internal TrialLease Lease => new(Id, Worker, Attempt);

    public IReadOnlyDictionary<string, JsonElement> Params { get; }
    public IReadOnlyDictionary<string, JsonElement> UserAttrs => _userAttrs;

    /// <summary>Stores a user attribute (any JSON-serializable value), visible to readers at once.</summary>
    public void SetUserAttr<T>(string key, T value)
    {
        _userAttrs[key] = StudyJson.ToElement(value);
        if (!Study.Storage.SetTrialUserAttrs(Lease, StudyJson.SerializeMap(_userAttrs))) throw new TrialLostException(Number, Worker);
    }
}
