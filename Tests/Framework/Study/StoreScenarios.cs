using System.Collections.Concurrent;
using System.Text.Json;
using Condensa.Study;

namespace Condensa.Tests.Framework.Study;

/// <summary>
/// Concurrency scenarios run against every durable store (SQLite file, PostgreSQL). <c>open</c> opens a fresh
/// storage object (its own connections) on the shared database, as a separate worker process would;
/// <c>execute</c> runs raw SQL on it (to simulate a dead worker by backdating its heartbeat).
/// </summary>
internal static class StoreScenarios
{
    public static readonly WorkerOptions FastHeartbeat = new() { HeartbeatInterval = TimeSpan.FromMilliseconds(100), Grace = TimeSpan.FromMilliseconds(300) };

    /// <summary><paramref name="count"/> units, the i-th with key <c>prefix/i</c> and the parameter x = i.</summary>
    public static WorkUnit[] Numbered(string prefix, int count) =>
        [.. Enumerable.Range(0, count).Select(i => new WorkUnit($"{prefix}/{i}", new Dictionary<string, JsonElement> { ["x"] = JsonSerializer.SerializeToElement(i) }))];

    /// <summary>The 60 points of a 3 x 4 x 5 grid as units, in odometer order.</summary>
    private static WorkUnit[] Grid3x4x5(string prefix) =>
    [
        .. from width in new[] { 32, 64, 128 }
           from depth in Enumerable.Range(1, 4)
           from norm in new[] { "none", "batch", "instance", "layer", "group" }
           select new WorkUnit($"{prefix}/{width}/{depth}/{norm}", new Dictionary<string, JsonElement>
           {
               ["width"] = JsonSerializer.SerializeToElement(width), ["depth"] = JsonSerializer.SerializeToElement(depth),
               ["norm"] = JsonSerializer.SerializeToElement(norm),
           }),
    ];

    /// <summary>Several threads create the same study at once: its units are enqueued exactly once, in plan order.</summary>
    public static void PlanIsEnqueuedOnce(Func<StudyStorage> open, string name, int openers = 4)
    {
        var units = Grid3x4x5(name);
        using var start = new Barrier(openers);
        RunConcurrently(openers, _ =>
        {
            using var storage = open();
            start.SignalAndWait(TimeSpan.FromSeconds(30));
            SearchStudy.Create(storage, name, StudyDirection.Maximize, units);
        });

        using var reader = open();
        var trials = SearchStudy.Load(reader, name).GetTrials();
        Assert.AreEqual(60, trials.Count);
        CollectionAssert.AreEqual(Enumerable.Range(0, 60).ToArray(), trials.Select(t => t.Number).ToArray());
        CollectionAssert.AreEqual(units.Select(u => u.Key).ToArray(), trials.Select(t => t.UnitKey).ToArray(), "every unit once, in plan order");
        CollectionAssert.AreEqual(units.Select(u => $"{u.Params["width"]}/{u.Params["depth"]}/{u.Params["norm"]}").ToArray(),
            trials.Select(t => $"{t.Params["width"]}/{t.Params["depth"]}/{t.Params["norm"]}").ToArray());
        Assert.IsTrue(trials.All(t => t.State == TrialState.Waiting && t.Attempts == 0));
    }

    /// <summary>Workers on separate connections drain a study: every trial runs exactly once and completes.</summary>
    public static void EveryTrialRunsExactlyOnce(Func<StudyStorage> open, string name, int workers = 4, int trialCount = 40)
    {
        using (var creator = open())
            SearchStudy.Create(creator, name, StudyDirection.Minimize, Numbered(name, trialCount));
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
                return trial.Params["x"].GetInt32() * 0.5;
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
    /// A worker claims trial 0, records an attribute and dies (its heartbeat is backdated); another worker re-queues it,
    /// runs it (attempt 2) and the rest; the dead worker's late writes are refused.
    /// </summary>
    public static void StaleTrialIsRequeuedAndCompletedByAnotherWorker(Func<StudyStorage> open, Action<string> execute, string name)
    {
        using var storage = open();
        var study = SearchStudy.Create(storage, name, StudyDirection.Maximize, Numbered(name, 3));
        var claimed = storage.Claim(study.Id, "dead", StoreScenarios.FastHeartbeat.EffectiveGrace, maxAttempts: 3).Trial!;
        var dead = new Trial(study, claimed, "dead");
        Assert.AreEqual(0, dead.Number);
        dead.SetUserAttr("note", "from the dead run");
        execute($"UPDATE condensa_trials SET heartbeat_at = heartbeat_at - 600000 WHERE state = 'running' AND study_id = {study.Id}");
        Assert.AreEqual(1, study.Summary(FastHeartbeat.EffectiveGrace).Stale);

        using var otherStorage = open();
        var report = StudyRunner.RunWorker(SearchStudy.Load(otherStorage, name), (trial, _) =>
        {
            trial.SetUserAttr("by", trial.Worker);
            return trial.Number + 10;
        }, "alive", options: FastHeartbeat);

        Assert.AreEqual(1, report.RequeuedStale);
        Assert.AreEqual(3, report.Complete);
        var trials = study.GetTrials();
        Assert.IsTrue(trials.All(t => t.State == TrialState.Complete && t.Worker == "alive"));
        CollectionAssert.AreEqual(new[] { 2, 1, 1 }, trials.Select(t => t.Attempts).ToArray());
        Assert.AreEqual(10.0, trials[0].Value);
        CollectionAssert.AreEqual(new[] { "by" }, trials[0].UserAttrs.Keys.ToArray(), "the dead run's attributes were cleared");
        Assert.AreEqual("alive", trials[0].UserAttrs["by"].GetString());
        Assert.AreEqual(0, trials[0].Params["x"].GetInt32(), "the parameters were kept");

        Assert.IsFalse(storage.Finish(dead.Lease, TrialState.Complete, 1.0, null), "the dead worker's late result is refused");
        Assert.ThrowsExactly<TrialLostException>(() => dead.SetUserAttr("late", 5.0));
        Assert.AreEqual(10.0, study.GetTrials()[0].Value);
    }

    private static WorkUnit Unit(string key, int? after = null) => new(key, new Dictionary<string, JsonElement>
    {
        ["label"] = JsonSerializer.SerializeToElement(key),
    }, after);

    /// <summary>
    /// Units with prerequisites: build A (0), its evaluations (1, 2), build B (3) and its evaluation (4), then C (5)
    /// waiting for 4. Claims skip a unit whose prerequisite is not Complete; when build B fails, the units that wait for
    /// it, directly or through another, fail with it; re-queuing the failures makes all of them wait again.
    /// </summary>
    public static void UnitsWaitForTheirPrerequisiteAndFailWithIt(Func<StudyStorage> open, string name)
    {
        using var storage = open();
        var study = SearchStudy.Create(storage, name, StudyDirection.Maximize,
            [Unit(name + "/a"), Unit(name + "/a1", 0), Unit(name + "/a2", 0), Unit(name + "/b"), Unit(name + "/b1", 3), Unit(name + "/c", 4)]);
        // one worker holds build A: its evaluations cannot be claimed yet, so another worker takes build B
        var a = storage.Claim(study.Id, "holder", FastHeartbeat.EffectiveGrace, maxAttempts: 3).Trial!;
        Assert.AreEqual(0, a.Number);
        using var other = open();
        var order = new List<int>();
        StudyRunner.RunWorker(SearchStudy.Load(other, name), (unit, _) =>
        {
            order.Add(unit.Number);
            return unit.Number == 3 ? throw new InvalidOperationException("build B broke") : unit.Number;
        }, "w");
        CollectionAssert.AreEqual(new[] { 3 }, order, "1 and 2 wait for A; 4 and 5 wait for B, which failed");
        var trials = study.GetTrials();
        Assert.AreEqual(TrialState.Failed, trials[4].State);
        StringAssert.Contains(trials[4].Error, "waits for unit 3, which failed");
        Assert.AreEqual(TrialState.Failed, trials[5].State, "a failure reaches the units that wait through another");
        Assert.AreEqual(4, trials[5].After, "the stored prerequisite");
        Assert.AreEqual((TrialState.Waiting, TrialState.Waiting), (trials[1].State, trials[2].State));

        Assert.IsTrue(storage.Finish(new TrialLease(a.Id, "holder", a.Attempts), TrialState.Complete, 1.0, null));
        order.Clear();
        StudyRunner.RunWorker(study, (unit, _) => { order.Add(unit.Number); return unit.Number; }, "w2");
        CollectionAssert.AreEqual(new[] { 1, 2 }, order, "A's evaluations, once A is complete");

        Assert.AreEqual(3, study.RequeueFailed());
        var again = StudyRunner.RunWorker(study, (unit, _) => unit.Number, "w3");
        Assert.AreEqual(3, again.Complete);
        Assert.IsTrue(study.GetTrials().All(t => t.State == TrialState.Complete));
    }

    /// <summary>A unit created with the key of a Complete unit anywhere in the store starts Complete, with its value and attributes.</summary>
    public static void AFinishedUnitsResultIsReusedByKey(Func<StudyStorage> open, string name)
    {
        using var storage = open();
        var first = SearchStudy.Create(storage, name + "-1", StudyDirection.Maximize, [Unit(name + "/x"), Unit(name + "/y")]);
        StudyRunner.RunWorker(first, (unit, _) =>
        {
            unit.SetUserAttr("memory", "m-" + unit.Number);
            return unit.Number == 0 ? 0.5 : throw new InvalidOperationException("y fails");
        }, "w");
        var second = SearchStudy.Create(storage, name + "-2", StudyDirection.Maximize, [Unit(name + "/z"), Unit(name + "/x"), Unit(name + "/y", 1)]);
        var units = second.GetTrials();
        Assert.AreEqual((TrialState.Waiting, TrialState.Complete, TrialState.Waiting), (units[0].State, units[1].State, units[2].State), "only x finished before");
        Assert.AreEqual(0.5, units[1].Value);
        Assert.AreEqual(0, units[1].Attempts, "reused, never run in this study");
        Assert.AreEqual("m-0", units[1].UserAttrs["memory"].GetString());
        Assert.AreEqual(name + "/x", units[1].UnitKey);
        Assert.AreEqual(1, units[2].After, "y waits for x, which is ready at once");
        var ran = new List<int>();
        StudyRunner.RunWorker(second, (unit, _) => { ran.Add(unit.Number); return 1; }, "w");
        CollectionAssert.AreEqual(new[] { 0, 2 }, ran);
    }

    /// <summary>Run files: stored in one transaction per call, replaced by path, read by folder (a folder prefix is not a name prefix), kept per run.</summary>
    public static void RunFilesAreKeptPerRunAndReadByFolder(Func<StudyStorage> open, string runId)
    {
        using var storage = open();
        storage.Files.Put(runId, [("memories/a/memory.json", [1, 2]), ("memories/a/images.pt", new byte[1000]), ("memories/ab/memory.json", [3])]);
        storage.Files.Put(runId, [("memories/a/memory.json", [9])]);
        storage.Files.Put(runId + "-other", [("memories/a/memory.json", [7])]);
        var a = storage.Files.Get(runId, "memories/a");
        CollectionAssert.AreEqual(new[] { "memories/a/images.pt", "memories/a/memory.json" }, a.Select(f => f.Path).ToArray());
        CollectionAssert.AreEqual(new byte[] { 9 }, a[1].Bytes, "replaced");
        Assert.AreEqual(1000, a[0].Bytes.Length);
        Assert.HasCount(3, storage.Files.Get(runId, "memories"));
        Assert.HasCount(0, storage.Files.Get(runId, "memories/a/images"), "a file is not a folder");
        CollectionAssert.AreEqual(new byte[] { 7 }, storage.Files.Get(runId + "-other", "memories/a").Single().Bytes);
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
