using System.Text.Json.Nodes;
using Condensa.Hosting;
using Condensa.Hosting.Config;
using Condensa.Scenarios.Comparison;
using Condensa.Tests.Continual;
using Condensa.Tests.Data;

namespace Condensa.Tests.Comparison;

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

    private static int Run(string yaml, string dir, RecordingLogger log)
    {
        var registry = ContinualTestData.Registry();
        var loader = new ConfigLoader(new ScenarioRegistry([new CompareScenario()]), registry);
        var (scenario, options) = loader.Bind(YamlConfig.Parse(yaml, "compare.yaml"), "compare.yaml");
        return scenario.Run(ContinualTestData.Context(dir, log, registry), options, CancellationToken.None);
    }

    [TestMethod]
    public void WritesTheTableAndTheMemoriesAndARerunOnlyComputesWhatIsNew()
    {
        using var data = ContinualTestData.IdxPatches(train: (12, 1), test: (6, 2));
        using var folder = new TempRunFolder();
        var first = new RecordingLogger();
        Assert.AreEqual(0, Run(Yaml(data.Root, "[random]", 6), folder.Root, first));

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
            Assert.IsTrue(mean is >= 0 and <= 1);
        }
        foreach (var file in new[] { "results.csv", "results.md", "accuracy_vs_ipc.png" })
            Assert.IsTrue(File.Exists(folder.PathOf(file)), file);
        StringAssert.Contains(File.ReadAllText(folder.PathOf("results.md")), "**", "the best per column is bold");
        Assert.IsTrue(Directory.EnumerateFiles(folder.PathOf("memories"), "*.png", SearchOption.AllDirectories).Any(), "a PNG grid per memory");
        Assert.AreEqual(4, first.Messages.Count(m => m.StartsWith("building random")), "2 budgets x 2 seeds");

        // one more builder: only its memories are built; the random rows come back unchanged
        var second = new RecordingLogger();
        Assert.AreEqual(0, Run(Yaml(data.Root, "[random, {name: random, label: random-b}]", 6), folder.Root, second));
        Assert.AreEqual(0, second.Messages.Count(m => m.StartsWith("building random ")), "the random memories are loaded");
        Assert.AreEqual(4, second.Messages.Count(m => m.StartsWith("building random-b")));
        var again = JsonNode.Parse(File.ReadAllText(folder.PathOf("results.json")))!["rows"]!.AsArray();
        Assert.HasCount(4, again);
        Assert.AreEqual(rows[0]!["accuracy_mean"]!.GetValue<double>(),
            again.First(r => r!["method"]!.GetValue<string>() == "random" && r["ipc"]!.GetValue<int>() == rows[0]!["ipc"]!.GetValue<int>())!["accuracy_mean"]!.GetValue<double>());

        // another evaluation schedule: nothing is rebuilt, but every memory is evaluated again
        var third = new RecordingLogger();
        Assert.AreEqual(0, Run(Yaml(data.Root, "[random]", 7), folder.Root, third));
        Assert.AreEqual(0, third.Messages.Count(m => m.StartsWith("building")));
        foreach (var cellFolder in Directory.EnumerateDirectories(folder.PathOf("cells/random"), "seed*", SearchOption.AllDirectories))
            Assert.HasCount(2, Directory.GetFiles(cellFolder, "*.json"), $"{cellFolder}: one evaluation per schedule, the 6-epoch one is not reused");

        // the same label now names another builder: its memories are rebuilt and evaluated afresh, never read from the old cells
        var fourth = new RecordingLogger();
        Assert.AreEqual(0, Run(Yaml(data.Root, "[{name: herding, label: random, selection_epochs: 1}]", 7), folder.Root, fourth));
        Assert.AreEqual(4, fourth.Messages.Count(m => m.StartsWith("building random")));
        foreach (var cellFolder in Directory.EnumerateDirectories(folder.PathOf("cells/random"), "seed*", SearchOption.AllDirectories))
            Assert.HasCount(3, Directory.GetFiles(cellFolder, "*.json"), $"{cellFolder}: the rebuilt memory got its own 7-epoch evaluation");
    }
}
