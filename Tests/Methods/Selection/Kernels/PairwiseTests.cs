using Condensa.Methods.Selection.Kernels;
using TorchSharp;
using static Condensa.Tests.Methods.Selection.SelectionTestData;
using static TorchSharp.torch;

namespace Condensa.Tests.Methods.Selection.Kernels;

[TestClass]
public sealed class PairwiseTests
{
    private static readonly double[][] A = Points(7, 5, seed: 1);
    private static readonly double[][] B = Points(9, 5, seed: 2);

    [TestMethod]
    public void SquaredEuclidean_MatchesDoubleLoop()
    {
        using var scope = NewDisposeScope();
        var d = ToArray(Pairwise.SquaredEuclidean(ToTensor(A), ToTensor(B)));
        for (var i = 0; i < A.Length; i++)
            for (var j = 0; j < B.Length; j++)
                Assert.AreEqual(SquaredDistance(A[i], B[j]), d[i, j], 1e-12);
    }

    [TestMethod]
    public void SquaredEuclidean_OfRowsWithThemselves_IsZeroNeverNegative()
    {
        using var scope = NewDisposeScope();
        var big = ToTensor(Points(30, 64, seed: 3), ScalarType.Float32) * 1000;
        var d = Pairwise.SquaredEuclidean(big, big);
        Assert.IsTrue(d.min().item<float>() >= 0);
        Assert.IsTrue(d.diagonal().abs().max().item<float>() < 1e-6f * big.square().sum(1).max().item<float>());
    }

    [TestMethod]
    public void SquaredEuclidean_WithPrecomputedNorms_EqualsPlain()
    {
        using var scope = NewDisposeScope();
        var (a, b) = (ToTensor(A), ToTensor(B));
        Assert.IsTrue(Pairwise.SquaredEuclidean(a, b, Pairwise.SquaredNorms(b)).allclose(Pairwise.SquaredEuclidean(a, b), rtol: 0, atol: 1e-12));
    }

    [TestMethod]
    public void Cosine_MatchesDoubleLoop_ZeroRowHasSimilarityZero()
    {
        using var scope = NewDisposeScope();
        var a = A.Append(new double[5]).ToArray();
        var c = ToArray(Pairwise.Cosine(ToTensor(a), ToTensor(B)));
        for (var i = 0; i < a.Length; i++)
            for (var j = 0; j < B.Length; j++)
                Assert.AreEqual(Cosine(a[i], B[j]), c[i, j], 1e-12);
        Assert.AreEqual(0.0, c[a.Length - 1, 0]);
    }

    [TestMethod]
    public void SubmodularSimilarity_IsHalfPlusHalfCosine_InUnitInterval()
    {
        using var scope = NewDisposeScope();
        var expected = Similarity(A);
        var s = ToArray(Pairwise.SubmodularSimilarity(ToTensor(A), ToTensor(A)));
        for (var i = 0; i < A.Length; i++)
            for (var j = 0; j < A.Length; j++)
            {
                Assert.AreEqual(expected[i, j], s[i, j], 1e-12);
                Assert.IsTrue(s[i, j] is >= 0 and <= 1 + 1e-12);
            }
        Assert.AreEqual(1.0, s[3, 3], 1e-12);
    }

    [TestMethod]
    public void Float32Kernels_MatchDoubleLoop()
    {
        using var scope = NewDisposeScope();
        var (a, b) = (Points(20, 16, seed: 4), Points(13, 16, seed: 5));
        var d = ToArray(Pairwise.SquaredEuclidean(ToTensor(a, ScalarType.Float32), ToTensor(b, ScalarType.Float32)));
        var c = ToArray(Pairwise.Cosine(ToTensor(a, ScalarType.Float32), ToTensor(b, ScalarType.Float32)));
        for (var i = 0; i < a.Length; i++)
            for (var j = 0; j < b.Length; j++)
            {
                Assert.AreEqual(SquaredDistance(a[i], b[j]), d[i, j], 1e-4);
                Assert.AreEqual(Cosine(a[i], b[j]), c[i, j], 1e-5);
            }
    }

    [TestMethod]
    public void ReduceRowBlocks_WithTinyBlocks_EqualsBruteForceRowMinima()
    {
        using var scope = NewDisposeScope();
        // 10 entries per block with 9 columns: one row per block, 7 blocks.
        var minima = ToDoubles(Pairwise.ReduceRowBlocks(ToTensor(A), ToTensor(B), (a, b) => Pairwise.SquaredEuclidean(a, b),
            block => block.min(1).values, maxBlockElements: 10));
        Assert.HasCount(A.Length, minima);
        for (var i = 0; i < A.Length; i++)
            Assert.AreEqual(B.Min(b => SquaredDistance(A[i], b)), minima[i], 1e-12);
    }

    [TestMethod]
    public void NearestToMean_IsTheBruteForceNearest()
    {
        using var scope = NewDisposeScope();
        var points = Points(25, 4, seed: 6);
        var mean = Mean(points);
        var expected = Enumerable.Range(0, points.Length).MinBy(i => SquaredDistance(points[i], mean));
        Assert.AreEqual(expected, Pairwise.NearestToMean(ToTensor(points)));
    }

    [TestMethod]
    public void PerClassSelect_MapsLocalPicksToDatasetIndices_SkipsEmptyClasses()
    {
        using var scope = NewDisposeScope();
        // Row i holds the value i, so the selector can check it received exactly its class's rows.
        var features = arange(8, dtype: ScalarType.Float32).unsqueeze(1);
        int[][] classes = [[1, 4, 6], [], [0, 2, 3, 5, 7]];
        var seen = new List<(int Class, float[] Rows)>();
        var selected = PerClass.Select(features, classes, (c, rows) =>
        {
            seen.Add((c, rows.squeeze(1).data<float>().ToArray()));
            return [rows.shape[0] - 1, 0];
        });
        CollectionAssert.AreEqual(new long[] { 6, 1, 7, 0 }, selected);
        Assert.HasCount(2, seen);
        CollectionAssert.AreEqual(new float[] { 1, 4, 6 }, seen[0].Rows);
        CollectionAssert.AreEqual(new float[] { 0, 2, 3, 5, 7 }, seen[1].Rows);
    }
}
