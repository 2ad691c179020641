using Condensa.Config;
using Condensa.Memory;
using Condensa.Methods;
using Condensa.Methods.Selection;
using Condensa.Methods.Selection.Geometry;
using Condensa.Methods.Selection.Scores;
using Condensa.Methods.Synthesis;
using Condensa.Models;
using Condensa.Tests.Methods.Synthesis;
using static TorchSharp.torch;

namespace Condensa.Tests.Methods;

/// <summary><c>shrink</c>: a larger memory from one builder, cut to the budget by a selector run on that memory.</summary>
[TestClass]
public sealed class ShrinkBuilderTests
{
    private static readonly ArchitectureSpec Tiny = ArchitectureSpec.Parse("convnet-w32-d1-instancenorm-relu-avgpool");

    private static MemoryBuilderRegistry Registry()
    {
        var registry = new MemoryBuilderRegistry();
        MethodsModule.Register(registry);
        return registry;
    }

    private static MemoryRequest Request(Condensa.Data.LabeledDataset data, int ipc, long seed, string method = "shrink") =>
        new() { Method = method, Source = data, Budget = Budget.ImagesPerClass(ipc), Architecture = Tiny, Seed = seed };

    [TestMethod]
    public void ASelectionOfASelectionIsASubsetOfItInTheOriginalIndices()
    {
        using var data = NoisyTemplates.Make(20, seed: 4);
        var shrink = new ShrinkBuilder(new ShrinkOptions
        {
            From = new MethodSpec { Name = "random", Options = new RandomOptions() },
            FromIpc = 6,
            By = new MethodSpec { Name = "herding", Options = new HerdingOptions { SelectionEpochs = 2, SelectionBatchSize = 8 } },
        }, Registry());
        var memory = (SelectedMemory)shrink.Build(Request(data, 2, seed: 9), CancellationToken.None);
        var larger = (SelectedMemory)new RandomSelector(new RandomOptions()).Build(Request(data, 6, Seeds.Derive(9, "from"), "random"), CancellationToken.None);
        Assert.HasCount(4, memory.Indices);
        CollectionAssert.IsSubsetOf(memory.Indices, larger.Indices, "picked out of the larger memory, in the source's indices");
        CollectionAssert.AreEquivalent(new long[] { 0, 0, 1, 1 }, memory.Indices.Select(i => data.Labels[i].item<long>()).ToArray());
        Assert.AreEqual(4, memory.Indices.Distinct().Count());
    }

    [TestMethod]
    public void ACondensedSetIsPrunedToSomeOfItsOwnImages()
    {
        using var data = NoisyTemplates.Make(24, seed: 5);
        var dm = new MethodSpec { Name = "dm", Options = new DmOptions { Iterations = 3, BatchReal = 16 } };
        var shrink = new ShrinkBuilder(new ShrinkOptions
        {
            From = dm, FromIpc = 5,
            By = new MethodSpec { Name = "yoco", Options = new YocoOptions { SelectionEpochs = 3, StopEpoch = 3, SelectionBatchSize = 8 } },
        }, Registry());
        var pruned = (SyntheticMemory)shrink.Build(Request(data, 2, seed: 3), CancellationToken.None);
        var condensed = (SyntheticMemory)new DistributionMatching((DmOptions)dm.Options).Build(Request(data, 5, Seeds.Derive(3, "from")), CancellationToken.None);
        Assert.AreEqual(4L, pruned.Images.shape[0]);
        CollectionAssert.AreEquivalent(new long[] { 0, 0, 1, 1 }, pruned.Labels.data<long>().ToArray());
        for (int i = 0; i < 4; i++)
        {
            // each kept image is one of the condensed images of its class
            var distance = (condensed.Images - pruned.Images[i]).flatten(1).abs().amax(1);
            var match = distance.argmin().item<long>();
            Assert.AreEqual(0f, distance[match].item<float>(), 1e-6f, $"image {i} is not one of the condensed images");
            Assert.AreEqual(pruned.Labels[i].item<long>(), condensed.Labels[match].item<long>());
        }
    }

    [TestMethod]
    public void ABudgetAboveTheLargerMemoryIsAnError()
    {
        using var data = NoisyTemplates.Make(8, seed: 1);
        var shrink = new ShrinkBuilder(new ShrinkOptions { From = new MethodSpec { Name = "random", Options = new RandomOptions() }, FromIpc = 3 }, Registry());
        var e = Assert.ThrowsExactly<CondensaException>(() => shrink.Build(Request(data, 4, seed: 0), CancellationToken.None));
        StringAssert.Contains(e.Message, "exceeds from_ipc = 3");
    }
}
