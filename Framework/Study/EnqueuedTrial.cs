
namespace Condensa.Study;

/// <summary>A trial enqueued with a new study: its parameters JSON, its unit key and the number of the trial it waits for.</summary>
internal sealed record EnqueuedTrial(string ParamsJson, string? UnitKey = null, int? After = null);
