using Condensa.Data;
using Condensa.Config;
using Condensa.Memory;
using Condensa.Methods;
using Condensa.Methods.Selection.Dynamics;
using Condensa.Models;
using static TorchSharp.torch;

namespace Condensa.Tests.Methods.Selection.Geometry;

/// <summary>Every geometric selector through the registry, recording a tiny ConvNet on a tiny two-class dataset.</summary>
[TestClass]
public sealed class EndToEndTests
{
    private static readonly ArchitectureSpec Tiny = ArchitectureSpec.Parse("convnet-w32-d1-instancenorm-relu-avgpool");
    // one recording shared by all selectors, as in a run
    private static readonly InMemoryArtifactCache Cache = new();
    private static LabeledDataset? _data;

    /// <summary>Two classes of 1x8x8 images: class c lights the left (0) or right (1) half, plus Gaussian noise; 6 per class, interleaved.</summary>
    private static LabeledDataset Data => _data ??= Halves();

    private static LabeledDataset Halves()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(5);
        var labels = arange(12, ScalarType.Int64).remainder(2);
        var patterns = zeros(2, 1, 8, 8);
        patterns[0, .., .., ..4] = 1;
        patterns[1, .., .., 4..] = 1;
        var x = patterns.index_select(0, labels) + 0.5f * randn([12, 1, 8, 8], generator: g);
        return new LabeledDataset("halves", x.MoveToOuterDisposeScope(), labels.MoveToOuterDisposeScope(), ["left", "right"], Normalization.Identity(1));
    }

    [TestMethod]
    [DynamicData(nameof(GeometryFixtures.Selectors), typeof(GeometryFixtures))]
    public void SelectsTwoPerClassAfterRecording(string name)
    {
        var registry = new MemoryBuilderRegistry();
        MethodsModule.Register(registry);
        var options = (SelectionModelOptions)Activator.CreateInstance(registry.OptionsType(name)!)!;
        options.SelectionEpochs = 2;
        options.SelectionBatchSize = 4;
        var builder = registry.Create(new MethodSpec { Name = name, Options = options });
        var memory = (SelectedMemory)builder.Build(new MemoryRequest { Method = name, Source = Data, Budget = Budget.ImagesPerClass(2), Architecture = Tiny, Seed = 3, Cache = Cache }, default);
        Assert.HasCount(4, memory.Indices, name);
        Assert.AreEqual(4, memory.Indices.Distinct().Count(), $"{name}: distinct");
        var labels = Data.LabelArray.ToArray();
        Assert.IsTrue(memory.Indices.All(i => i >= 0 && i < Data.Count), $"{name}: valid");
        CollectionAssert.AreEqual(new long[] { 0, 0, 1, 1 }, memory.Indices.Select(i => labels[i]).ToArray(), $"{name}: two per class, class by class");
    }
}
