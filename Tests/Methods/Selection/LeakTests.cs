using Condensa.Methods.Selection.Kernels;
using Condensa.Methods.Selection.Submodular;
using TorchSharp;
using static Condensa.Tests.Methods.Selection.SelectionTestData;

namespace Condensa.Tests.Methods.Selection;

[TestClass]
public sealed class LeakTests
{
    [TestMethod]
    public void Selectors_LeaveNoLiveTensorsBehind()
    {
        using var points = ToTensor(Points(30, 4, seed: 51));
        var before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        Herding.Select(points, 5);
        KCenterGreedy.Select(points, 5, [0, 1]);
        PerClass.Select(points, [[0, 1, 2, 3], [4, 5, 6]], (_, rows) => KCenterGreedy.Select(rows, 2).Order);
        var similarity = new KernelSimilarity(points, Pairwise.SubmodularSimilarity);
        foreach (var optimizer in new IGreedyOptimizer[] { new NaiveGreedy(), new LazyGreedy(), new StochasticGreedy(seed: 1, epsilon: 0.5) })
        {
            using (var function = new FacilityLocation(similarity)) optimizer.Maximize(function, 20);
            using (var function = new GraphCut(similarity)) optimizer.Maximize(function, 20);
            using (var function = new LogDeterminant(similarity)) optimizer.Maximize(function, 20); // grows its factors past 16 columns
        }
        Assert.AreEqual(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }
}
