using Condensa.Training;
using Condensa.Scenarios.ContinualLearning;

namespace Condensa.Tests.Scenarios.ContinualLearning;

[TestClass]
public sealed class ClassSplitTests
{
    private static readonly int[] Ten = Enumerable.Range(0, 10).ToArray();

    [TestMethod]
    public void EqualStepsAreDisjointAndCompleteAndOfEqualSize()
    {
        var groups = ClassSplit.Split(Ten, 5, null, null, seed: 3);
        Assert.HasCount(5, groups);
        Assert.IsTrue(groups.All(g => g.Length == 2));
        var all = groups.SelectMany(g => g).ToArray();
        Assert.HasCount(10, all.Distinct().ToArray());
        CollectionAssert.AreEquivalent(Ten, all);
    }

    [TestMethod]
    public void RandomOrderIsStableForASeedAndChangesWithIt()
    {
        var a = ClassSplit.Split(Ten, 5, null, null, seed: 11).SelectMany(g => g).ToArray();
        var b = ClassSplit.Split(Ten.Reverse().ToArray(), 5, null, null, seed: 11).SelectMany(g => g).ToArray();
        CollectionAssert.AreEqual(a, b, "same seed, same order (whatever order the classes are listed in)");
        var orders = Enumerable.Range(0, 5).Select(s => string.Join(",", ClassSplit.Split(Ten, 5, null, null, seed: s).SelectMany(g => g))).ToArray();
        Assert.HasCount(5, orders.Distinct().ToArray(), "five seeds, five different orders");
        CollectionAssert.AreNotEqual(Ten, a, "the order is shuffled");
    }

    [TestMethod]
    public void ExplicitOrderAndUnevenCountsAreRespected()
    {
        int[] order = [7, 2, 9, 0, 1, 8, 3, 6, 5, 4];
        var groups = ClassSplit.Split(Ten, 3, [5, 3, 2], order, seed: 99);
        CollectionAssert.AreEqual(new[] { 7, 2, 9, 0, 1 }, groups[0]);
        CollectionAssert.AreEqual(new[] { 8, 3, 6 }, groups[1]);
        CollectionAssert.AreEqual(new[] { 5, 4 }, groups[2]);
    }

    [TestMethod]
    public void BadSplitsAreRejectedWithTheKeyNamed()
    {
        var e = Assert.ThrowsExactly<CondensaException>(() => ClassSplit.Split(Ten, 3, null, null, 0));
        StringAssert.Contains(e.Message, "10 classes do not split into 3 equal steps");
        StringAssert.Contains(e.Hint!, "classes_per_step");
        e = Assert.ThrowsExactly<CondensaException>(() => ClassSplit.Split(Ten, 2, null, [0, 1, 2, 3, 4, 5, 6, 7, 8, 8], 0));
        StringAssert.Contains(e.Message, "class_order");
        e = Assert.ThrowsExactly<CondensaException>(() => ClassSplit.Split(Ten, 2, [5, 4], null, 0));
        StringAssert.Contains(e.Message, "sum to the dataset's 10 classes");
    }
}

[TestClass]
public sealed class MemoryPolicyTests
{
    [TestMethod]
    public void PerClassMemoryGrowsWithTheClassesSeen()
    {
        var policy = new MemoryPolicy(20, null);
        CollectionAssert.AreEqual(new[] { 20, 20, 20 }, policy.Shares([2, 2, 2]));
        Assert.AreEqual(20, new MemoryPolicyOptions().ToPolicy().PerClass, "the DM paper's 20 per class by default");
        Assert.IsNull(new MemoryPolicyOptions { Total = 2000 }.ToPolicy().PerClass, "a total alone has no per-class cap");
    }

    [TestMethod]
    public void AFixedTotalIsSharedEquallyAndOlderClassesShrink()
    {
        // EEIL on CIFAR-100 in 10 steps: 2000 / 10, / 20, ..., / 100
        var policy = new MemoryPolicy(null, 2000);
        CollectionAssert.AreEqual(new[] { 200, 100, 66, 50, 40, 33, 28, 25, 22, 20 }, policy.Shares(Enumerable.Repeat(10, 10).ToArray()));
        // uneven steps, a total that does not divide: floor, never above the total, never growing
        var odd = new MemoryPolicy(null, 25);
        int[] counts = [3, 1, 4, 2];
        var shares = odd.Shares(counts);
        CollectionAssert.AreEqual(new[] { 8, 6, 3, 2 }, shares);
        int seen = 0;
        for (int t = 0; t < counts.Length; t++)
        {
            seen += counts[t];
            Assert.IsLessThanOrEqualTo(25, shares[t] * seen, $"step {t + 1}: {seen} classes x {shares[t]} fits the total");
            Assert.IsGreaterThan(25, (shares[t] + 1) * seen, $"step {t + 1}: the share is the largest equal one that fits");
            if (t > 0) Assert.IsLessThanOrEqualTo(shares[t - 1], shares[t]);
        }
    }

    [TestMethod]
    public void ACapKeepsTheShareAtOrBelowPerClassAndKeepNeverGrowsAClass()
    {
        var policy = new MemoryPolicy(20, 2000);
        CollectionAssert.AreEqual(new[] { 20, 20, 20 }, policy.Shares([10, 40, 50]));
        var tight = new MemoryPolicy(20, 100);
        CollectionAssert.AreEqual(new[] { 20, 10, 5 }, tight.Shares([2, 8, 10]));
        Assert.AreEqual(7, tight.Keep(held: 7, classesSeen: 2), "a class that holds fewer keeps what it has");
        Assert.AreEqual(5, tight.Keep(held: 20, classesSeen: 20));
        Assert.IsTrue(new MemoryPolicy(0, null).IsEmpty);
        Assert.AreEqual(0, new MemoryPolicy(null, 5).Share(10), "a total below the class count leaves nothing per class");
    }
}

[TestClass]
public sealed class ContinualMetricsTests
{
    // A[i][j]: accuracy on step j's classes after step i. Step 0 peaks after step 1 (0.95 > 0.9), so forgetting != -BWT.
    private static readonly double[][] A = [[0.9], [0.95, 0.8], [0.5, 0.7, 0.95]];

    [TestMethod]
    public void ForgettingIsTheDropFromTheBestEarlierAccuracy()
    {
        // j = 0: max(0.9, 0.95) - 0.5 = 0.45; j = 1: 0.8 - 0.7 = 0.1
        Assert.AreEqual((0.45 + 0.1) / 2, ContinualMetrics.Forgetting(A), 1e-12);
        Assert.IsTrue(double.IsNaN(ContinualMetrics.Forgetting([[0.9]])));
    }

    [TestMethod]
    public void BackwardTransferComparesTheLastRowWithTheDiagonal()
    {
        // (0.5 - 0.9 + 0.7 - 0.8) / 2
        Assert.AreEqual(-0.25, ContinualMetrics.BackwardTransfer(A), 1e-12);
        Assert.AreEqual((0.93 + 0.8 + 0.71) / 3, ContinualMetrics.AverageIncrementalAccuracy([0.93, 0.8, 0.71]), 1e-12);
    }

    [TestMethod]
    public void PooledAccuracyWeighsEachStepsTestSetByItsSize()
    {
        // step test sets of 15 images (11 right) and 20 images (15 right): 26 of 35 over both
        EvalResult Of(int right, int count) => new((double)right / count, [], [], 0, count);
        Assert.AreEqual(26.0 / 35, ContinualMetrics.Pooled([Of(11, 15), Of(15, 20)]), 1e-12);
        Assert.AreEqual(0.75, ContinualMetrics.Pooled([Of(15, 20)]), 1e-12);
    }
}
