using System.Text.Json.Nodes;
using Condensa.Data;
using Condensa.Hosting;
using Condensa.Config;
using Condensa.Memory;
using Condensa.Methods;
using Condensa.Models;
using Condensa.Scenarios.Comparison;
using Condensa.Tests.Support;
using Condensa.Work;
using Microsoft.Extensions.DependencyInjection;
using Samples;
using Microsoft.Extensions.Logging.Abstractions;
using static TorchSharp.torch;
using Condensa.Runtime;

namespace Condensa.Tests.Examples;

/// <summary>
/// The worked example of docs/architecture.md, the plug-in sample's <see cref="EveryOtherSelector"/> (compiled into the
/// tests from samples/PluginSelector): registered by the sample's entry point beside every builder of
/// <see cref="MethodsModule"/>, chosen by name in a config, built through the memory pipeline and the compare scenario,
/// it picks exactly the indices worked out by hand.
/// </summary>
[TestClass]
public sealed class ExampleSelectorTests
{
    /// <summary>Every builder of Methods plus the example, registered by the sample's entry point as a host registers a plug-in's.</summary>
    internal static MemoryBuilderRegistry Registry()
    {
        var services = new ServiceCollection().AddCondensaMethods();
        new Plugin().ConfigureServices(services);
        return services.BuildServiceProvider().GetRequiredService<MemoryBuilderRegistry>();
    }

    private static ConfigLoader Loader(MemoryBuilderRegistry registry) => new(new ScenarioRegistry([new CompareScenario()]), registry);

    /// <summary>The builder a compare config names, bound by the real config loader.</summary>
    private static MethodSpec BuilderOf(string builders) =>
        ((CompareOptions)Loader(Registry()).Bind(YamlConfig.Parse($"scenario: compare\nbuilders: {builders}\n", "example.yaml"), "example.yaml").Options).Builders.Single();

    /// <summary>10 blank 1x2x2 images of 3 classes; class 0 holds samples 1, 3, 6, 7; class 1 holds 2, 5, 8; class 2 holds 0, 4, 9.</summary>
    private static LabeledDataset Toy() =>
        new("toy/train", zeros(10, 1, 2, 2), tensor(new long[] { 2, 0, 1, 0, 2, 1, 0, 0, 1, 2 }), ["a", "b", "c"], Normalization.Identity(1));

    [TestMethod]
    public void EveryOtherFromAConfigPicksTheHandComputedIndicesThroughThePipeline()
    {
        using var source = Toy();
        using var folder = new TempRunFolder();
        var spec = BuilderOf("[{name: every-other, offset: 0}]");
        Assert.AreEqual(0, ((EveryOtherOptions)spec.Options).Offset, "the option is bound from its snake_case key");
        var memory = new MemorySpec
        {
            Builder = spec, SourceKey = "toy", Budget = Budget.ImagesPerClass(2), Architecture = ArchitectureSpec.Default, Seed = 0, Slot = "every-other/ipc-2/seed0",
        };
        using var pipeline = new MemoryPipeline(Registry(), RunFiles.Local(folder.Root), new ExecutionSettings(CPU, 1), NullLogger.Instance, NullProgress.Instance);
        // every other, 2 per class: class 0 (1, 3, 6, 7) gives 1, 6; class 1 (2, 5, 8) gives 2, 8; class 2 (0, 4, 9) gives 0, 9
        long[] expected = [1, 6, 2, 8, 0, 9];
        using (var built = pipeline.Obtain(memory, source, CancellationToken.None))
        {
            Assert.IsTrue(built.Built);
            CollectionAssert.AreEqual(expected, ((SelectedMemory)built.Set).Indices);
        }
        using (var loaded = pipeline.Obtain(memory, source, CancellationToken.None))
        {
            Assert.IsFalse(loaded.Built, "the kept memory is loaded from memories/every-other/ipc-2/seed0, not built again");
            CollectionAssert.AreEqual(expected, ((SelectedMemory)loaded.Set).Indices);
        }
        Assert.AreEqual("every-other", MemoryStore.Load(folder.PathOf("memories/every-other/ipc-2/seed0")).Metadata.Method);
    }

    [TestMethod]
    public void EveryOtherRunsByNameInACompareRunAndGetsItsRow()
    {
        // 12 training images per class of 4 classes, labelled 0, 1, 2, 3, 0, 1, ... in file order
        using var data = ContinualTestData.IdxPatches(train: (12, 1), test: (3, 2));
        using var folder = new TempRunFolder();
        var yaml = $$"""
            scenario: compare
            seed: 2
            dataset: { name: idx, path: {{data.Root}} }
            builders: [{name: every-other, offset: 1}]
            ipc: [2]
            models: 1
            build_arch: convnet-w32-d1-instancenorm-relu-avgpool
            eval: { epochs: 1, batch_size: 16, lr: 0.05, augmentation: none }
            """;
        var registry = Registry();
        var (scenario, options) = Loader(registry).Bind(YamlConfig.Parse(yaml, "every-other.yaml"), "every-other.yaml");
        Assert.AreEqual(0, scenario.Run(ContinualTestData.Context(folder.Root, new RecordingLogger(), registry), options, CancellationToken.None));

        // class c holds c, c + 4, c + 8, ...: pass over one, then every other: c + 4 and c + 12
        var stored = MemoryStore.Load(folder.PathOf("memories/every-other/ipc-2/seed0"));
        CollectionAssert.AreEqual(new long[] { 4, 12, 5, 13, 6, 14, 7, 15 }, ((SelectedMemory)stored.Memory).Indices);
        var rows = JsonNode.Parse(File.ReadAllText(folder.PathOf("results.json")))!["rows"]!.AsArray();
        Assert.HasCount(1, rows);
        Assert.AreEqual("every-other", rows[0]!["method"]!.GetValue<string>());
        Assert.AreEqual(8, rows[0]!["memory_images"]!.GetValue<int>());
        Assert.AreEqual(1, rows[0]!["models"]!.GetValue<int>());
    }

    [TestMethod]
    public void ItsOptionsAreCheckedLikeEveryBuilders()
    {
        var misspelt = Assert.ThrowsExactly<ConfigurationException>(() => BuilderOf("[{name: every-other, ofset: 1}]"));
        StringAssert.Contains(misspelt.Message, "did you mean 'offset'?");
        var negative = Assert.ThrowsExactly<ConfigurationException>(() => BuilderOf("[{name: every-other, offset: -1}]"));
        StringAssert.Contains(negative.Message, "offset");
        var unknown = Assert.ThrowsExactly<ConfigurationException>(() => BuilderOf("[every-others]"));
        StringAssert.Contains(unknown.Message, "every-other");

        // class 1 holds 2, 5, 8: after an offset of 1 only 5 is left at an even place, too few for 2
        using var source = Toy();
        var e = Assert.ThrowsExactly<CondensaException>(() => Registry().Create(BuilderOf("[{name: every-other, offset: 1}]")).Build(
            new MemoryRequest { Method = "every-other", Source = source, Budget = Budget.ImagesPerClass(2) }, CancellationToken.None));
        StringAssert.Contains(e.Message, "every-other: class 1 has 3 images, too few for 2 with offset 1");
    }
}
