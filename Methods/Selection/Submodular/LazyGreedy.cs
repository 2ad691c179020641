using Condensa.Methods.Selection.Kernels;

namespace Condensa.Methods.Selection.Submodular;

/// <summary>
/// Lazy greedy (Minoux 1978): keep every element's last computed gain in a max-priority queue. Gains can only shrink
/// as S grows (submodularity), so a stale gain is an upper bound: re-evaluate the top of the queue until an element
/// whose gain is fresh for the current S is on top, and accept it. Same picks as <see cref="NaiveGreedy"/> (up to
/// ties; ties go to the lowest index), usually with far fewer evaluations. Stale elements are re-evaluated in
/// batches that start at 1 and double while the top stays stale, so a step where every gain collapses (e.g.
/// near-orthogonal features, where one pick covers everyone) costs O(log n) batches instead of n single evaluations.
/// </summary>
public sealed class LazyGreedy : IGreedyOptimizer
{
    public GreedyResult Maximize(ISubmodularFunction function, int budget)
    {
        SelectionSize.Check("lazy greedy", budget, function.Count);
        var all = new List<long>();
        for (long i = 0; i < function.Count; i++) all.Add(i);
        // Priority (gain, index); the comparer puts the largest gain, then the lowest index, first.
        var bounds = new PriorityQueue<long, (double Gain, long Index)>(
            Comparer<(double Gain, long Index)>.Create((a, b) => a.Gain != b.Gain ? b.Gain.CompareTo(a.Gain) : a.Index.CompareTo(b.Index)));
        var initial = Greedy.Gains(function, all);
        var evaluatedAt = new int[all.Count]; // the step at which each bound was computed
        for (var i = 0; i < all.Count; i++) bounds.Enqueue(all[i], (initial[i], all[i]));

        var maxBatch = Greedy.BatchSize(function, all.Count);
        var order = new long[budget];
        var gains = new double[budget];
        for (var t = 0; t < budget; t++)
        {
            for (var batch = 1; ; batch = Math.Min(2 * batch, maxBatch))
            {
                bounds.TryPeek(out var top, out var bound);
                if (evaluatedAt[top] == t)
                {
                    bounds.Dequeue();
                    (order[t], gains[t]) = (top, bound.Gain);
                    function.Add(top);
                    break;
                }
                var stale = new List<long>();
                while (stale.Count < batch && bounds.TryPeek(out var next, out _) && evaluatedAt[next] != t)
                    stale.Add(bounds.Dequeue());
                var fresh = Greedy.Gains(function, stale);
                for (var i = 0; i < stale.Count; i++)
                {
                    evaluatedAt[stale[i]] = t;
                    bounds.Enqueue(stale[i], (fresh[i], stale[i]));
                }
            }
        }
        return new GreedyResult(order, gains);
    }
}
