using System.Text.Json;
using Condensa.Study;

namespace Condensa.Tests.Framework.Study;

[TestClass]
public sealed class StudyApiTests
{
    private static SearchStudy Grid(StudyStorage storage, int points, string name = "s") =>
        SearchStudy.Create(storage, name, StudyDirection.Maximize, new GridSampler(new SearchSpace().Int("x", 0, points - 1)));

    [TestMethod]
    public void CancellationPutsTheRunningTrialBackAndTheStudyResumes()
    {
        using var storage = new InMemoryStorage();
        var study = Grid(storage, 3);
        using var ctrlC = new CancellationTokenSource();

        var first = StudyRunner.RunWorker(study, (trial, ct) =>
        {
            if (trial.Number == 1)
            {
                trial.Report(0, 0.5);
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
        Assert.AreEqual(0, interrupted.IntermediateValues.Count);
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
        var study = Grid(storage, 3);
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
        var study = Grid(storage, 2);
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
        var study = Grid(storage, 5);
        Assert.AreEqual(2, StudyRunner.RunWorker(study, (t, _) => t.Number, "w", maxTrials: 2).Complete);
        Assert.AreEqual(new StudySummary(3, 0, 0, 2, 0, 0), study.Summary(TimeSpan.FromSeconds(30)));
    }

    [TestMethod]
    public void RandomSamplerEnqueuesDistinctSeededPointsAndDrawsMissingParametersPerTrial()
    {
        var space = new SearchSpace().Categorical("norm", "batch", "instance").Int("depth", 1, 3);
        IReadOnlyList<FrozenTrial> RunOnce()
        {
            using var storage = new InMemoryStorage();
            var study = SearchStudy.Create(storage, "r", StudyDirection.Minimize, new RandomSampler(space, trials: 6, seed: 42));
            StudyRunner.RunWorker(study, (trial, _) =>
            {
                Assert.IsTrue(new[] { "batch", "instance" }.Contains(trial.SuggestCategorical("norm", ["batch", "instance"])));
                double lr = trial.SuggestFloat("lr", 1e-4, 1e-1, log: true);
                Assert.AreEqual(lr, trial.SuggestFloat("lr", 1e-4, 1e-1, log: true), "a second suggestion returns the stored value");
                Assert.IsTrue(lr is >= 1e-4 and <= 1e-1);
                return lr;
            }, "w");
            return SearchStudy.Load(storage, "r").GetTrials();
        }

        var a = RunOnce();
        var points = a.Select(t => $"{t.Params["norm"]}/{t.Params["depth"]}").ToList();
        Assert.AreEqual(6, points.Distinct().Count(), "6 draws from a 6-point space are all of it, without repeats");
        Assert.IsTrue(a.All(t => t.Value == t.Params["lr"].GetDouble()), "a define-by-run parameter is stored with the trial");
        var b = RunOnce();
        CollectionAssert.AreEqual(a.Select(t => t.Params["lr"].GetDouble()).ToArray(), b.Select(t => t.Params["lr"].GetDouble()).ToArray(), "seeded");
        CollectionAssert.AreEqual(points, b.Select(t => $"{t.Params["norm"]}/{t.Params["depth"]}").ToList());
        Assert.ThrowsExactly<CondensaException>(() => new RandomSampler(space, trials: 7, seed: 1));
    }

    [TestMethod]
    public void GridTrialsRejectParametersOutsideTheGrid()
    {
        using var storage = new InMemoryStorage();
        var study = Grid(storage, 2);
        StudyRunner.RunWorker(study, (trial, _) => trial.Number == 0 ? trial.SuggestFloat("lr", 0, 1) : trial.SuggestInt("x", 5, 9), "w");
        var trials = study.GetTrials();
        StringAssert.Contains(trials[0].Error, "parameter 'lr'");
        StringAssert.Contains(trials[0].Error, "not in the grid's search space (x)");
        StringAssert.Contains(trials[1].Error, "parameter 'x' is 1 in the study, which the suggested int [5, 9] does not contain");
    }

    [TestMethod]
    public void GridNeedsFiniteAxesAndIsShuffledBySeed()
    {
        var e = Assert.ThrowsExactly<CondensaException>(() => new GridSampler(new SearchSpace().Float("lr", 0, 1)));
        StringAssert.Contains(e.Message, "'lr' (float [0, 1])");
        var space = new SearchSpace().Int("a", 0, 1).Categorical("b", "p", "q", "r");
        var ordered = new GridSampler(space).EnqueuedPoints().Select(p => $"{p["a"]}{p["b"]}").ToList();
        CollectionAssert.AreEqual(new[] { "0p", "0q", "0r", "1p", "1q", "1r" }, ordered, "odometer order, last axis fastest");
        var shuffled = new GridSampler(space, seed: 3).EnqueuedPoints().Select(p => $"{p["a"]}{p["b"]}").ToList();
        CollectionAssert.AreEquivalent(ordered, shuffled);
        CollectionAssert.AreEqual(shuffled, new GridSampler(space, seed: 3).EnqueuedPoints().Select(p => $"{p["a"]}{p["b"]}").ToList());
    }

    [TestMethod]
    public void ReopeningAStudyChecksItsConfigurationAndKeepsItsAttributes()
    {
        using var storage = new InMemoryStorage();
        var attrs = new Dictionary<string, JsonElement> { ["config"] = JsonSerializer.SerializeToElement(new { epochs = 3 }) };
        var study = SearchStudy.Create(storage, "nas", StudyDirection.Maximize, new GridSampler(new SearchSpace().Int("x", 0, 3)), new MedianPruner(), attrs);
        study.SetUserAttr("note", "hello");

        var again = SearchStudy.Create(storage, "nas", StudyDirection.Maximize, new GridSampler(new SearchSpace().Int("x", 0, 3)), new MedianPruner());
        Assert.AreEqual(4, again.GetTrials().Count, "not enumerated twice");
        var joined = SearchStudy.Load(storage, "nas");
        Assert.AreEqual(new MedianPruner(), joined.Pruner);
        Assert.IsInstanceOfType<GridSampler>(joined.Sampler);
        Assert.AreEqual(3, joined.UserAttrs["config"].GetProperty("epochs").GetInt32());
        Assert.AreEqual("hello", joined.UserAttrs["note"].GetString());

        var e = Assert.ThrowsExactly<CondensaException>(() =>
            SearchStudy.Create(storage, "nas", StudyDirection.Minimize, new GridSampler(new SearchSpace().Int("x", 0, 4))));
        StringAssert.Contains(e.Message, "direction maximize (asked: minimize)");
        StringAssert.Contains(e.Message, "sampler");
        var missing = Assert.ThrowsExactly<CondensaException>(() => SearchStudy.Load(storage, "other"));
        StringAssert.Contains(missing.Message, "No study named 'other' in memory (studies there: nas)");
    }

    private sealed class CustomPruner : IPruner
    {
        public bool Prune(Trial trial) => false;
    }

    [TestMethod]
    public void ACustomPrunerCannotBeStored()
    {
        using var storage = new InMemoryStorage();
        var e = Assert.ThrowsExactly<CondensaException>(() =>
            SearchStudy.Create(storage, "s", StudyDirection.Maximize, new GridSampler(new SearchSpace().Int("x", 0, 1)), new CustomPruner()));
        StringAssert.Contains(e.Message, "CustomPruner cannot be stored");
    }

    [TestMethod]
    public void SamplersAndPrunersRoundTripThroughJson()
    {
        Sampler sampler = new RandomSampler(new SearchSpace().Float("lr", 1e-3, 1, log: true).Int("d", 2, 8, step: 2).Categorical("on", true, false), 9, 5);
        string json = JsonSerializer.Serialize(sampler, StudyJson.Options);
        Assert.AreEqual(json, JsonSerializer.Serialize(JsonSerializer.Deserialize<Sampler>(json, StudyJson.Options), StudyJson.Options));
        StringAssert.StartsWith(json, "{\"type\":\"random\",\"space\":{\"lr\":{\"type\":\"float\"");
        IPruner pruner = new SuccessiveHalvingPruner(2, 3, 1);
        Assert.AreEqual(pruner, JsonSerializer.Deserialize<IPruner>(JsonSerializer.Serialize(pruner, StudyJson.Options), StudyJson.Options));
    }
}
