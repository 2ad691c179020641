using System.Text.Json;
using System.Text.Json.Serialization;

namespace Condensa.Study;

/// <summary>
/// The work units a coordinator planned, one trial each, trial number = position. A unit whose key a Complete unit of
/// the store already has starts Complete with that result (a re-run computes only what is new); a unit with a
/// prerequisite is claimed only once that one is Complete. Units take no parameter they do not fix.
/// </summary>
internal sealed record UnitSampler : Sampler
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
