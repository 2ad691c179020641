using System.Collections.Concurrent;
using Condensa.Study;

namespace Condensa.Tests.Study;

/// <summary>
/// Concurrency scenarios run against every durable store (SQLite file, PostgreSQL). <c>open</c> opens a fresh
/// storage object (its own connections) on the shared database, as a separate worker process would;
/// <c>execute</c> runs raw SQL on it (to simulate a dead worker by backdating its heartbeat).
/// </summary>
internal static class StoreScenarios
{
    public static readonly WorkerOptions FastHeartbeat = new() { HeartbeatInterval = TimeSpan.FromMilliseconds(100), Grace = TimeSpan.FromMilliseconds(300) };

    private static SearchSpace Grid3x4x5 => new SearchSpace().Categorical("width", 32, 64, 128).Int("depth", 1, 4).Categorical("norm", "none", "batch", "instance", "layer", "group");

    /// <summary>Several threads create the same grid study at once: the grid is enumerated exactly once.</summary>
    public static void GridIsEnumeratedOnce(Func<StudyStorage> open, string name, int openers = 4)
    {
        var sampler = new GridSampler(Grid3x4x5);
        using var start = new Barrier(openers);
        RunConcurrently(openers, _ =>
        {
            using var storage = open();
            start.SignalAndWait(TimeSpan.FromSeconds(30));
            SearchStudy.Create(storage, name, StudyDirection.Maximize, sampler);
        });

        using var reader = open();
        var trials = SearchStudy.Load(reader, name).GetTrials();
        Assert.AreEqual(60, trials.Count);
        CollectionAssert.AreEqual(Enumerable.Range(0, 60).ToArray(), trials.Select(t => t.Number).ToArray());
        var points = trials.Select(t => $"{t.Params["width"]}/{t.Params["depth"]}/{t.Params["norm"]}").ToList();
        Assert.AreEqual(60, points.Distinct().Count(), "every grid point appears once");
        var expected = sampler.EnqueuedPoints().Select(p => $"{p["width"]}/{p["depth"]}/{p["norm"]}");
        CollectionAssert.AreEquivalent(expected.ToList(), points);
        Assert.IsTrue(trials.All(t => t.State == TrialState.Waiting && t.Attempts == 0));
    }

    /// <summary>Workers on separate connections drain a study: every trial runs exactly once and completes.</summary>
    public static void EveryTrialRunsExactlyOnce(Func<StudyStorage> open, string name, int workers = 4, int trialCount = 40)
    {
        using (var creator = open())
            SearchStudy.Create(creator, name, StudyDirection.Minimize, new GridSampler(new SearchSpace().Int("x", 0, trialCount - 1)));
        var runs = new ConcurrentDictionary<int, int>();
        var reports = new ConcurrentBag<WorkerReport>();
        RunConcurrently(workers, w =>
        {
            using var storage = open();
            var study = SearchStudy.Load(storage, name);
            reports.Add(StudyRunner.RunWorker(study, (trial, _) =>
            {
                runs.AddOrUpdate(trial.Number, 1, (_, n) => n + 1);
                Thread.Sleep(2); // let the workers interleave
                return trial.SuggestInt("x", 0, trialCount - 1) * 0.5;
            }, $"worker-{w}", options: FastHeartbeat));
        });

        Assert.AreEqual(trialCount, runs.Count);
        Assert.IsTrue(runs.Values.All(n => n == 1), "no trial ran twice: " + string.Join(", ", runs.Where(r => r.Value != 1)));
        Assert.AreEqual(trialCount, reports.Sum(r => r.Complete));
        using var reader = open();
        var trials = SearchStudy.Load(reader, name).GetTrials();
        Assert.IsTrue(trials.All(t => t.State == TrialState.Complete && t.Attempts == 1 && t.Value == t.Params["x"].GetInt32() * 0.5));
    }

    /// <summary>
    /// A worker claims trial 0, reports a value and dies (its heartbeat is backdated); another worker re-queues it,
    /// runs it (attempt 2) and the rest; the dead worker's late writes are refused.
    /// </summary>
    public static void StaleTrialIsRequeuedAndCompletedByAnotherWorker(Func<StudyStorage> open, Action<string> execute, string name)
    {
        using var storage = open();
        var study = SearchStudy.Create(storage, name, StudyDirection.Maximize, new GridSampler(new SearchSpace().Int("x", 0, 2)));
        var claimed = storage.Claim(study.Id, "dead", StoreScenarios.FastHeartbeat.EffectiveGrace, maxAttempts: 3).Trial!;
        var dead = new Trial(study, claimed, "dead");
        Assert.AreEqual(0, dead.Number);
        dead.Report(0, 123.0);
        dead.SetUserAttr("note", "from the dead run");
        execute($"UPDATE condensa_trials SET heartbeat_at = heartbeat_at - 600000 WHERE state = 'running' AND study_id = {study.Id}");
        Assert.AreEqual(1, study.Summary(FastHeartbeat.EffectiveGrace).Stale);

        using var otherStorage = open();
        var report = StudyRunner.RunWorker(SearchStudy.Load(otherStorage, name), (trial, _) =>
        {
            Assert.AreEqual(0, trial.IntermediateValues.Count);
            trial.Report(0, trial.Number);
            return trial.Number + 10;
        }, "alive", options: FastHeartbeat);

        Assert.AreEqual(1, report.RequeuedStale);
        Assert.AreEqual(3, report.Complete);
        var trials = study.GetTrials();
        Assert.IsTrue(trials.All(t => t.State == TrialState.Complete && t.Worker == "alive"));
        CollectionAssert.AreEqual(new[] { 2, 1, 1 }, trials.Select(t => t.Attempts).ToArray());
        Assert.AreEqual(10.0, trials[0].Value);
        CollectionAssert.AreEqual(new[] { 0.0 }, trials[0].IntermediateValues.Values.ToArray(), "the dead run's values were cleared");
        Assert.AreEqual(0, trials[0].UserAttrs.Count);
        Assert.AreEqual(0, trials[0].Params["x"].GetInt32(), "the parameters were kept");

        Assert.IsFalse(storage.Finish(dead.Lease, TrialState.Complete, 1.0, null), "the dead worker's late result is refused");
        Assert.ThrowsExactly<TrialLostException>(() => dead.Report(1, 5.0));
        Assert.AreEqual(10.0, study.GetTrials()[0].Value);
    }

    /// <summary>Runs <paramref name="body"/>(0..n-1) on n threads and rethrows what any of them threw.</summary>
    public static void RunConcurrently(int n, Action<int> body)
    {
        var errors = new ConcurrentBag<Exception>();
        var threads = Enumerable.Range(0, n).Select(i => new Thread(() =>
        {
            try { body(i); }
            catch (Exception e) { errors.Add(e); }
        })).ToList();
        foreach (var thread in threads) thread.Start();
        foreach (var thread in threads) thread.Join();
        if (!errors.IsEmpty) throw new AggregateException(errors);
    }
}
