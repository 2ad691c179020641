using System.Diagnostics;
using System.Text.Json.Nodes;
using Condensa.Study;
using Condensa.Tests.Support;

namespace Condensa.Tests.Framework.Work;

/// <summary>
/// Real <c>condensa run</c> and worker processes on tiny IDX data: results do not depend on the number of workers,
/// a worker or a coordinator killed with SIGKILL in the middle of a unit loses nothing (its unit is run again by
/// another), and a second run of a folder in use joins it as a worker or names its owner. Observed through the stored
/// units and results.json, never through log text.
/// </summary>
[TestClass]
public sealed class WorkerProcessTests
{
    private static TempDataFolder? _data;
    private static TempRunFolder? _runs;
    private static string _compare = "", _continual = "";
    private static JsonArray? _reference;

    /// <summary>Heartbeat of the test runs: a killed worker's unit is stale, and taken over, 1.5 s after its last beat.</summary>
    private const string Heartbeat = "0.5";

    [ClassInitialize]
    public static void Setup(TestContext _)
    {
        _data = ContinualTestData.IdxPatches(train: (30, 1), test: (10, 2));
        _runs = new TempRunFolder();
        Directory.CreateDirectory(_runs.Root);
        _compare = _runs.PathOf("compare.yaml");
        File.WriteAllText(_compare, $$"""
            scenario: compare
            seed: 4
            dataset: {name: idx, path: {{_data.Root}}}
            builders: [random, {name: herding, selection_epochs: 1, selection_batch_size: 16}]
            ipc: [1, 3]
            seeds: 2
            models: 2
            build_arch: convnet-w32-d1-instancenorm-relu-avgpool
            eval: {epochs: 120, batch_size: 16, lr: 0.05, augmentation: none}
            heartbeat_seconds: {{Heartbeat}}
            """);
        _continual = _runs.PathOf("continual.yaml");
        File.WriteAllText(_continual, $$"""
            scenario: continual
            seed: 3
            dataset: {name: idx, path: {{_data.Root}}}
            builders: [random, {name: herding, selection_epochs: 1, selection_batch_size: 16}]
            strategies: [gdumb, eeil]
            steps: 2
            memory: {per_class: 5}
            arch: convnet-w32-d1-instancenorm-relu-avgpool
            gdumb: {models: 2, train: {epochs: 150, batch_size: 16, lr: 0.05} }
            eeil: {iterations: 150, finetune_iterations: 20, batch_size: 16, lr: 0.05}
            heartbeat_seconds: {{Heartbeat}}
            """);
        var reference = _runs.PathOf("reference");
        AssertExit(0, Start("run", _compare, "--out", reference, "--set", "workers=1", "--set", "threads=1"));
        _reference = Rows(reference);
    }

    [ClassCleanup]
    public static void Cleanup()
    {
        _runs?.Dispose();
        _data?.Dispose();
    }

    /// <summary>Starts <c>condensa ARGS...</c> (the apphost beside the tests), output drained.</summary>
    private static Process Start(params string[] args)
    {
        var info = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "condensa"))
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
        };
        foreach (var a in args) info.ArgumentList.Add(a);
        var process = Process.Start(info)!;
        var output = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        Outputs[process.Id] = output;
        return process;
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<int, System.Text.StringBuilder> Outputs = new();

    private static string Output(Process p) => Outputs.TryGetValue(p.Id, out var o) ? o.ToString() : "";

    private static void AssertExit(int code, Process process)
    {
        Assert.IsTrue(process.WaitForExit(TimeSpan.FromMinutes(4)), "the process did not finish in time");
        process.WaitForExit();
        Assert.AreEqual(code, process.ExitCode, Output(process));
    }

    /// <summary>results.json's rows without the seconds (a wall time, not a result).</summary>
    private static JsonArray Rows(string runFolder)
    {
        var rows = JsonNode.Parse(File.ReadAllText(Path.Combine(runFolder, "results.json")))!["rows"]!.AsArray();
        foreach (var row in rows) row!.AsObject().Remove("build_seconds");
        return rows;
    }

    private static string Sqlite(string runFolder) => "sqlite:" + Path.Combine(runFolder, "study.db");

    private static List<FrozenTrial> Units(string url)
    {
        using var store = StudyStorage.Open(url);
        return store.StudyNames().Count == 0 ? [] : SearchStudy.Load(store, store.StudyNames().Single()).GetTrials().ToList();
    }

    private static int Pid(string? worker) => worker is null ? -1 : int.Parse(worker[(worker.LastIndexOf('-') + 1)..]);

    /// <summary>Polls the run's units until <paramref name="pick"/> returns a unit, or the run ends (null).</summary>
    private static FrozenTrial? WaitFor(string url, Process run, Func<List<FrozenTrial>, FrozenTrial?> pick)
    {
        var clock = Stopwatch.StartNew();
        while (!run.HasExited && clock.Elapsed < TimeSpan.FromMinutes(3))
        {
            if (File.Exists(url["sqlite:".Length..]) && pick(Units(url)) is { } unit) return unit;
            Thread.Sleep(20);
        }
        return null;
    }

    private static void Kill(int pid) => Process.GetProcessById(pid).Kill(); // SIGKILL: no cleanup, the unit stays Running

    private static void AssertEveryUnitCompleteOnce(List<FrozenTrial> units, int? killed = null)
    {
        Assert.IsTrue(units.Count > 0);
        Assert.IsTrue(units.All(u => u.State == TrialState.Complete), string.Join(", ", units.Select(u => $"{u.Number}:{u.State}")));
        foreach (var u in units)
            Assert.AreEqual(u.Number == killed ? 2 : 1, u.Attempts, $"unit {u.Number} ({u.Params["label"]}) ran {u.Attempts} times");
    }

    [TestMethod]
    public void TwoWorkersGiveTheRowsOfOneAndAKilledWorkersEvaluationIsRunAgain()
    {
        var folder = _runs!.PathOf("two-workers");
        var url = Sqlite(folder);
        var run = Start("run", _compare, "--out", folder, "--set", "workers=2", "--set", "threads=1");
        var victim = WaitFor(url, run, units => units.FirstOrDefault(u =>
            u.State == TrialState.Running && u.Params["kind"].GetString() == "evaluate" && Pid(u.Worker) != run.Id));
        Assert.IsNotNull(victim, "the local worker never ran an evaluation");
        Kill(Pid(victim.Worker));
        AssertExit(0, run);

        var units = Units(url);
        AssertEveryUnitCompleteOnce(units, killed: victim.Number);
        Assert.AreEqual(run.Id, Pid(units[victim.Number].Worker), "the coordinator took the killed worker's unit over");
        Assert.AreEqual(_reference!.ToJsonString(), Rows(folder).ToJsonString(), "the same rows as one worker, to the last digit");
    }

    [TestMethod]
    public void ACoordinatorKilledMidRunIsStartedAgainAndFinishesWithTheSameRows()
    {
        var folder = _runs!.PathOf("restarted");
        var url = Sqlite(folder);
        string[] args = ["run", _compare, "--out", folder, "--set", "workers=1", "--set", "threads=1"];
        var first = Start(args);
        var victim = WaitFor(url, first, units =>
            units.Count(u => u.State == TrialState.Complete) >= 10 ? units.FirstOrDefault(u => u.State == TrialState.Running && u.Params["kind"].GetString() == "evaluate") : null);
        Assert.IsNotNull(victim, "the run ended before it could be killed");
        Kill(first.Id);
        first.WaitForExit();
        Assert.IsFalse(File.Exists(Path.Combine(folder, "results.json")), "killed before it wrote results");

        AssertExit(0, Start(args));
        AssertEveryUnitCompleteOnce(Units(url), killed: victim.Number);
        Assert.AreEqual(_reference!.ToJsonString(), Rows(folder).ToJsonString());
    }

    [TestMethod]
    public void ASecondRunOfAFolderInUseJoinsItAsAWorkerOrNamesItsOwner()
    {
        var folder = _runs!.PathOf("shared-folder");
        var url = Sqlite(folder);
        string[] args = ["run", _compare, "--out", folder, "--set", "threads=1"];
        var owner = Start(args);
        Assert.IsNotNull(WaitFor(url, owner, units => units.FirstOrDefault(u => u.State == TrialState.Running)), "the first run never started a unit");

        var other = Start("run", _compare, "--out", folder, "--set", "threads=1", "--set", "seed=9");
        var joiner = Start(args);
        AssertExit(1, other);
        StringAssert.Contains(Output(other), $"is being written by process {owner.Id}");
        StringAssert.Contains(Output(other), "which runs another config");
        AssertExit(0, joiner);
        AssertExit(0, owner);

        var units = Units(url);
        AssertEveryUnitCompleteOnce(units);
        Assert.IsTrue(units.Any(u => Pid(u.Worker) == joiner.Id), "the second run worked units of the first");
        Assert.AreEqual(_reference!.ToJsonString(), Rows(folder).ToJsonString(), "written by the owner, the same rows");
    }

    [TestMethod]
    public void ThreeWorkersOnPostgresShareMemoriesThroughTheStoreAndGiveTheRowsOfOne()
    {
        var postgres = Environment.GetEnvironmentVariable("CONDENSA_TEST_POSTGRES");
        if (string.IsNullOrEmpty(postgres)) Assert.Inconclusive("set CONDENSA_TEST_POSTGRES to a PostgreSQL URL (.ci/run does)");
        var folder = _runs!.PathOf("postgres");
        AssertExit(0, Start("run", _compare, "--out", folder, "--set", "workers=3", "--set", "threads=1", "--set", $"storage={postgres}"));
        Assert.AreEqual(_reference!.ToJsonString(), Rows(folder).ToJsonString());

        using var store = StudyStorage.Open(postgres);
        var runId = File.ReadAllText(Path.Combine(folder, Condensa.Work.RunInfo.IdFile)).Trim();
        var study = store.StudyNames().Single(n => SearchStudy.Load(store, n).UserAttrs.TryGetValue("run_id", out var id) && id.GetString() == runId);
        var units = SearchStudy.Load(store, study).GetTrials().ToList();
        AssertEveryUnitCompleteOnce(units);
        Assert.IsTrue(units.Select(u => u.Worker).Distinct().Count() >= 2, "more than one worker ran units");
        Assert.HasCount(8, store.Files.Get(runId, "memories").Where(f => f.Path.EndsWith("/memory.json", StringComparison.Ordinal)).ToList(),
            "every memory is in the store for workers without the run folder");
    }

    [TestMethod]
    public void AContinualRunWhoseWorkerIsKilledAfterAStepContinuesFromItAndGivesTheResultsOfOneWorker()
    {
        var reference = _runs!.PathOf("continual-reference");
        AssertExit(0, Start("run", _continual, "--out", reference, "--set", "workers=1", "--set", "threads=1"));

        var folder = _runs.PathOf("continual-two");
        var url = Sqlite(folder);
        var run = Start("run", _continual, "--out", folder, "--set", "workers=2", "--set", "threads=1");
        // the local worker's run, once its first step is checkpointed and its second is under way
        var victim = WaitFor(url, run, units => units.FirstOrDefault(u =>
        {
            if (u.State != TrialState.Running || Pid(u.Worker) == run.Id) return false;
            var name = $"{u.Params["strategy"].GetString()}-{u.Params["builder"].GetString()}-seed0-";
            var checkpoints = Path.Combine(folder, "checkpoints");
            return Directory.Exists(checkpoints) && Directory.EnumerateDirectories(checkpoints, name + "*")
                .Any(d => File.Exists(Path.Combine(d, "step1.json")) && !File.Exists(Path.Combine(d, "step2.json")));
        }));
        Assert.IsNotNull(victim, "the local worker never ran a step");
        Kill(Pid(victim.Worker));
        AssertExit(0, run);

        var units = Units(url);
        AssertEveryUnitCompleteOnce(units, killed: victim.Number);
        Assert.AreEqual(1, units[victim.Number].UserAttrs["steps_from_checkpoint"].GetInt32(), "the killed run went on from its first step");
        static string Runs(string folder)
        {
            var runs = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "results.json")))!["runs"]!.AsArray();
            return string.Join("\n", runs.Select(r => $"{r!["strategy"]}/{r["builder"]}: " +
                string.Join(" | ", r["steps"]!.AsArray().Select(s => $"{s!["model_accuracies"]!.ToJsonString()} {s["accuracy_row"]!.ToJsonString()}"))));
        }
        Assert.AreEqual(Runs(reference), Runs(folder), "the accuracies of one worker, to the last digit");
    }
}
