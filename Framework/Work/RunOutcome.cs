using Condensa.Study;

namespace Condensa.Work;

/// <summary>
/// How a unit run ended, as its results.json, its exit code and the dashboard report it: <c>completed</c> (every unit
/// complete), <c>partial</c> (some failed; the report holds the others), <c>failed</c> (every unit failed) or
/// <c>cancelled</c>. A run never reads as completed while any unit failed.
/// </summary>
public sealed record RunOutcome(string Status, int Units, int Failed, IReadOnlyList<string> Failures)
{
    public const string Completed = "completed", Partial = "partial", FailedStatus = "failed", Cancelled = "cancelled";

    /// <summary>The outcome of <paramref name="studies"/> as stored now (<paramref name="cancelled"/>: the run was stopped).</summary>
    public static RunOutcome Of(IReadOnlyList<SearchStudy> studies, bool cancelled)
    {
        var all = studies.SelectMany(s => s.GetTrials()).ToList();
        int failed = all.Count(t => t.State == TrialState.Failed);
        string status = cancelled ? Cancelled : failed == 0 ? Completed : failed == all.Count ? FailedStatus : Partial;
        // each failure that is a cause, not a unit that only waited for a failed one: "label: first line of its error"
        var failures = all.Where(t => t.State == TrialState.Failed && !(t.Error ?? "").StartsWith(StudyStorage.PrerequisiteFailed, StringComparison.Ordinal))
            .Select(t => $"{Coordinator.Label(t)}: {Secrets.Mask(UnitWorker.FirstLine(t.Error))}").ToList();
        return new RunOutcome(status, all.Count, failed, failures);
    }

    /// <summary>The first failure that is a cause, or null.</summary>
    public string? FirstError => Failures.Count > 0 ? Failures[0] : null;

    /// <summary>The status line and the failures of a results.md, below its table (nothing for a run without failures).</summary>
    public string Markdown(int limit = 20) => Failed == 0 ? "" :
        $"\nStatus: {Status}, {Failed} of {Units} units failed. Failed units:\n\n" +
        string.Concat(Failures.Take(limit).Select(f => $"- {f}\n")) + (Failures.Count > limit ? $"- and {Failures.Count - limit} more (condensa status)\n" : "");

    /// <summary>
    /// The error that stopped <paramref name="unit"/>: its own, or, for a unit that failed because the unit it waited
    /// for failed, that unit's (followed back to the first cause).
    /// </summary>
    public static string? RootError(FrozenTrial unit, IReadOnlyList<FrozenTrial> studyUnits)
    {
        var seen = new HashSet<int>();
        while (unit.Error?.StartsWith(StudyStorage.PrerequisiteFailed, StringComparison.Ordinal) == true && unit.After is int after && seen.Add(after)
               && studyUnits.FirstOrDefault(u => u.Number == after) is { State: TrialState.Failed } cause)
            unit = cause;
        return unit.Error;
    }

    /// <summary>What a results.json says of failed units ("2 of 9 units failed; first: ..."), or null when none failed.</summary>
    public string? Error => Failed == 0 ? null : $"{Failed} of {Units} units failed; first: {FirstError}";
}

/// <summary>
/// A unit run in which some or all units failed: the report holds what completed. Exit code 3 (partial) or 1 (failed).
/// </summary>
public sealed class UnitsFailedException(RunOutcome outcome, string storageUrl) : CondensaException(
    $"{outcome.Failed} of {outcome.Units} units failed{(outcome.Status == RunOutcome.Partial ? "; the report holds the others" : "")}. First: {outcome.FirstError}",
    $"condensa status --storage {Secrets.MaskUrl(storageUrl)} lists every failed unit with its error; fix the cause and run the same command again to retry them")
{
    public RunOutcome Outcome => outcome;
}
