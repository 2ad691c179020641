using System.Diagnostics;
using Condensa.Hosting;
using Condensa.Config;
using Condensa.Scenarios.ArchitectureSearch;
using Condensa.Scenarios.Cli;
using Condensa.Study;
using Condensa.Work;
using Condensa.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Condensa.Runtime;

namespace Condensa.Tests.Scenarios.ArchitectureSearch;

/// <summary>
/// Real <c>condensa nas worker</c> processes on one study store: every trial completes exactly once, and a worker
/// killed with SIGKILL mid-trial leaves a stale trial that another worker re-runs.
/// </summary>
[TestClass]
public sealed class NasWorkerProcessTests
{
    private const double Heartbeat = 0.5;

    /// <summary>A tiny 3-class IDX dataset (bright row c for class c, plus noise) with train and t10k splits.</summary>
    internal static TempDataFolder TinyIdx()
    {
        var folder = new TempDataFolder();
        var random = new Random(5);
        foreach (var (split, n) in new[] { ("train", 60), ("t10k", 30) })
        {
            var pixels = new byte[n * 64];
            var labels = new byte[n];
            for (int i = 0; i < n; i++)
            {
                labels[i] = (byte)(i % 3);
                for (int p = 0; p < 64; p++) pixels[i * 64 + p] = (byte)(p / 8 == 2 * labels[i] ? 220 : random.Next(60));
            }
            folder.Write($"{split}-images-idx3-ubyte", TempDataFolder.IdxImages(n, 8, 8, pixels));
            folder.Write($"{split}-labels-idx1-ubyte", TempDataFolder.IdxLabels(labels));
        }
        return folder;
    }

    /// <summary>Plans a 6-candidate search (about a second per trial) in the store, as a coordinator does, and returns its whole-set study's name (the early-stopping study stays unworked).</summary>
    /// <param name="seed">The search's seed: a fresh one gives a fresh study in a store that other runs share.</param>
    private static string CreateStudy(string url, string dataPath, long seed = 0) => Plan(url, dataPath, $$"""
        proxies: []
        whole_train: {epochs: 250, batch_size: 16, lr: 0.01}
        seed: {{seed}}
        """).Studies[0].Name;

    /// <summary>Plans the studies of a search over 6 candidates of <paramref name="dataPath"/> with the given proxies, training and seed.</summary>
    internal static (NasOptions Options, IReadOnlyList<SearchStudy> Studies) Plan(string url, string dataPath, string settings)
    {
        using var host = CondensaCli.BuildHost(verbose: false);
        var yaml = $$"""
            scenario: nas
            dataset: {name: idx, path: {{dataPath}}, validation_fraction: 0.2}
            space: {widths: [32], depths: [1], norms: [none, instancenorm, batchnorm], activations: [relu, sigmoid], poolings: [avgpool]}
            repeats: 1
            early_stopping: true
            {{settings}}
            """;
        var (_, options) = host.Services.GetRequiredService<ConfigLoader>().Bind(YamlConfig.Parse(yaml, "test.yaml"), "test.yaml");
        var o = (NasOptions)options;
        using var storage = StudyStorage.Open(url);
        var folder = Path.Combine(Path.GetTempPath(), "condensa-tests-nas", Guid.NewGuid().ToString("N"));
        var run = new RunInfo("nas", ConfigWriter.ToYaml(o), folder, RunInfo.IdOf(folder), "cpu", 1, Heartbeat, MemorySharing.Folder, 256);
        var ctx = ContinualTestData.Context(folder, new RecordingLogger());
        var studies = new NasScenario().Plan(new PlanContext { Storage = storage, Run = run, Context = ctx, Files = RunFiles.Local(folder), Settings = new ExecutionSettings(TorchSharp.torch.CPU, 1) },
            o, CancellationToken.None);
        return (o, studies);
    }

    private static Process StartWorker(string url, string study)
    {
        // The condensa apphost sits beside the tests (the test host itself is not `dotnet`).
        var info = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "condensa")) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "nas", "worker", "--storage", url, "--study", study })
            info.ArgumentList.Add(a);
        var p = Process.Start(info)!;
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    private static void WaitAll(IEnumerable<Process> workers)
    {
        foreach (var w in workers)
        {
            Assert.IsTrue(w.WaitForExit(TimeSpan.FromMinutes(4)), "a worker did not finish in time");
            Assert.AreEqual(0, w.ExitCode, "worker exit code");
        }
    }

    private static IReadOnlyList<FrozenTrial> Trials(string url, string study)
    {
        using var storage = StudyStorage.Open(url);
        return SearchStudy.Load(storage, study).GetTrials();
    }

    private static void AssertEveryTrialOnce(IReadOnlyList<FrozenTrial> trials, int expected)
    {
        Assert.AreEqual(expected, trials.Count);
        Assert.IsTrue(trials.All(t => t.State == TrialState.Complete), string.Join(", ", trials.Select(t => $"{t.Number}:{t.State}")));
        CollectionAssert.AreEquivalent(Enumerable.Range(0, expected).ToArray(), trials.Select(t => t.Number).ToArray());
        Assert.AreEqual(expected, trials.Select(t => t.Params["arch"].GetString()).Distinct().Count(), "each candidate is one trial");
    }

    private static void RunConcurrentWorkers(string url, int workers)
    {
        using var data = TinyIdx();
        var study = CreateStudy(url, data.Root, seed: Random.Shared.NextInt64(1, long.MaxValue));
        var processes = Enumerable.Range(0, workers).Select(_ => StartWorker(url, study)).ToList();
        WaitAll(processes);
        var trials = Trials(url, study);
        AssertEveryTrialOnce(trials, 6);
        Assert.IsTrue(trials.All(t => t.Attempts == 1), "no trial ran twice: " + string.Join(", ", trials.Select(t => $"{t.Number}x{t.Attempts}")));
    }

    [TestMethod]
    public void TwoWorkerProcessesOnOneSqliteStudyCompleteEveryTrialOnce()
    {
        RunConcurrentWorkers(NewSqliteUrl(), workers: 2);
    }

    [TestMethod]
    public void FourWorkerProcessesOnPostgresCompleteEveryTrialOnce()
    {
        var url = Environment.GetEnvironmentVariable("CONDENSA_TEST_POSTGRES");
        if (string.IsNullOrEmpty(url)) Assert.Inconclusive("set CONDENSA_TEST_POSTGRES to a PostgreSQL URL (.ci/run does)");
        RunConcurrentWorkers(url, workers: 4);
    }

    [TestMethod]
    public void AWorkerStoppedWithSigtermPutsItsTrialBackAtOnce()
    {
        var url = NewSqliteUrl();
        using var data = TinyIdx();
        var study = CreateStudy(url, data.Root);
        var worker = StartWorker(url, study);
        var running = WaitForRunningTrial(url, study);
        Process.Start("kill", ["-TERM", worker.Id.ToString()])!.WaitForExit();
        Assert.IsTrue(worker.WaitForExit(TimeSpan.FromMinutes(2)), "the worker did not stop on SIGTERM");
        Assert.AreEqual(130, worker.ExitCode, "the cancelled exit code");
        var back = Trials(url, study).Single(t => t.Number == running.Number);
        Assert.AreEqual(TrialState.Waiting, back.State, "the trial is waiting again, not left running until it goes stale");
    }

    /// <summary>A SQLite store in a fresh folder.</summary>
    private static string NewSqliteUrl()
    {
        var dir = Path.Combine(Path.GetTempPath(), "condensa-tests-nas", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return "sqlite:" + Path.Combine(dir, "study.db");
    }

    private static FrozenTrial WaitForRunningTrial(string url, string study)
    {
        FrozenTrial? running = null;
        var clock = Stopwatch.StartNew();
        while (running is null && clock.Elapsed < TimeSpan.FromMinutes(2))
        {
            Thread.Sleep(50);
            running = Trials(url, study).FirstOrDefault(t => t.State == TrialState.Running);
        }
        Assert.IsNotNull(running, "the worker never started a trial");
        return running;
    }

    [TestMethod]
    public void AWorkerKilledMidTrialLeavesAStaleTrialThatAnotherWorkerReruns()
    {
        var url = NewSqliteUrl();
        using var data = TinyIdx();
        var study = CreateStudy(url, data.Root);

        var victim = StartWorker(url, study);
        var running = WaitForRunningTrial(url, study);
        victim.Kill(); // SIGKILL: no cleanup, the trial stays Running
        victim.WaitForExit();
        Assert.AreEqual(TrialState.Running, Trials(url, study).Single(t => t.Number == running.Number).State);

        // Other workers finish the study; one of them re-queues the killed trial once its heartbeat is older than the grace.
        for (int round = 0; round < 5 && Trials(url, study).Any(t => t.State != TrialState.Complete); round++)
        {
            Thread.Sleep(TimeSpan.FromSeconds(3 * Heartbeat + 0.5));
            WaitAll([StartWorker(url, study)]);
        }
        var trials = Trials(url, study);
        AssertEveryTrialOnce(trials, 6);
        var rerun = trials.Single(t => t.Number == running.Number);
        Assert.AreEqual(2, rerun.Attempts, "the killed trial ran a second time");
        Assert.AreNotEqual(running.Worker, rerun.Worker, "another worker completed it");
        Assert.IsTrue(trials.Where(t => t.Number != running.Number).All(t => t.Attempts == 1));
    }
}
