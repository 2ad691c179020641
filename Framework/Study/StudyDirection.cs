namespace Condensa.Study;

/// <summary>Whether a study looks for the largest or the smallest objective value (Optuna's <c>StudyDirection</c>).</summary>
public enum StudyDirection { Maximize, Minimize }

/// <summary>
/// The life of a trial, as Optuna's <c>TrialState</c>: <see cref="Waiting"/> (enqueued, not yet claimed),
/// <see cref="Running"/> (claimed by one worker, which keeps its heartbeat fresh), then one of the final states.
/// A Running trial whose heartbeat is older than the grace period is <em>stale</em>: its worker is presumed dead and
/// the next worker that looks for work puts it back to Waiting (<see cref="FrozenTrial.IsStale"/>).
/// </summary>
public enum TrialState { Waiting, Running, Complete, Failed }

internal static class StudyText
{
    public static string Of(StudyDirection direction) => direction == StudyDirection.Maximize ? "maximize" : "minimize";

    public static string Of(TrialState state) => state.ToString().ToLowerInvariant();

    public static StudyDirection ParseDirection(string text) => text switch
    {
        "maximize" => StudyDirection.Maximize,
        "minimize" => StudyDirection.Minimize,
        _ => throw new CondensaException($"Unknown study direction '{text}' in the study store (allowed: maximize, minimize)."),
    };

    public static TrialState ParseState(string text) =>
        Enum.TryParse<TrialState>(text, ignoreCase: true, out var state) && Of(state) == text
            ? state
            : throw new CondensaException($"Unknown trial state '{text}' in the study store (allowed: waiting, running, complete, failed).");
}
