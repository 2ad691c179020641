using System.Text.Json;

namespace Condensa.Study;

/// <summary>
/// A trial as read from the store (Optuna's <c>FrozenTrial</c>). <see cref="Value"/> is set for Complete trials.
/// <see cref="Attempts"/> counts the times a worker
/// started the trial (a worker that stopped on Ctrl+C gives its attempt back). <see cref="Error"/> holds a Failed
/// trial's error, or why a Waiting trial went back to the queue. <see cref="HeartbeatAge"/> is measured by the
/// store's own clock at read time, so readers on other machines need no synchronized clock. A work unit also has its
/// <see cref="UnitKey"/> and, when it waits for another trial of its study, that trial's number (<see cref="After"/>).
/// </summary>
public sealed record FrozenTrial(
    long Id,
    int Number,
    TrialState State,
    IReadOnlyDictionary<string, JsonElement> Params,
    double? Value,
    int Attempts,
    string? Worker,
    DateTimeOffset? StartedAt,
    DateTimeOffset? HeartbeatAt,
    DateTimeOffset? FinishedAt,
    TimeSpan? HeartbeatAge,
    string? Error,
    IReadOnlyDictionary<string, JsonElement> UserAttrs,
    string? UnitKey = null,
    int? After = null)
{
    /// <summary>Running, but its worker has not sent a heartbeat for longer than <paramref name="grace"/>.</summary>
    public bool IsStale(TimeSpan grace) => State == TrialState.Running && HeartbeatAge > grace;

    public TimeSpan? Duration => FinishedAt - StartedAt;
}

/// <summary>The store no longer lists the trial as running for this worker (its heartbeat came too late and
/// another worker re-queued it): the result is discarded.</summary>
internal sealed class TrialLostException(int number, string worker)
    : Exception($"Trial {number} was re-queued while worker {worker} ran it (its heartbeat was older than the grace period); its result is discarded.");
