using Condensa.Data;
using Condensa.Memory;
using Condensa.Methods;
using Condensa.Methods.Selection.Geometry;
using Condensa.Methods.Selection.Scores;
using static TorchSharp.torch;

namespace Condensa.Tests.Methods.Selection;

/// <summary>
/// Coverage-aware selection and hybrid memories by hand: CCS's cutoff, strata and allocation on a hand-made score
/// vector, Moderate-DS's median band on a hand-made 2-D set, D2's message passing on a 4-node graph, and hybrid's split
/// of the budget and its files.
/// </summary>
[TestClass]
public sealed class CoverageTests
{
    [TestMethod]
    public void CcsPrunesTheHardestThenSamplesEveryStratum()
    {
        var difficulty = Enumerable.Range(0, 10).Select(i => (float)i).ToArray();   // sample i has difficulty i
        int[] pool = [.. Enumerable.Range(0, 10)];
        // β 0.2 prunes 8 and 9; two strata of width 3.5 over [0, 7]: {0..3} and {4..7}; 4 picks, two from each
        for (int seed = 0; seed < 5; seed++)
        {
            var picked = CcsSelector.Select(pool, difficulty, 4, beta: 0.2, strata: 2, new Random(seed));
            Assert.HasCount(4, picked);
            Assert.IsFalse(picked.Any(i => i >= 8), "the hardest 20 % are never picked");
            Assert.AreEqual(2, picked.Count(i => i <= 3), string.Join(",", picked));
            Assert.AreEqual(2, picked.Count(i => i is >= 4 and <= 7), string.Join(",", picked));
            Assert.AreEqual(4, picked.Distinct().Count());
        }
        var bins = CcsSelector.Strata([0, 1, 2, 3, 4, 5, 6, 7], difficulty, 3);   // width 7/3: [0, 2.33), [2.33, 4.67), [4.67, 7]
        CollectionAssert.AreEqual(new[] { 0, 1, 2 }, bins[0]);
        CollectionAssert.AreEqual(new[] { 3, 4 }, bins[1]);
        CollectionAssert.AreEqual(new[] { 5, 6, 7 }, bins[2], "the top of the range falls in the last stratum");
        // the budget cannot fit after the cutoff: the cutoff shrinks so that the budget fits
        var all = CcsSelector.Select(pool, difficulty, 9, beta: 0.5, strata: 2, new Random(0));
        Assert.HasCount(9, all);
        Assert.IsFalse(all.Contains(9), "still the hardest one pruned");
    }

    [TestMethod]
    public void CcsAllocatesSmallestStratumFirst()
    {
        // sizes 0, 1, 5, 3 and a budget of 7: by size 0 → 0, 1 → min(1, 7/3) = 1, 3 → min(3, 6/2) = 3, 5 → min(5, 3/1) = 3
        CollectionAssert.AreEqual(new[] { 0, 1, 3, 3 }, CcsSelector.Allocate([0, 1, 5, 3], 7));
        CollectionAssert.AreEqual(new[] { 1, 2, 2 }, CcsSelector.Allocate([2, 2, 2], 5));
        var e = Assert.ThrowsExactly<CondensaException>(() => CcsSelector.Allocate([1, 1], 3));
        StringAssert.Contains(e.Message, "hold 2 samples, fewer than the budget of 3");
    }

    [TestMethod]
    public void ModerateKeepsTheDistancesRankedNearestTheMedian()
    {
        // distances 0.1, 5, 2, 3, 1 rank as 0, 4, 2, 3, 1; the median rank is 2 (position 2); then ranks 1 and 3
        var one = ModerateSelector.Band([0.1f, 5, 2, 3, 1], 1);
        CollectionAssert.AreEqual(new long[] { 2 }, one.Order);
        CollectionAssert.AreEqual(new long[] { 2, 4, 3 }, ModerateSelector.Band([0.1f, 5, 2, 3, 1], 3).Order);

        // a 2-D class: the coordinate-wise median of (0,0), (1,0), (0,1), (3,0), (0,5) is (0, 0); distances 0, 1, 1, 3, 5
        using var embeddings = tensor(new float[] { 0, 0, 1, 0, 0, 1, 3, 0, 0, 5 }).reshape(5, 2);
        using var labels = zeros(5, ScalarType.Int64);
        using var probabilities = full(5, 1, 1f);
        var view = new DynamicsView(embeddings, probabilities, labels);
        using var pool = arange(5, ScalarType.Int64);
        var picked = new ModerateSelector(new ModerateOptions()).SelectFrom(view, pool, 1, null!, 0);
        CollectionAssert.AreEqual(new long[] { 2 }, picked.Order, "the middle rank: the second of the two at distance 1");
        Assert.AreEqual(1f, picked.Scores[0], 1e-6);
    }

    [TestMethod]
    public void D2PassesDifficultyToNeighboursAndPicksLowerThem()
    {
        // a chain 0 - 1 - 2 - 3 with every edge at distance ln 2, so exp(−d) = 0.5; difficulties 1, 2, 3, 4
        double d = Math.Log(2);
        var graph = new List<(int Node, double Distance)>[]
        {
            [(1, d)], [(0, d), (2, d)], [(1, d), (3, d)], [(2, d)],
        };
        // forward: s' = 1 + 0.5·2 = 2, 2 + 0.5·(1 + 3) = 4, 3 + 0.5·(2 + 4) = 6, 4 + 0.5·3 = 5.5 → node 2 first;
        // reverse (γ 1: exp(−γd) = 0.5): node 1 → 4 − 0.5·6 = 1, node 3 → 5.5 − 3 = 2.5 → node 3 next
        var (order, scores) = D2Selector.Select(graph, [1, 2, 3, 4], 2, gamma: 1);
        CollectionAssert.AreEqual(new[] { 2, 3 }, order);
        Assert.AreEqual(6, scores[0], 1e-9);
        Assert.AreEqual(2.5, scores[1], 1e-9);
    }

    [TestMethod]
    public void D2BuildsASymmetricNearestNeighbourGraph()
    {
        // points on a line at 0, 1, 3, 10: nearest neighbours 0→1, 1→0, 3→1, 10→3; made symmetric
        using var x = tensor(new float[] { 0, 1, 3, 10 }).reshape(4, 1);
        var graph = D2Selector.Graph(x, 1);
        CollectionAssert.AreEquivalent(new[] { 1 }, graph[0].Select(e => e.Node).ToArray());
        CollectionAssert.AreEquivalent(new[] { 0, 2 }, graph[1].Select(e => e.Node).ToArray());
        CollectionAssert.AreEquivalent(new[] { 1, 3 }, graph[2].Select(e => e.Node).ToArray());
        CollectionAssert.AreEquivalent(new[] { 2 }, graph[3].Select(e => e.Node).ToArray());
        Assert.AreEqual(7, graph[3][0].Distance, 1e-5);
    }

    [TestMethod]
    public void HybridSplitsEachClassesBudgetRoundingHalfToTheSyntheticPart()
    {
        var half = new HybridOptions();
        Assert.AreEqual((0, 1), half.Split(1));
        Assert.AreEqual((2, 3), half.Split(5));
        Assert.AreEqual((5, 5), half.Split(10));
        Assert.AreEqual((7, 3), new HybridOptions { SyntheticShare = 0.3 }.Split(10));
        Assert.AreEqual((20, 0), new HybridOptions { SyntheticShare = 0 }.Split(20));
    }

    [TestMethod]
    public void AHybridMemoryBuildsBothPartsFromTheirOwnSeedsAndRoundTripsThroughItsFiles()
    {
        using var source = Synthesis.NoisyTemplates.Make(16, seed: 5);   // 2 classes of 16, 1 x 8 x 8
        var registry = new MemoryBuilderRegistry();
        MethodsModule.Register(registry);
        var options = new HybridOptions
        {
            Real = new() { Name = "random", Options = new Condensa.Methods.Selection.RandomOptions() },
            Synthetic = new() { Name = "dm", Options = new Condensa.Methods.Synthesis.DmOptions { Iterations = 2, BatchReal = 8, Factor = 2, PixelBits = 8 } },
        };
        MemoryRequest Request(long seed) => new()
        {
            Method = "hybrid", Source = source, Budget = Budget.ImagesPerClass(3), Seed = seed,
            Architecture = Condensa.Models.ArchitectureSpec.Parse("convnet-w32-d1-instancenorm-relu-avgpool"),
        };
        using var memory = (HybridMemory)new HybridBuilder(options, registry).Build(Request(4), CancellationToken.None);
        Assert.AreEqual(2, memory.Real.Count, "ipc 3 at share 0.5: one real image per class");
        Assert.AreEqual(4, memory.Synthetic.Count, "two synthetic per class");
        Assert.AreEqual(6, memory.Count);
        Assert.AreEqual(2 + 4 * 4, memory.TrainingImages, "the synthetic part decodes 4 images each");
        Assert.AreEqual(6 * (64 + 1), memory.StoredBytes(source.Shape), "8-bit pixels throughout");
        var alone = (SelectedMemory)registry.Create("random").Build(new MemoryRequest
        {
            Method = "random", Source = source, Budget = Budget.ImagesPerClass(1), Seed = Seeds.Derive(4, "real"),
        }, CancellationToken.None);
        CollectionAssert.AreEqual(alone.Indices, memory.Real.Indices, "the real part is the selector's memory under the seed derived as 'real'");
        using (var trained = memory.Materialize(source))
            CollectionAssert.AreEqual(new long[] { 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1 }, trained.LabelArray.ToArray(), "real first, then the decoded synthetic images");

        var folder = Path.Combine(Path.GetTempPath(), "condensa-tests-hybrid", Guid.NewGuid().ToString("N"));
        try
        {
            MemoryStore.Save(folder, memory, source, new MemoryInfo("hybrid", options, Seed: 4));
            var stored = MemoryStore.Load(folder);
            using var loaded = (HybridMemory)stored.Memory;
            Assert.AreEqual("hybrid", stored.Metadata.Kind);
            CollectionAssert.AreEqual(memory.Real.Indices, loaded.Real.Indices);
            Assert.IsTrue(loaded.Synthetic.Images.equal(memory.Synthetic.Images).all().item<bool>());
            Assert.AreEqual(2, loaded.Synthetic.Factor);
            Assert.AreEqual(18, stored.Metadata.TrainingImages);
            Assert.AreEqual(6 * 65, stored.Metadata.StoredBytes);
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }
}
