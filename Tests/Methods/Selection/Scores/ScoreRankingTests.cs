using Condensa.Memory;
using Condensa.Methods.Selection.Scores;
using static Condensa.Tests.Methods.Selection.Scores.ScoreFixtures;
using static TorchSharp.torch;

namespace Condensa.Tests.Methods.Selection.Scores;

[TestClass]
public sealed class ScoreRankingTests
{
    // index:          0  1  2  3  4  5  6  7  8
    // label:          0  1  0  2  1  0  0  2  1
    // score:          5  1  5  9  3  7  2  4  3
    private static readonly long[] LabelsOf = [0, 1, 0, 2, 1, 0, 0, 2, 1];
    private static readonly float[] ScoresOf = [5, 1, 5, 9, 3, 7, 2, 4, 3];

    [TestMethod]
    public void BalancedKeepsTheTopKOfEveryClassInRankOrderWithTiesToTheLowerIndex()
    {
        using var data = Labels(LabelsOf);
        var memory = ScoreRanking.Select(Request(data, Budget.ImagesPerClass(2)), tensor(ScoresOf), Rank.Highest, balanced: true);
        // class 0 {0:5, 2:5, 5:7, 6:2} → 5, 0 (tie 0/2 to the lower index); class 1 {1:1, 4:3, 8:3} → 4, 8; class 2 {3:9, 7:4} → 3, 7
        CollectionAssert.AreEqual(new long[] { 5, 0, 4, 8, 3, 7 }, memory.Indices);
        CollectionAssert.AreEqual(new float[] { 7, 5, 3, 3, 9, 4 }, memory.Scores);
    }

    [TestMethod]
    public void LowestKeepsTheSmallestScores()
    {
        using var data = Labels(LabelsOf);
        var memory = ScoreRanking.Select(Request(data, Budget.ImagesPerClass(2)), tensor(ScoresOf), Rank.Lowest, balanced: true);
        // class 0 → 6 (2), then 0 and 2 tie at 5 → 0; class 1 → 1, then 4/8 tie → 4; class 2 → 7, 3
        CollectionAssert.AreEqual(new long[] { 6, 0, 1, 4, 7, 3 }, memory.Indices);
    }

    [TestMethod]
    public void FractionBudgetsRoundPerClassAndABudgetAboveAClassIsRefused()
    {
        using var data = Labels(LabelsOf);
        var half = Select(new Budget(Fraction: 0.5), Rank.Highest);
        // class sizes 4, 3, 2 → round(2) = 2, round(1.5) = 2, round(1) = 1
        CollectionAssert.AreEqual(new long[] { 5, 0, 4, 8, 3 }, half.Indices);
        var e = Assert.ThrowsExactly<CondensaException>(() => Select(Budget.ImagesPerClass(10), Rank.Highest));
        StringAssert.Contains(e.Message, "the budget of ipc 10 exceeds a class of 4 images", "never a memory smaller than its budget says");

        SelectedMemory Select(Budget budget, Rank rank) => ScoreRanking.Select(Request(data, budget), tensor(ScoresOf), rank, balanced: true);
    }

    [TestMethod]
    public void UnbalancedTakesTheGlobalTopKOfTheTargetClasses()
    {
        using var data = Labels(LabelsOf);
        var all = ScoreRanking.Select(Request(data, Budget.ImagesPerClass(1)), tensor(ScoresOf), Rank.Highest, balanced: false);
        // total = 1 x 3 classes: the three largest overall, 9 (3), 7 (5), 5 (0; tie with 2)
        CollectionAssert.AreEqual(new long[] { 3, 5, 0 }, all.Indices);
        var subset = ScoreRanking.Select(Request(data, Budget.ImagesPerClass(2), classes: [1, 2]), tensor(ScoresOf), Rank.Highest, balanced: false);
        // classes 1 and 2 only: 9 (3), 4 (7), 3 (4), 3 (8)
        CollectionAssert.AreEqual(new long[] { 3, 7, 4, 8 }, subset.Indices);
    }

    [TestMethod]
    public void TargetClassesAreServedInTheRequestedOrder()
    {
        using var data = Labels(LabelsOf);
        var memory = ScoreRanking.Select(Request(data, Budget.ImagesPerClass(1), classes: [2, 0]), tensor(ScoresOf), Rank.Highest, balanced: true);
        CollectionAssert.AreEqual(new long[] { 3, 5 }, memory.Indices);
    }
}
