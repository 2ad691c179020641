using System.Text.Json;
using Condensa.Study;

namespace Condensa.Tests.Framework.Study;

[TestClass]
public sealed class StudyApiTests
{
    private static SearchStudy Numbered(StudyStorage storage, int units, string name = "s") =>
        SearchStudy.Create(storage, name, StudyDirection.Maximize, StoreScenarios.Numbered(name, units));

    [TestMethod]
    public void CancellationPutsTheRunningTrialBackAndTheStudyResumes()
    {
        using var storage = new InMemoryStorage();
        var study = Numbered(storage, 3);
        using var ctrlC = new CancellationTokenSource();

        var first = StudyRunner.RunWorker(study, (trial, ct) =>
        {
            if (trial.Number == 1)
            {
                trial.SetUserAttr("progress", 0.5);
                ctrlC.Cancel();
                ct.ThrowIfCancellationRequested();
            }
            return trial.Number;
        }, "w1", cancellationToken: ctrlC.Token);

        Assert.IsTrue(first.Interrupted);
        Assert.AreEqual(1, first.Complete);
        var interrupted = study.GetTrials()[1];
        Assert.AreEqual(TrialState.Waiting, interrupted.State, "not Failed");
        Assert.AreEqual(0, interrupted.Attempts, "an interruption gives its attempt back");
        Assert.AreEqual(0, interrupted.UserAttrs.Count, "what the interrupted attempt recorded is gone");
        StringAssert.Contains(interrupted.Error, "interrupted");

        var second = StudyRunner.RunWorker(study, (trial, _) => trial.Number, "w2");
        Assert.AreEqual(2, second.Complete);
        Assert.IsFalse(second.Interrupted);
        var trials = study.GetTrials();
        Assert.IsTrue(trials.All(t => t.State == TrialState.Complete && t.Attempts == 1));
        Assert.AreEqual("w2", trials[1].Worker);
        Assert.AreEqual(2.0, study.BestTrial()!.Value);
    }

    [TestMethod]
    public void AThrowingObjectiveFailsItsTrialOnlyAndNaNFailsToo()
    {
        using var storage = new InMemoryStorage();
        var study = Numbered(storage, 3);
        var report = StudyRunner.RunWorker(study, (trial, _) => trial.Number switch
        {
            0 => throw new InvalidOperationException("out of memory, say"),
            1 => double.NaN,
            _ => 7,
        }, "w");

        Assert.AreEqual((1, 2), (report.Complete, report.Failed));
        var trials = study.GetTrials();
        Assert.AreEqual(TrialState.Failed, trials[0].State);
        StringAssert.Contains(trials[0].Error, "InvalidOperationException: out of memory, say");
        Assert.AreEqual(1, trials[0].Attempts, "not retried by default");
        Assert.AreEqual(TrialState.Failed, trials[1].State);
        StringAssert.Contains(trials[1].Error, "NaN");
        Assert.AreEqual(7.0, trials[2].Value);

        Assert.AreEqual(2, study.RequeueFailed());
        Assert.AreEqual(2, StudyRunner.RunWorker(study, (_, _) => 1, "w").Complete);
        Assert.IsTrue(study.GetTrials().All(t => t.State == TrialState.Complete));
    }

    [TestMethod]
    public void RetryFailedTrialsRequeuesUntilMaxAttempts()
    {
        using var storage = new InMemoryStorage();
        var study = Numbered(storage, 2);
        var report = StudyRunner.RunWorker(study, (trial, _) =>
            trial.Number == 0 && trial.Attempt < 2 ? throw new IOException("flaky") :
            trial.Number == 1 ? throw new IOException("always") : 5,
            "w", options: new WorkerOptions { RetryFailedTrials = true, MaxAttempts = 3 });

        // Trial 0: fails once, is re-queued, completes at attempt 2. Trial 1: fails 3 times, the last is final.
        Assert.AreEqual((1, 3, 1), (report.Complete, report.Retried, report.Failed));
        var trials = study.GetTrials();
        Assert.AreEqual((TrialState.Complete, 2), (trials[0].State, trials[0].Attempts));
        Assert.AreEqual((TrialState.Failed, 3), (trials[1].State, trials[1].Attempts));
    }

    [TestMethod]
    public void MaxTrialsStopsAWorkerEarly()
    {
        using var storage = new InMemoryStorage();
        var study = Numbered(storage, 5);
        Assert.AreEqual(2, StudyRunner.RunWorker(study, (t, _) => t.Number, "w", maxTrials: 2).Complete);
        Assert.AreEqual(new StudySummary(3, 0, 0, 2, 0), study.Summary(TimeSpan.FromSeconds(30)));
    }

    [TestMethod]
    public void ReopeningAStudyChecksItsUnitsAndKeepsItsAttributes()
    {
        using var storage = new InMemoryStorage();
        var attrs = new Dictionary<string, JsonElement> { ["config"] = JsonSerializer.SerializeToElement(new { epochs = 3 }) };
        var units = StoreScenarios.Numbered("nas", 4);
        var study = SearchStudy.Create(storage, "nas", StudyDirection.Maximize, units, attrs);
        study.SetUserAttr("note", "hello");

        var again = SearchStudy.Create(storage, "nas", StudyDirection.Maximize, units);
        Assert.AreEqual(4, again.GetTrials().Count, "not enqueued twice");
        var joined = SearchStudy.Load(storage, "nas");
        Assert.AreEqual(3, joined.UserAttrs["config"].GetProperty("epochs").GetInt32());
        Assert.AreEqual("hello", joined.UserAttrs["note"].GetString());

        CondensaException Refused(StudyDirection direction, IReadOnlyList<WorkUnit> other) =>
            Assert.ThrowsExactly<CondensaException>(() => SearchStudy.Create(storage, "nas", direction, other));
        StringAssert.Contains(Refused(StudyDirection.Minimize, units).Message, "direction maximize (asked: minimize)");
        StringAssert.Contains(Refused(StudyDirection.Maximize, StoreScenarios.Numbered("nas", 5)).Message, "4 units (asked: 5)");
        StringAssert.Contains(Refused(StudyDirection.Maximize, [units[0], units[1], units[3], units[2]]).Message, "unit 2 has the key nas/2 (asked: nas/3)");
        StringAssert.Contains(Refused(StudyDirection.Maximize, [units[0], units[1], units[2], units[3] with { After = 0 }]).Message, "unit 3 waits for none (asked: 0)");
        var moved = units[3] with { Params = new Dictionary<string, JsonElement> { ["x"] = JsonSerializer.SerializeToElement(7) } };
        StringAssert.Contains(Refused(StudyDirection.Maximize, [units[0], units[1], units[2], moved]).Message, "unit 3 has the parameters {\"x\":3} (asked: {\"x\":7})");
        var missing = Assert.ThrowsExactly<CondensaException>(() => SearchStudy.Load(storage, "other"));
        StringAssert.Contains(missing.Message, "No study named 'other' in memory (studies there: nas)");
    }

    [TestMethod]
    public void APlanWithARepeatedKeyOrAForwardPrerequisiteIsRefused()
    {
        using var storage = new InMemoryStorage();
        var units = StoreScenarios.Numbered("p", 3);
        var repeated = Assert.ThrowsExactly<ArgumentException>(() => SearchStudy.Create(storage, "p", StudyDirection.Maximize, [units[0], units[1], units[0]]));
        StringAssert.Contains(repeated.Message, "work unit 2 repeats the key p/0");
        var forward = Assert.ThrowsExactly<ArgumentException>(() => SearchStudy.Create(storage, "p", StudyDirection.Maximize, [units[0] with { After = 1 }, units[1]]));
        StringAssert.Contains(forward.Message, "work unit 0 waits for unit 1; a unit can only wait for an earlier one");
        Assert.AreEqual(0, storage.StudyNames().Count, "a refused plan creates nothing");
    }
}
