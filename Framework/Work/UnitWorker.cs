using Condensa.Study;
using Microsoft.Extensions.Logging;
using TorchSharp;

namespace Condensa.Work;

/// <summary>What one worker did: units completed, failed, lost (re-queued while it ran them); whether it was stopped.</summary>
internal sealed record WorkerTally(int Complete, int Failed, int Lost, bool Interrupted);

/// <summary>
/// A worker: runs units of the studies it serves, one at a time, until it is told it is done. Each pass goes over the
/// studies in order and, in each, claims the lowest-numbered unit that is ready (its prerequisite complete), runs it with
/// the run's threads and heartbeat, and stores its outcome under <see cref="StudyRunner"/>'s rules (exactly-once
/// claims, heartbeats, stale units re-queued, a stopped worker puts its unit back). A pass that finds nothing ready
/// waits a moment before the next. The executor of a study is opened at its first unit and closed once the study has
/// nothing left to claim. Studies that were not planned by a run, and runs whose files this machine cannot reach, are
/// skipped with a warning.
/// </summary>
internal sealed class UnitWorker(StudyStorage storage, Func<SearchStudy, RunInfo, RunFiles, IUnitExecutor> open, ILogger log, string? workDir = null) : IDisposable
{
    /// <summary>How long a pass that found nothing ready waits before the next: doubling from the first to the last while nothing changes.</summary>
    private static readonly TimeSpan FirstPoll = TimeSpan.FromMilliseconds(250), LastPoll = TimeSpan.FromSeconds(2);

    private readonly Dictionary<string, (SearchStudy Study, RunInfo Run, RunFiles Files)> _studies = new();
    private readonly Dictionary<string, IUnitExecutor> _executors = new();
    private readonly HashSet<string> _skipped = new();

    public string Id { get; } = StudyRunner.DefaultWorkerId();

    public StudyStorage Storage => storage;

    /// <summary>
    /// Works until <paramref name="done"/> says so (asked after every pass that found nothing to claim, with the served
    /// studies that exist), <paramref name="stopClaiming"/> fires (no unit is claimed after it; the running unit
    /// finishes), <paramref name="maxUnits"/> units ran, or <paramref name="cancellationToken"/> fires (the running unit
    /// goes back to the queue). Studies come first in the order given, and within a study units by number.
    /// </summary>
    /// <param name="names">The studies to serve, in order; null: every study of the store.</param>
    public WorkerTally Work(IReadOnlyList<string>? names, Func<IReadOnlyList<SearchStudy>, bool> done, CancellationToken cancellationToken,
        CancellationToken stopClaiming = default, int? maxUnits = null, Action<TrialOutcome>? unitEnded = null)
    {
        int complete = 0, failed = 0, lost = 0, started = 0;
        var poll = FirstPoll;
        while (!cancellationToken.IsCancellationRequested && (maxUnits is null || started < maxUnits) && !stopClaiming.IsCancellationRequested)
        {
            bool ran = false;
            var served = Served(names);
            foreach (var (study, run, _) in served)
            {
                var report = StudyRunner.RunWorker(study, (unit, token) => RunUnit(study, run, unit, token), Id, maxTrials: 1,
                    new WorkerOptions
                    {
                        HeartbeatInterval = TimeSpan.FromSeconds(run.HeartbeatSeconds),
                        TrialEnded = outcome =>
                        {
                            if (outcome.Kind is TrialOutcomeKind.Failed)
                                log.LogWarning("{Study}: unit {Number} failed: {Error}", study.Name, outcome.Number, FirstLine(outcome.Error));
                            unitEnded?.Invoke(outcome);
                        },
                    }, cancellationToken);
                complete += report.Complete;
                failed += report.Failed;
                lost += report.Lost;
                ran = report.Complete + report.Failed + report.Lost + report.Retried > 0 || report.Interrupted;
                if (ran) break; // back to the first study: earlier studies come first
            }
            if (ran)
            {
                started++;
                poll = FirstPoll;
                continue;
            }
            if (cancellationToken.IsCancellationRequested) break;
            CloseFinished(served);
            if (done(served.Select(s => s.Study).ToList())) break;
            WaitHandle.WaitAny([cancellationToken.WaitHandle, stopClaiming.WaitHandle], poll);
            poll = TimeSpan.FromTicks(Math.Min(LastPoll.Ticks, 2 * poll.Ticks));
        }
        return new WorkerTally(complete, failed, lost, cancellationToken.IsCancellationRequested);
    }

    private double RunUnit(SearchStudy study, RunInfo run, Trial unit, CancellationToken cancellationToken)
    {
        if (!_executors.TryGetValue(study.Name, out var executor))
            _executors[study.Name] = executor = open(study, run, _studies[study.Name].Files);
        if (run.Threads > 0 && torch.get_num_threads() != run.Threads) torch.set_num_threads(run.Threads);
        return executor.Run(unit, cancellationToken);
    }

    /// <summary>The served studies that exist and can be worked here (opened once; a run whose files are out of reach is skipped).</summary>
    private List<(SearchStudy Study, RunInfo Run, RunFiles Files)> Served(IReadOnlyList<string>? names)
    {
        var list = new List<(SearchStudy, RunInfo, RunFiles)>();
        foreach (var name in names ?? storage.StudyNames())
        {
            if (_skipped.Contains(name)) continue;
            if (!_studies.TryGetValue(name, out var entry))
            {
                if (names is not null && !storage.StudyNames().Contains(name)) continue; // not created yet
                var study = SearchStudy.Load(storage, name);
                if (RunInfo.Of(study) is not { } run)
                {
                    Skip(name, "it was not planned by a Condensa run (no scenario in its attributes)");
                    continue;
                }
                try
                {
                    _studies[name] = entry = (study, run, run.Files(storage, workDir));
                }
                catch (CondensaException e)
                {
                    Skip(name, e.Message + (e.Hint is null ? "" : $" ({e.Hint})"));
                    continue;
                }
            }
            list.Add(entry);
        }
        return list;
    }

    private void Skip(string name, string why)
    {
        _skipped.Add(name);
        log.LogWarning("worker {Id}: skipping study {Study}: {Why}", Id, name, why);
    }

    /// <summary>Closes the executors of studies with nothing left to claim (a unit re-queued later reopens one).</summary>
    private void CloseFinished(IEnumerable<(SearchStudy Study, RunInfo Run, RunFiles Files)> served)
    {
        foreach (var (study, _, _) in served)
            if (_executors.TryGetValue(study.Name, out var executor) && study.Summary(TimeSpan.MaxValue).Waiting == 0)
            {
                _executors.Remove(study.Name);
                executor.Dispose();
            }
    }

    /// <summary>True when no served study has a unit waiting or running: nothing is left for anyone.</summary>
    public static bool AllFinished(IReadOnlyList<SearchStudy> studies) =>
        studies.All(s => s.Summary(TimeSpan.MaxValue) is { Waiting: 0, Running: 0 });

    /// <summary>True when no served study has a unit waiting: nothing is left to claim, though others may still run units.</summary>
    public static bool NothingWaiting(IReadOnlyList<SearchStudy> studies) => studies.All(s => s.Summary(TimeSpan.MaxValue).Waiting == 0);

    /// <summary>The first line of an error text (a failed unit's message without its stack trace).</summary>
    public static string FirstLine(string? text) => text is null ? "" : text.Split('\n')[0].Trim();

    public void Dispose()
    {
        foreach (var executor in _executors.Values) executor.Dispose();
        _executors.Clear();
    }
}
