using System.Diagnostics;
using System.Text.Json.Nodes;
using Condensa.Config;
using Condensa.Hosting;
using Condensa.Models;
using Condensa.Scenarios.ArchitectureSearch;
using Condensa.Scenarios.Cli;
using Condensa.Study;
using Condensa.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using TorchSharp;
using static TorchSharp.torch;

namespace Condensa.Tests.Scenarios.ArchitectureSearch;

/// <summary>
/// The search mode of nas: successive halving's rungs by hand, rungs planned only from finished ones (also when the
/// coordinator is stopped between two rungs), the whole-set phase of the proxy's best, NASWOT by hand, and the plan of
/// the whole 720-candidate space.
/// </summary>
[TestClass]
public sealed class NasSearchTests
{
    [TestMethod]
    public void SuccessiveHalvingKeepsTheBestThirdOfEachRungTiesToTheEarlierCandidate()
    {
        var halving = new SuccessiveHalving { Rungs = 3, Eta = 3 };
        CollectionAssert.AreEqual(new[] { 9, 3, 1 }, halving.Sizes(9));
        CollectionAssert.AreEqual(new[] { 3, 9, 27 }, Enumerable.Range(0, 3).Select(r => halving.Epochs(27, r)).ToArray());
        CollectionAssert.AreEqual(new[] { 240, 80, 26 }, new SuccessiveHalving { Rungs = 3, Eta = 3 }.Sizes(720).Select(n => n / 3).ToArray(), "720 → 720, 240, 80");
        // nine candidates a..i: values with ties; the best ⌊9/3⌋ = 3, ties to the earlier position
        (string, int, double)[] rung0 = [("a", 0, 0.5), ("b", 1, 0.9), ("c", 2, 0.7), ("d", 3, 0.9), ("e", 4, 0.1), ("f", 5, 0.7), ("g", 6, 0.3), ("h", 7, 0.2), ("i", 8, 0.6)];
        CollectionAssert.AreEqual(new[] { "b", "d", "c" }, halving.Survivors(rung0).ToArray());
        CollectionAssert.AreEqual(new[] { "b" }, halving.Survivors([("d", 3, 0.8), ("b", 1, 0.8), ("c", 2, 0.4)]).ToArray(), "a tie goes to the earlier candidate");
        CollectionAssert.AreEqual(new[] { "x" }, halving.Survivors([("x", 0, 0.2)]).ToArray(), "at least one goes on");
    }

    [TestMethod]
    public void NaswotIsTheLogDeterminantOfTheActivationCodesKernel()
    {
        // three images, two activation layers: codes [1,0], [1,1], [0,0] and [1], [0], [1]
        using var first = tensor(new float[] { 2, -1, 3, 4, -5, 0 }).reshape(3, 2);
        using var second = tensor(new float[] { 1, -2, 7 }).reshape(3, 1);
        // agreements: layer 1: [[2,1,1],[1,2,0],[1,0,2]], layer 2: [[1,0,1],[0,1,0],[1,0,1]] → K = [[3,1,2],[1,3,0],[2,0,3]]
        // det K = 3(9 - 0) - 1(3 - 0) + 2(0 - 6) = 27 - 3 - 12 = 12
        Assert.AreEqual(Math.Log(12), Naswot.Score([first, second]), 1e-9);
        Assert.AreEqual(double.NegativeInfinity, Naswot.Score([]), "no activation: no score");

        // on a network: the inputs of its activation layers, read before the in-place ReLU overwrites them
        var spec = ArchitectureSpec.Parse("convnet-w32-d2-none-relu-avgpool");
        using var net = ModelFactory.Create(spec, new Data.ImageShape(1, 8, 8), 3, seed: 4);
        using var batch = randn(5, 1, 8, 8, generator: new Generator(2));
        var inputs = new List<Tensor>();
        using (no_grad())
            net.EmbedLayerByLayer(batch, (layer, x) => { if (layer is TorchSharp.Modules.ReLU) inputs.Add(x.clone()); });
        Assert.HasCount(2, inputs, "one ReLU per block");
        Assert.AreEqual(Naswot.Score(inputs), Naswot.Score(net, batch), 1e-9);
    }

    private static (RunContext Context, NasOptions Options) Search(string folder, string dataPath, RecordingLogger log, int workers = 1)
    {
        using var host = CondensaCli.BuildHost(verbose: false);
        var yaml = $$"""
            scenario: nas
            mode: search
            dataset: {name: idx, path: {{dataPath}}, validation_fraction: 0.2}
            space: {widths: [32], depths: [1, 2, 3], norms: [instancenorm], activations: [relu, leakyrelu, sigmoid], poolings: [avgpool]}
            repeats: 1
            early_stopping: false
            workers: {{workers}}
            proxies: [{builder: random, ipc: 2, pruning: {rungs: 3, eta: 3} }]
            proxy_train: {epochs: 9, batch_size: 4, lr: 0.01}
            whole_train: {epochs: 2, batch_size: 16, lr: 0.01}
            search: {top: 1, random_baseline: 2}
            """;
        var (_, options) = host.Services.GetRequiredService<ConfigLoader>().Bind(YamlConfig.Parse(yaml, "search.yaml"), "search.yaml");
        return (ContinualTestData.Context(folder, log, ContinualTestData.Registry()), (NasOptions)options);
    }

    /// <summary>The run's studies by label and rung, with their units.</summary>
    private static Dictionary<string, List<FrozenTrial>> Studies(string folder)
    {
        using var store = StudyStorage.Open("sqlite:" + Path.Combine(folder, "study.db"));
        return store.StudyNames().Select(n => SearchStudy.Load(store, n))
            .ToDictionary(s => s.UserAttrs["label"].GetString() + (s.UserAttrs.TryGetValue("rung", out var r) ? $"/rung{r.GetInt32()}" : ""), s => s.GetTrials().ToList());
    }

    private static string[] Archs(IEnumerable<FrozenTrial> units) => units.Select(u => u.Params["arch"].GetString()!).ToArray();

    [TestMethod]
    public void ASearchPlansEachRungFromTheFinishedOneAndTrainsTheBestOnTheWholeSet()
    {
        using var data = NasWorkerProcessTests.TinyIdx();
        using var folder = new TempRunFolder();
        var (ctx, o) = Search(folder.Root, data.Root, new RecordingLogger(), workers: 2);
        Assert.AreEqual(0, ((IScenario)new NasScenario()).Run(ctx, o, CancellationToken.None));
        var studies = Studies(folder.Root);
        var space = o.Space.Candidates(o.Seed).Select(c => c.ToString()).ToList();
        Assert.HasCount(9, studies["random/rung0"]);
        for (int r = 1; r < 3; r++)
        {
            var before = studies[$"random/rung{r - 1}"];
            var expected = new SuccessiveHalving { Rungs = 3, Eta = 3 }.Survivors(before.Select(u => (u.Params["arch"].GetString()!, space.IndexOf(u.Params["arch"].GetString()!), u.Value!.Value)).ToList());
            CollectionAssert.AreEquivalent(expected.ToArray(), Archs(studies[$"random/rung{r}"]), $"rung {r} trains the survivors of rung {r - 1}");
            var lastFinished = before.Max(u => u.FinishedAt!.Value);
            Assert.IsTrue(studies[$"random/rung{r}"].All(u => u.StartedAt >= lastFinished), $"no unit of rung {r} starts before rung {r - 1} is finished");
        }
        var (top, random, _) = NasScenario.SearchCandidates(o, studies["random/rung2"].Select(u => (u.Params["arch"].GetString()!, space.IndexOf(u.Params["arch"].GetString()!), u.Value!.Value)).ToList());
        CollectionAssert.AreEquivalent(top.Concat(random).Distinct().ToArray(), Archs(studies["search-whole"]), "the proxy's best and the random baseline on the whole set");
        var results = JsonNode.Parse(File.ReadAllText(Path.Combine(folder.Root, "results.json")))!;
        Assert.AreEqual("search", results["mode"]!.GetValue<string>());
        Assert.AreEqual(top[0], results["chosen"]!["arch"]!.GetValue<string>(), "the chosen one is the proxy's best (top 1)");
        Assert.IsNotNull(results["chosen"]!["test_accuracy"]);
        Assert.HasCount(3 + 1, results["phases"]!.AsArray().Where(p => p!["phase"]!.GetValue<string>() != "proxy set").ToList(), "three rungs and the whole set");
    }

    [TestMethod]
    public void ASearchStoppedBetweenRungsResumesWithTheSameSurvivors()
    {
        using var data = NasWorkerProcessTests.TinyIdx();
        using var whole = new TempRunFolder();
        var (ctx, o) = Search(whole.Root, data.Root, new RecordingLogger());
        Assert.AreEqual(0, ((IScenario)new NasScenario()).Run(ctx, o, CancellationToken.None));

        using var stopped = new TempRunFolder();
        using var cancel = new CancellationTokenSource();
        var log = new RecordingLogger(message => { if (message.Contains("rung 0 done", StringComparison.Ordinal)) cancel.Cancel(); });
        (ctx, o) = Search(stopped.Root, data.Root, log);
        Assert.ThrowsExactly<OperationCanceledException>(() => ((IScenario)new NasScenario()).Run(ctx, o, cancel.Token));
        Assert.IsFalse(Studies(stopped.Root).ContainsKey("random/rung2"), "stopped before rung 2");
        (ctx, o) = Search(stopped.Root, data.Root, new RecordingLogger());
        Assert.AreEqual(0, ((IScenario)new NasScenario()).Run(ctx, o, CancellationToken.None));
        var (a, b) = (Studies(whole.Root), Studies(stopped.Root));
        foreach (var study in new[] { "random/rung1", "random/rung2", "search-whole" })
            CollectionAssert.AreEquivalent(Archs(a[study]), Archs(b[study]), study);
    }

    [TestMethod]
    public void TheWhole720CandidateSpacePlansItsUnitsAtOnce()
    {
        using var data = NasWorkerProcessTests.TinyIdx();
        using var folder = new TempRunFolder();
        using var host = CondensaCli.BuildHost(verbose: false);
        var yaml = $$"""
            scenario: nas
            mode: search
            dataset: {name: idx, path: {{data.Root}}, validation_fraction: 0.2}
            early_stopping: false
            proxies: [{builder: random, ipc: 2, pruning: {rungs: 3, eta: 3} }]
            """;
        var (_, options) = host.Services.GetRequiredService<ConfigLoader>().Bind(YamlConfig.Parse(yaml, "space.yaml"), "space.yaml");
        var o = (NasOptions)options;
        Directory.CreateDirectory(folder.Root);
        using var storage = StudyStorage.Open("sqlite:" + Path.Combine(folder.Root, "study.db"));
        var run = new Work.RunInfo("nas", ConfigWriter.ToYaml(o), folder.Root, Work.RunInfo.IdOf(folder.Root), "cpu", 1, 10, MemorySharing.Folder, 256);
        var ctx = ContinualTestData.Context(folder.Root, new RecordingLogger(), ContinualTestData.Registry());
        var clock = Stopwatch.StartNew();
        var studies = new NasScenario().Plan(new Work.PlanContext
        {
            Storage = storage, Run = run, Context = ctx, Files = Work.RunFiles.Local(folder.Root), Settings = new Runtime.ExecutionSettings(CPU, 1),
        }, o, CancellationToken.None);
        double seconds = clock.Elapsed.TotalSeconds;
        Assert.AreEqual(720, o.Space.Candidates(o.Seed).Count, "the whole space by default");
        Assert.HasCount(1, studies, "rung 0 of the proxy; the other rungs and the whole-set phase follow from its results");
        Assert.HasCount(720, studies[0].GetTrials());
        Assert.HasCount(4, new NasScenario().StudyNames(o, run), "three rungs and the whole-set phase, named before they exist");
        Console.WriteLine($"planned 720 units in {seconds:0.00} s");
    }
}
