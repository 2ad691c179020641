using Condensa.Study;

namespace Condensa.Tests.Framework.Study;

[TestClass]
public sealed class RankingMetricsTests
{
    private const double Tol = 1e-12;

    [TestMethod]
    public void SpearmanAveragesTiedRanks()
    {
        // x = [1, 2, 2, 3] -> ranks [1, 2.5, 2.5, 4]; y = [1, 3, 2, 4] -> ranks [1, 3, 2, 4]; both means 2.5.
        // deviations dx = [-1.5, 0, 0, 1.5], dy = [-1.5, 0.5, -0.5, 1.5]: Σdxdy = 4.5, Σdx² = 4.5, Σdy² = 5
        // ρ = 4.5 / √(4.5·5) = √0.9.
        Assert.AreEqual(Math.Sqrt(0.9), RankingMetrics.Spearman([1, 2, 2, 3], [1, 3, 2, 4]), Tol);

        // x = [1..5] -> ranks [1..5]; y = [2, 1, 3, 3, 5] -> ranks [2, 1, 3.5, 3.5, 5]; means 3.
        // dx = [-2, -1, 0, 1, 2], dy = [-1, -2, 0.5, 0.5, 2]: Σdxdy = 8.5, Σdx² = 10, Σdy² = 9.5 -> ρ = 8.5 / √95.
        Assert.AreEqual(8.5 / Math.Sqrt(95), RankingMetrics.Spearman([1, 2, 3, 4, 5], [2, 1, 3, 3, 5]), Tol);

        Assert.AreEqual(-1, RankingMetrics.Spearman([1, 2, 3], [30, 20, 10]), Tol);
        Assert.IsTrue(double.IsNaN(RankingMetrics.Spearman([1, 1, 1], [1, 2, 3])), "a constant list has no correlation");
    }

    [TestMethod]
    public void KendallTauBCountsTiesInEachList()
    {
        // x = [1, 2, 2, 3], y = [1, 3, 2, 4]: of the 6 pairs, (1,2) is tied in x (y differs, so neither concordant nor
        // discordant), the other 5 are concordant: τb = (5 - 0) / √((6 - 1)(6 - 0)) = 5 / √30.
        Assert.AreEqual(5 / Math.Sqrt(30), RankingMetrics.KendallTauB([1, 2, 2, 3], [1, 3, 2, 4]), Tol);

        // x = [1..5], y = [2, 1, 3, 3, 5]: pair (0,1) discordant, pair (2,3) tied in y, the other 8 concordant:
        // τb = (8 - 1) / √((10 - 0)(10 - 1)) = 7 / √90.
        Assert.AreEqual(7 / Math.Sqrt(90), RankingMetrics.KendallTauB([1, 2, 3, 4, 5], [2, 1, 3, 3, 5]), Tol);

        Assert.AreEqual(-1, RankingMetrics.KendallTauB([1, 2, 3, 4], [4, 3, 2, 1]), Tol);
        Assert.IsTrue(double.IsNaN(RankingMetrics.KendallTauB([1, 2, 3], [5, 5, 5])));
    }

    [TestMethod]
    public void AverageRanksShareTheMeanOfTheirPositions() =>
        CollectionAssert.AreEqual(new[] { 3.5, 1, 3.5, 3.5, 3.5, 6 }, RankingMetrics.AverageRanks([0.5, 0.1, 0.5, 0.5, 0.5, 0.9]));

    // Candidate:       0    1    2    3    4
    private static readonly double[] Proxy = [0.9, 0.1, 0.8, 0.3, 0.7];
    private static readonly double[] Truth = [0.5, 0.9, 0.8, 0.1, 0.6];

    [TestMethod]
    public void PrecisionAtKIsTheOverlapOfBothTopKOverK()
    {
        // top-2: proxy {0, 2}, truth {1, 2} -> 1 shared; top-3: proxy {0, 2, 4}, truth {1, 2, 4} -> 2 shared.
        Assert.AreEqual(0.5, RankingMetrics.PrecisionAtK(Proxy, Truth, 2), Tol);
        Assert.AreEqual(2 / 3.0, RankingMetrics.PrecisionAtK(Proxy, Truth, 3), Tol);
        Assert.AreEqual(1, RankingMetrics.PrecisionAtK(Proxy, Truth, 5), Tol);
        Assert.AreEqual(1, RankingMetrics.PrecisionAtK(Truth, Truth, 2), Tol);
    }

    [TestMethod]
    public void BestTrueRankOfTheProxysPicks()
    {
        // The proxy's best is candidate 0, whose truth 0.5 is beaten by 0.9, 0.8 and 0.6: true rank 4.
        Assert.AreEqual(4, RankingMetrics.BestTrueRank(Proxy, Truth));
        // Its top 2 are {0, 2}; candidate 2 (truth 0.8) is beaten only by 0.9: rank 2.
        Assert.AreEqual(2, RankingMetrics.BestTrueRank(Proxy, Truth, 2));
        // A candidate tied for the best truth has rank 1.
        Assert.AreEqual(1, RankingMetrics.BestTrueRank([0.1, 0.9, 0.2], [0.7, 0.7, 0.3]));
    }

    [TestMethod]
    public void TopKCorrelationsUseTheProxysTopK()
    {
        // Proxy top 3 = {0, 2, 4}: proxy [0.9, 0.8, 0.7] (ranks 3, 2, 1), truth [0.5, 0.8, 0.6] (ranks 1, 3, 2).
        // Spearman: d = [1, 0, -1] and [-1, 1, 0] -> Σ = -1, Σd² = 2 each -> ρ = -0.5.
        // Kendall: pairs (0,2) and (0,4) discordant, (2,4) concordant -> τ = (1 - 2) / 3.
        Assert.AreEqual(-0.5, RankingMetrics.TopKSpearman(Proxy, Truth, 3), Tol);
        Assert.AreEqual(-1 / 3.0, RankingMetrics.TopKKendallTauB(Proxy, Truth, 3), Tol);
    }

    [TestMethod]
    public void TopKBreaksTiesByIndexAndChecksK()
    {
        CollectionAssert.AreEqual(new[] { 1, 2, 0 }, RankingMetrics.TopK([0.2, 0.5, 0.5], 3));
        var e = Assert.ThrowsExactly<CondensaException>(() => RankingMetrics.TopK([1, 2], 3));
        StringAssert.Contains(e.Message, "k = 3");
        Assert.ThrowsExactly<ArgumentException>(() => RankingMetrics.Spearman([1, 2], [1, 2, 3]));
    }
}
