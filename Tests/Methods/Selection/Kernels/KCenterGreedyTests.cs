using Condensa.Methods.Selection.Kernels;
using static Condensa.Tests.Methods.Selection.SelectionTestData;
using static TorchSharp.torch;

namespace Condensa.Tests.Methods.Selection.Kernels;

[TestClass]
public sealed class KCenterGreedyTests
{
    private static double CoveringRadius(double[][] points, IEnumerable<int> centers) =>
        Math.Sqrt(points.Max(p => centers.Min(c => SquaredDistance(p, points[c]))));

    /// <summary>K-center greedy by definition, in doubles: add the point farthest from its nearest center.</summary>
    private static List<int> BruteForceKCenter(double[][] points, int first, IReadOnlyList<int> existing, int k)
    {
        var centers = existing.Append(first).ToList();
        for (var t = 1; t < k; t++)
            centers.Add(Enumerable.Range(0, points.Length).Where(i => !centers.Contains(i))
                .MaxBy(i => centers.Min(c => SquaredDistance(points[i], points[c]))));
        return centers.Skip(existing.Count).ToList();
    }

    [TestMethod]
    public void StartsNearestTheMean_OrderAndRadiusMatchBruteForce_RadiusNonIncreasing()
    {
        using var scope = NewDisposeScope();
        var points = Points(10, 3, seed: 21);
        var result = KCenterGreedy.Select(ToTensor(points), 7);
        var mean = Mean(points);
        var first = Enumerable.Range(0, 10).MinBy(i => SquaredDistance(points[i], mean));
        var expected = BruteForceKCenter(points, first, [], 7);
        CollectionAssert.AreEqual(expected.Select(i => (long)i).ToArray(), result.Order);
        for (var t = 0; t < 7; t++)
        {
            Assert.AreEqual(CoveringRadius(points, expected.Take(t + 1)), result.CoveringRadius[t], 1e-9, $"after pick {t + 1}");
            if (t > 0) Assert.IsLessThanOrEqualTo(result.CoveringRadius[t - 1], result.CoveringRadius[t]);
        }
    }

    [TestMethod]
    public void AlreadySelected_AreCentersButNeverPicked()
    {
        using var scope = NewDisposeScope();
        var points = Points(12, 2, seed: 22);
        int[] existing = [3, 8];
        var result = KCenterGreedy.Select(ToTensor(points), 5, [3, 8]);
        var farthest = Enumerable.Range(0, 12).Where(i => !existing.Contains(i))
            .MaxBy(i => existing.Min(c => SquaredDistance(points[i], points[c])));
        var expected = BruteForceKCenter(points, farthest, existing, 5);
        CollectionAssert.AreEqual(expected.Select(i => (long)i).ToArray(), result.Order);
        for (var t = 0; t < 5; t++)
            Assert.AreEqual(CoveringRadius(points, existing.Concat(expected.Take(t + 1))), result.CoveringRadius[t], 1e-9);
    }

    [TestMethod]
    public void ExplicitStart_IsTheFirstCenter()
    {
        using var scope = NewDisposeScope();
        var points = Points(9, 4, seed: 23);
        var result = KCenterGreedy.Select(ToTensor(points), 4, start: 5);
        CollectionAssert.AreEqual(BruteForceKCenter(points, 5, [], 4).Select(i => (long)i).ToArray(), result.Order);
    }

    [TestMethod]
    public void DuplicatePoints_AreNeverPickedTwice_RadiusReachesZero()
    {
        using var scope = NewDisposeScope();
        var points = Points(4, 3, seed: 24);
        var doubled = points.Concat(points).ToArray();
        var result = KCenterGreedy.Select(ToTensor(doubled), 8);
        CollectionAssert.AreEquivalent(Enumerable.Range(0, 8).Select(i => (long)i).ToArray(), result.Order);
        Assert.AreEqual(0.0, result.CoveringRadius[3], 1e-6, "four distinct points cover the duplicates");
        Assert.AreEqual(0.0, result.CoveringRadius[^1]);
    }

    [TestMethod]
    public void BudgetBeyondTheUnselectedPoints_IsAUserError()
    {
        using var scope = NewDisposeScope();
        var error = Assert.ThrowsExactly<CondensaException>(() => KCenterGreedy.Select(ToTensor(Points(6, 2, seed: 25)), 5, [0, 1]));
        StringAssert.Contains(error.Message, "4 available");
    }
}
