using System.Text.Json;
using Condensa.Hosting;
using Condensa.Memory;
using Condensa.Study;
using Condensa.Runtime;

namespace Condensa.Work;

/// <summary>What a scenario plans its studies with: the store, the run, and (for work the coordinator does itself, such as NAS proxy sets) a memory pipeline.</summary>
public sealed class PlanContext
{
    public required StudyStorage Storage { get; init; }
    public required RunInfo Run { get; init; }
    public required RunContext Context { get; init; }
    public required RunFiles Files { get; init; }
    public required ExecutionSettings Settings { get; init; }

    /// <summary>
    /// Creates the study of <paramref name="units"/> (or opens it when it exists), carrying the run's attributes plus
    /// <paramref name="extra"/>. A study whose units use no run files (<paramref name="usesRunFolder"/> false) can be
    /// worked on any machine, whatever the run's file sharing.
    /// </summary>
    public SearchStudy Create(string name, IReadOnlyList<WorkUnit> units, IReadOnlyDictionary<string, JsonElement>? extra = null, bool usesRunFolder = true)
    {
        var attrs = (usesRunFolder ? Run : Run with { RunFolder = "" }).Attrs();
        foreach (var (key, value) in extra ?? new Dictionary<string, JsonElement>()) attrs[key] = value;
        return SearchStudy.Create(Storage, name, StudyDirection.Maximize, units, userAttrs: attrs);
    }

    public MemoryPipeline Pipeline() => new(Context.Builders, Files, Settings, Context.Log, Context.Progress);
}
