using Condensa.Study;

namespace Condensa.Work;

/// <summary>
/// The state of every study in a store, as <c>condensa status</c> prints it and <c>condensa serve</c> shows it: per study
/// the units waiting (ready, or blocked by a prerequisite), running, stale (a silent worker), complete and failed, and
/// the best result of a search; then every running and every failed unit.
/// </summary>
internal sealed record StoreStatus(string Url, IReadOnlyList<StoreStatus.Study> Studies, IReadOnlyList<StoreStatus.RunningUnit> Running, IReadOnlyList<StoreStatus.FailedUnit> Failed)
{
    public sealed record Study(string Name, string Scenario, int Units, int Ready, int Blocked, int Running, int Stale, int Complete, int Failed, string Best);

    /// <param name="HeartbeatAt">When the worker last reported (null before its first heartbeat).</param>
    public sealed record RunningUnit(string Study, string Unit, string Worker, int Attempt, double HeartbeatSeconds, bool Stale, DateTimeOffset? HeartbeatAt = null);

    public sealed record FailedUnit(string Study, string Unit, int Attempts, string Error);

    /// <summary>Reads the store now (the URL shown with its password masked): every study, or only those of the run with id <paramref name="runId"/>.</summary>
    public static StoreStatus Read(StudyStorage store, string? runId = null)
    {
        var studies = new List<Study>();
        var running = new List<RunningUnit>();
        var failed = new List<FailedUnit>();
        foreach (var name in store.StudyNames())
        {
            var study = SearchStudy.Load(store, name);
            var run = RunInfo.Of(study);
            if (runId is not null && run?.RunId != runId) continue;
            var grace = TimeSpan.FromSeconds(3 * (run?.HeartbeatSeconds ?? 10));
            var units = study.GetTrials();
            var complete = units.Where(u => u.State == TrialState.Complete).Select(u => u.Number).ToHashSet();
            var waiting = units.Where(u => u.State == TrialState.Waiting).ToList();
            int blocked = waiting.Count(u => u.After is int after && !complete.Contains(after));
            var objective = StudyObjective.Of(study);
            var best = objective is null && (run is null || run.Scenario == "nas") ? study.BestTrial() : null;
            studies.Add(new Study(name, run?.Scenario ?? "-", units.Count, waiting.Count - blocked, blocked, units.Count(u => u.State == TrialState.Running),
                units.Count(u => u.IsStale(grace)), complete.Count, units.Count(u => u.State == TrialState.Failed),
                objective?.Best(units) ?? (best is null ? "" : $"{best.Value:0.0000} {Coordinator.Label(best)}")));
            running.AddRange(units.Where(u => u.State == TrialState.Running).Select(u =>
                new RunningUnit(name, Coordinator.Label(u), u.Worker ?? "", u.Attempts, u.HeartbeatAge?.TotalSeconds ?? 0, u.IsStale(grace), u.HeartbeatAt)));
            failed.AddRange(units.Where(u => u.State == TrialState.Failed).Select(u => new FailedUnit(name, Coordinator.Label(u), u.Attempts, UnitWorker.FirstLine(u.Error))));
        }
        return new StoreStatus(store.Url, studies, running, failed);
    }
}
