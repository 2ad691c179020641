using Condensa.Methods.Selection.Kernels;

namespace Condensa.Methods.Selection.Submodular;

/// <summary>
/// Plain greedy (Nemhauser et al. 1978): at every step evaluate the gain of every unselected element and add the
/// best; (1 − 1/e)-optimal for monotone submodular f. O(k·n) gain evaluations, in batches.
/// </summary>
public sealed class NaiveGreedy : IGreedyOptimizer
{
    public GreedyResult Maximize(ISubmodularFunction function, int budget)
    {
        SelectionSize.Check("naive greedy", budget, function.Count);
        var remaining = new List<long>();
        for (long i = 0; i < function.Count; i++) remaining.Add(i);
        var order = new long[budget];
        var gains = new double[budget];
        for (var t = 0; t < budget; t++)
            (order[t], gains[t]) = Greedy.PickBest(function, [.. remaining], remaining);
        return new GreedyResult(order, gains);
    }
}
