using System.Text.Json.Nodes;
using Condensa.Reporting;
using Condensa.Scenarios;
using Condensa.Scenarios.ArchitectureSearch;
using Condensa.Scenarios.Comparison;
using Condensa.Scenarios.ContinualLearning;
using Condensa.Scenarios.Train;
using Condensa.Tests.Support;
using Condensa.Work;

namespace Condensa.Tests.Scenarios;

/// <summary>results.json is one record per scenario: what a scenario writes, the dashboard reads back as the same record.</summary>
[TestClass]
public sealed class RunResultsTests
{
    private static readonly RunResults[] Samples =
    [
        new TrainResults { Status = "completed", Arch = "convnet", Dataset = "fashion-mnist", Seed = 3, Metrics = new TrainMetrics { TestAccuracy = 0.9123, EpochsCompleted = 2 },
            PerClassAccuracy = new() { ["T-shirt"] = 0.8 }, ConfusionMatrix = [[8L, 2L], [1L, 9L]] },
        new CompareResults { Dataset = "fashion-mnist", BuildArch = "convnet", Seeds = 2, Rows =
            [new CompareRow { Method = "dm", Ipc = 10, Arch = "convnet", AccuracyMean = 0.8179, AccuracyStd = 0.0016, BuildSeconds = double.NaN, Sweep = "dm" },
             new CompareRow { Method = "dsa", Fraction = 0.1, Arch = "convnet", Failure = "diverged", FailedModels = 2 }] },
        new ContinualResults { Dataset = "fashion-mnist", Steps = 2, Memory = "2 per class | 4 per class",
            Runs = [new ContinualRunRecord { Strategy = "gdumb", Builder = "random", MemorySize = 2, Settings = "s", ClassOrder = [[0, 1], [2, 3]],
                Steps = [new StepResult(1, [0, 1], 0.9, [0.9], [0.9], 1, 0.5, 4, 400)], AccuracyMatrix = [[0.9]], Forgetting = null }],
            Summary = [new ContinualSummaryRow { Strategy = "gdumb", Builder = "random", MemorySize = 2, FinalAccuracyMean = 0.7, ClassesSeen = [2, 4], StepAccuracyMean = [0.9, null] }] },
        new NasResults { Mode = "search", Dataset = "fashion-mnist", Candidates = 720, Proxy = "dm", Phases = [new NasPhase("proxy rung 0", 720, 4, 60, 110)],
            Ranking = [new NasRanked("convnet-w64", 0.8)], Chosen = new NasPick("convnet-w64", 0.86, 0.85), RandomBaseline = ["convnet-w32"] },
    ];

    [TestMethod]
    public void EveryRecordReadsBackAsItWasWrittenWithItsScenarioFirst()
    {
        using var folder = new TempRunFolder();
        foreach (var sample in Samples)
        {
            var dir = new RunDirectory(folder.PathOf(sample.GetType().Name));
            sample.Write(dir);
            var text = File.ReadAllText(dir.PathOf("results.json"));
            var read = RunResults.Read(text);
            Assert.IsNotNull(read, sample.GetType().Name);
            Assert.AreEqual(sample.GetType(), read.GetType());
            read.Write(dir);
            Assert.AreEqual(text, File.ReadAllText(dir.PathOf("results.json")), $"{sample.GetType().Name}: written again, the same file");
            var keys = JsonNode.Parse(text)!.AsObject().Select(p => p.Key).ToList();
            Assert.AreEqual("scenario", keys[0]);
            Assert.AreEqual("status", keys[1]);
        }
        StringAssert.Contains(File.ReadAllText(folder.PathOf("CompareResults/results.json")), "\"accuracy_mean\": 0.8179");
        Assert.AreEqual("best: dm ipc 10 81.79%", Samples[1].Headline());
        Assert.AreEqual("best final accuracy: gdumb + random 70.00%", Samples[2].Headline());
        Assert.AreEqual("chosen: convnet-w64 (85.00% whole-set test)", Samples[3].Headline());
    }

    [TestMethod]
    public void AFailedUnitRunSaysSoAndAnOddFileReadsAsNoRecord()
    {
        var outcome = new RunOutcome(RunOutcome.Partial, 9, 2, ["build dm: out of memory"]);
        var results = new CompareResults { Dataset = "d", BuildArch = "a" }.With(outcome);
        Assert.AreEqual((RunOutcome.Partial, 2, 9), (results.Status, results.FailedUnits, results.Units));
        Assert.AreEqual("2 of 9 units failed; first: build dm: out of memory", results.Error);
        Assert.IsNull(new CompareResults().With(new RunOutcome(RunOutcome.Completed, 9, 0, [])).Error);
        foreach (var odd in new[] { """{"scenario":"other"}""", """{"scenario":["nas"],"status":7}""", """{"scenario":"compare","rows":[{"method":""", "" })
            Assert.IsNull(RunResults.Read(odd), odd);
    }
}
