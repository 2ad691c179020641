using System.Text.Json.Nodes;
using Condensa.Hosting;
using Condensa.Config;
using Condensa.Scenarios.Comparison;
using Condensa.Memory;
using Condensa.Study;
using Condensa.Tests.Support;

namespace Condensa.Tests.Scenarios.Comparison;

[TestClass]
public sealed class CompareScenarioTests
{
    private static string Yaml(string dataRoot, string builders, int epochs) => $$"""
        scenario: compare
        seed: 2
        dataset: { name: idx, path: {{dataRoot}} }
        builders: {{builders}}
        ipc: [1, 3]
        seeds: 2
        models: 2
        build_arch: convnet-w32-d1-instancenorm-relu-avgpool
        eval: { epochs: {{epochs}}, batch_size: 16, lr: 0.05, augmentation: none }
        """;

    private static int Run(string yaml, string dir)
    {
        var registry = ContinualTestData.Registry();
        var loader = new ConfigLoader(new ScenarioRegistry([new CompareScenario()]), registry);
        var (scenario, options) = loader.Bind(YamlConfig.Parse(yaml, "compare.yaml"), "compare.yaml");
        return scenario.Run(ContinualTestData.Context(dir, new RecordingLogger(), registry), options, CancellationToken.None);
    }

    /// <summary>Runs a config in the folder and returns the units of the study it worked (each config here is new: a new study).</summary>
    private static List<FrozenTrial> RunAndReadUnits(string yaml, string dir)
    {
        var before = StoredUnits.StudyNames(dir);
        Assert.AreEqual(0, Run(yaml, dir));
        return StoredUnits.Of(dir, StoredUnits.StudyNames(dir).Except(before).Single());
    }

    private static IEnumerable<FrozenTrial> Of(IEnumerable<FrozenTrial> units, string kind, string builder) =>
        units.Where(u => u.Params["kind"].GetString() == kind && u.Params["builder"].GetString() == builder);

    private static bool Built(FrozenTrial unit) => unit.UserAttrs["built"].GetBoolean();

    [TestMethod]
    public void WritesTheTableAndTheMemoriesAndARerunOnlyComputesWhatIsNew()
    {
        using var data = ContinualTestData.IdxPatches(train: (12, 1), test: (6, 2));
        using var folder = new TempRunFolder();
        var first = RunAndReadUnits(Yaml(data.Root, "[random]", 6), folder.Root);
        Assert.HasCount(4 + 4 * 2, first, "2 budgets x 2 seeds builds, each evaluated by 2 models");
        Assert.IsTrue(first.All(u => u.State == TrialState.Complete && u.Attempts == 1));
        Assert.IsTrue(Of(first, "build", "random").All(Built), "every memory was built");
        Assert.IsTrue(Of(first, "evaluate", "random").All(u => !Built(u) && u.After is not null), "an evaluation loads the memory its build unit made");

        var results = JsonNode.Parse(File.ReadAllText(folder.PathOf("results.json")))!;
        Assert.AreEqual("compare", results["scenario"]!.GetValue<string>());
        var rows = results["rows"]!.AsArray();
        Assert.HasCount(2, rows, "one row per (method, budget, arch)");
        foreach (var row in rows)
        {
            int ipc = row!["ipc"]!.GetValue<int>();
            Assert.AreEqual(4 * ipc, row["memory_images"]!.GetValue<int>());
            Assert.AreEqual(4, row["models"]!.GetValue<int>(), "2 memories x 2 models");
            double mean = row["accuracy_mean"]!.GetValue<double>();
            var accuracies = Of(first, "evaluate", "random").Where(u => u.Params["budget"].GetString() == $"ipc {ipc}").Select(u => u.Value!.Value).ToArray();
            Assert.AreEqual(accuracies.Average(), mean, 1e-6, "the row is the mean of its evaluation units");
        }
        foreach (var file in new[] { "results.csv", "results.md", "accuracy_vs_ipc.png" })
            Assert.IsTrue(File.Exists(folder.PathOf(file)), file);
        StringAssert.Contains(File.ReadAllText(folder.PathOf("results.md")), "**", "the best per column is bold");
        Assert.HasCount(4, Directory.EnumerateFiles(folder.PathOf("memories"), "*.png", SearchOption.AllDirectories).ToList(), "a PNG grid per memory");

        // one more builder: only its units run; the random units are reused with their results
        var second = RunAndReadUnits(Yaml(data.Root, "[random, {name: random, label: random-b}]", 6), folder.Root);
        Assert.IsTrue(second.Where(u => u.Params["builder"].GetString() == "random").All(u => u.State == TrialState.Complete && u.Attempts == 0), "reused, not run");
        Assert.IsTrue(Of(second, "build", "random-b").All(u => u.Attempts == 1 && Built(u)));
        var again = JsonNode.Parse(File.ReadAllText(folder.PathOf("results.json")))!["rows"]!.AsArray();
        Assert.HasCount(4, again);
        Assert.AreEqual(rows[0]!["accuracy_mean"]!.GetValue<double>(),
            again.First(r => r!["method"]!.GetValue<string>() == "random" && r["ipc"]!.GetValue<int>() == rows[0]!["ipc"]!.GetValue<int>())!["accuracy_mean"]!.GetValue<double>());

        // another evaluation schedule: no memory is rebuilt, but every memory is evaluated again
        var third = RunAndReadUnits(Yaml(data.Root, "[random]", 7), folder.Root);
        Assert.IsTrue(Of(third, "build", "random").All(u => u.Attempts == 0), "the builds are reused");
        Assert.IsTrue(Of(third, "evaluate", "random").All(u => u.Attempts == 1 && !Built(u)), "evaluated afresh on the kept memories");

        // the same label now names another builder: its memories are rebuilt in their slots and evaluated afresh
        var fourth = RunAndReadUnits(Yaml(data.Root, "[{name: herding, label: random, selection_epochs: 1}]", 7), folder.Root);
        Assert.IsTrue(Of(fourth, "build", "random").All(u => u.Attempts == 1 && Built(u)), "a slot holding another builder's memory is rebuilt");
        Assert.IsTrue(Of(fourth, "evaluate", "random").All(u => u.Attempts == 1));
        Assert.AreNotEqual(Of(third, "build", "random").First().UserAttrs["memory"].GetString(), Of(fourth, "build", "random").First().UserAttrs["memory"].GetString());
    }

    /// <summary>
    /// eval_for trains the models of one builder differently (as main.py does for DSA memories): the same memories of
    /// Fashion-MNIST, evaluated 1 epoch for one label and 30 for the other, give other accuracies, and results.json says
    /// which.
    /// </summary>
    [TestMethod]
    public void EvalForTrainsOneBuildersModelsWithItsOwnEpochs()
    {
        using var data = ContinualTestData.IdxPatches(train: (12, 1), test: (6, 2));
        using var folder = new TempRunFolder();
        var yaml = """
            scenario: compare
            seed: 2
            dataset: {name: fashion-mnist, train_per_class: 20}
            builders: [random, {name: random, label: longer}]
            ipc: [2]
            models: 2
            build_arch: convnet-w32-d1-instancenorm-relu-avgpool
            eval: {epochs: 1, batch_size: 16, lr: 0.01, augmentation: none}
            eval_for: [{builders: [longer], epochs: 30}]
            """;
        var units = RunAndReadUnits(yaml, folder.Root);
        CollectionAssert.AreEqual(Of(units, "build", "random").Select(u => u.UserAttrs["memory"].GetString()).ToList(),
            Of(units, "build", "longer").Select(u => u.UserAttrs["memory"].GetString()).ToList(), "the same memories");
        var rows = JsonNode.Parse(File.ReadAllText(folder.PathOf("results.json")))!["rows"]!.AsArray();
        int Epochs(string method) => rows.Where(r => r!["method"]!.GetValue<string>() == method).Select(r => r!["eval_epochs"]!.GetValue<int>()).Single();
        Assert.AreEqual(1, Epochs("random"));
        Assert.AreEqual(30, Epochs("longer"));
        double?[] Accuracies(string builder) => Of(units, "evaluate", builder).OrderBy(u => u.Params["model"].GetInt32()).Select(u => u.Value).ToArray();
        CollectionAssert.AreNotEqual(Accuracies("random"), Accuracies("longer"), "models trained 30 epochs are not those trained 1");

        var loader = new ConfigLoader(new ScenarioRegistry([new CompareScenario()]), ContinualTestData.Registry());
        var e = Assert.ThrowsExactly<ConfigurationException>(() => loader.Bind(YamlConfig.Parse(
            Yaml(data.Root, "[random]", 6) + "\neval_for: [{builders: [dsa], epochs: 1000}]\n", "bad.yaml"), "bad.yaml"));
        StringAssert.Contains(e.Message, "eval_for");
        StringAssert.Contains(e.Message, "'dsa' is not a builder of this run; builders: random");
    }

    /// <summary>
    /// Rows of one synthesizer that differ only in iterations form a sweep: the longer build waits for the shorter one and
    /// continues its synthesis from its checkpoint, and its memory is the one a build from scratch makes.
    /// </summary>
    [TestMethod]
    public void AnIterationSweepContinuesTheShorterSynthesisAndGivesTheSameMemory()
    {
        using var data = ContinualTestData.IdxPatches(train: (12, 1), test: (6, 2));
        using var swept = new TempRunFolder();
        using var alone = new TempRunFolder();
        const string Dm = "name: dm, batch_real: 8, checkpoint_every: 0";
        var units = RunAndReadUnits(Yaml(data.Root, $"[random, {{{Dm}, label: dm-2, iterations: 2}}, {{{Dm}, label: dm-4, iterations: 4}}]", 2), swept.Root);
        foreach (var longer in Of(units, "build", "dm-4"))
        {
            var shorter = Of(units, "build", "dm-2").Single(u => u.Params["budget"].GetString() == longer.Params["budget"].GetString() && u.Params["seed"].GetInt32() == longer.Params["seed"].GetInt32());
            Assert.AreEqual(shorter.Number, longer.After, "the longer build waits for the shorter one of its budget and seed");
            Assert.AreEqual(2, longer.UserAttrs["resumed_at_iteration"].GetInt32(), "it continued the shorter synthesis");
            Assert.IsFalse(shorter.UserAttrs.ContainsKey("resumed_at_iteration"), "the shorter one started from scratch");
        }
        Assert.IsNull(Of(units, "build", "dm-2").First().After);

        var single = RunAndReadUnits(Yaml(data.Root, $"[{{{Dm}, label: dm-4, iterations: 4}}]", 2), alone.Root);
        Assert.IsTrue(Of(single, "build", "dm-4").All(u => u.After is null && !u.UserAttrs.ContainsKey("resumed_at_iteration")), "one row is no sweep");
        foreach (var slot in new[] { "dm-4/ipc-1/seed0", "dm-4/ipc-3/seed1" })
        {
            using var continued = MemoryStore.Load(swept.PathOf($"memories/{slot}")).Memory;
            using var fresh = MemoryStore.Load(alone.PathOf($"memories/{slot}")).Memory;
            Assert.IsTrue(Tensors.Identical(((SyntheticMemory)continued).Images, ((SyntheticMemory)fresh).Images), $"{slot}: the continued synthesis gives the images of one from scratch");
        }

        var rows = JsonNode.Parse(File.ReadAllText(swept.PathOf("results.json")))!["rows"]!.AsArray();
        foreach (var (method, iterations) in new[] { ("dm-2", 2), ("dm-4", 4) })
            Assert.IsTrue(rows.Where(r => r!["method"]!.GetValue<string>() == method).All(r => r!["iterations"]!.GetValue<int>() == iterations && r["sweep"]!.GetValue<string>() == "dm"));
        Assert.IsTrue(rows.Where(r => r!["method"]!.GetValue<string>() == "random").All(r => r!["sweep"] is null && r["iterations"] is null));
        Assert.IsTrue(File.Exists(swept.PathOf("accuracy_vs_iterations.png")));
        Assert.IsFalse(File.Exists(alone.PathOf("accuracy_vs_iterations.png")));
        var md = File.ReadAllText(swept.PathOf("results.md"));
        StringAssert.Contains(md, "| sweep | 2 it. | 4 it. |");
        StringAssert.Contains(md, "| dm, ipc 3 | ");
    }

    [TestMethod]
    public void ASweepIsNamedByItsLabelsCommonBeginning()
    {
        MethodSpec Dm(string label, int iterations, int factor = 1) => new()
        {
            Name = "dm", Label = label, Options = new Condensa.Methods.Synthesis.DmOptions { Iterations = iterations, Factor = factor },
        };
        var sweeps = new IterationSweeps([Dm("dm-f2-100", 100, 2), Dm("dm-f2-1000", 1000, 2), Dm("dm-f2-300", 300, 2), Dm("plain", 100), Dm("other", 100)]);
        Assert.AreEqual("dm-f2", sweeps.SweepOf(Dm("dm-f2-300", 300, 2)));
        Assert.AreEqual("dm-f2-100", sweeps.Previous(Dm("dm-f2-300", 300, 2))?.DisplayName, "the longest shorter row before it");
        Assert.AreEqual("dm-f2-100", sweeps.Previous(Dm("dm-f2-1000", 1000, 2))?.DisplayName, "only rows listed before it");
        Assert.IsNull(sweeps.Previous(Dm("dm-f2-100", 100, 2)));
        Assert.IsNull(sweeps.SweepOf(Dm("plain", 100)), "same options and iterations: no sweep");
        var unnamed = new IterationSweeps([Dm("a", 10), Dm("b", 20)]);
        Assert.AreEqual("dm", unnamed.SweepOf(Dm("b", 20)), "no common beginning: the builder's name");
    }
}
