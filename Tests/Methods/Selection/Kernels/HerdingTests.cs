using Condensa.Methods.Selection.Kernels;
using static Condensa.Tests.Methods.Selection.SelectionTestData;
using static TorchSharp.torch;

namespace Condensa.Tests.Methods.Selection.Kernels;

[TestClass]
public sealed class HerdingTests
{
    /// <summary>Herding by definition, in doubles: argmin over unpicked x of ‖(t+1)μ − (Σ picked + x)‖.</summary>
    private static List<int> BruteForceHerding(double[][] points, int k)
    {
        var mean = Mean(points);
        var picked = new List<int>();
        for (var t = 0; t < k; t++)
        {
            var sum = Enumerable.Range(0, mean.Length).Select(j => picked.Sum(p => points[p][j])).ToArray();
            var target = mean.Select((m, j) => (t + 1) * m - sum[j]).ToArray();
            picked.Add(Enumerable.Range(0, points.Length).Where(i => !picked.Contains(i)).MinBy(i => SquaredDistance(target, points[i])));
        }
        return picked;
    }

    [TestMethod]
    public void Order_AndMeanError_MatchBruteForce()
    {
        using var scope = NewDisposeScope();
        var points = Points(12, 3, seed: 11);
        var result = Herding.Select(ToTensor(points), 12);
        var expected = BruteForceHerding(points, 12);
        CollectionAssert.AreEqual(expected.Select(i => (long)i).ToArray(), result.Order);
        var mean = Mean(points);
        for (var t = 0; t < 12; t++)
        {
            var prefixMean = Mean(expected.Take(t + 1).Select(i => points[i]));
            Assert.AreEqual(Math.Sqrt(SquaredDistance(mean, prefixMean)), result.MeanError[t], 1e-12, $"after pick {t + 1}");
        }
        Assert.AreEqual(0.0, result.MeanError[^1], 1e-12, "all points picked: the mean is exact");
    }

    [TestMethod]
    public void FirstPick_IsNearestToMean()
    {
        using var scope = NewDisposeScope();
        var points = Points(40, 6, seed: 12);
        var mean = Mean(points);
        Assert.AreEqual(Enumerable.Range(0, 40).MinBy(i => SquaredDistance(points[i], mean)), Herding.Select(ToTensor(points), 1).Order[0]);
    }

    [TestMethod]
    public void MeanError_DecreasesOverall_OnRandomFloat32Data()
    {
        using var scope = NewDisposeScope();
        var result = Herding.Select(ToTensor(Points(300, 16, seed: 13), TorchSharp.torch.ScalarType.Float32), 30);
        Assert.HasCount(30, result.Order.Distinct());
        Assert.IsTrue(result.MeanError.Skip(1).All(e => e <= result.MeanError[0]), "no prefix is worse than the first pick");
        Assert.IsLessThan(result.MeanError[0] / 5, result.MeanError[^1], "30 picks track the mean far better than one");
        Assert.IsLessThan(result.MeanError[..10].Average(), result.MeanError[20..].Average());
    }

    [TestMethod]
    public void ClosestToCenter_KeepsTheKNearestToTheMean_AndReportsTheirRunningMeanError()
    {
        using var scope = NewDisposeScope();
        var points = Points(30, 4, seed: 15);
        var mean = Mean(points);
        var expected = Enumerable.Range(0, 30).OrderBy(i => SquaredDistance(points[i], mean)).Take(8).Select(i => (long)i).ToArray();
        var result = Herding.ClosestToCenter(ToTensor(points), 8);
        CollectionAssert.AreEqual(expected, result.Order);
        for (var t = 0; t < 8; t++)
            Assert.AreEqual(Math.Sqrt(SquaredDistance(mean, Mean(expected.Take(t + 1).Select(i => points[i])))), result.MeanError[t], 1e-12, $"after pick {t + 1}");
        Assert.AreEqual(Herding.Select(ToTensor(points), 1).Order[0], result.Order[0], "the first pick is herding's");
        var herded = Herding.Select(ToTensor(points), 8);
        Assert.IsLessThan(result.MeanError[^1], herded.MeanError[^1], "without the running-mean correction the picks track the mean worse");
    }

    [TestMethod]
    public void BudgetLargerThanTheSet_IsAUserError()
    {
        using var scope = NewDisposeScope();
        var error = Assert.ThrowsExactly<CondensaException>(() => Herding.Select(ToTensor(Points(5, 2, seed: 14)), 6));
        StringAssert.Contains(error.Message, "herding");
        StringAssert.Contains(error.Message, "6");
    }
}
