using Condensa.Training;

namespace Condensa.Scenarios.ContinualLearning;

/// <summary>
/// The class-incremental benchmark: a dataset's classes in some order, cut into S disjoint groups learned one per step
/// (Avalanche's class_incremental_benchmark; the DM paper's CL_DM.py draws the order as
/// <c>np.random.seed(k); np.random.permutation(100)</c> for k = 0..4, ours comes from the run's derived seed).
/// </summary>
internal static class ClassSplit
{
    /// <param name="classes">The dataset's classes (any order; a random order starts from them sorted).</param>
    /// <param name="steps">S, the number of groups.</param>
    /// <param name="counts">Classes per step (sums to the number of classes), or null for equal groups.</param>
    /// <param name="order">An explicit class order (a permutation of <paramref name="classes"/>), or null for a random one.</param>
    /// <param name="seed">Seeds the random order.</param>
    /// <returns>The new classes of each step, in order.</returns>
    public static int[][] Split(IReadOnlyCollection<int> classes, int steps, IReadOnlyList<int>? counts, IReadOnlyList<int>? order, long seed)
    {
        var sorted = classes.Order().ToArray();
        int[] sequence;
        if (order is not null)
        {
            if (order.Count != sorted.Length || !order.Order().SequenceEqual(sorted))
                throw new CondensaException($"class_order [{string.Join(", ", order)}] must list each of the dataset's classes [{string.Join(", ", sorted)}] exactly once");
            sequence = order.ToArray();
        }
        else sequence = Shuffling.Permutation(sorted.Length, new Random(unchecked((int)seed ^ (int)(seed >> 32)))).Select(i => sorted[i]).ToArray();

        var sizes = counts?.ToArray() ?? EqualCounts(sorted.Length, steps);
        if (sizes.Length != steps) throw new CondensaException($"classes_per_step gives {sizes.Length} counts for {steps} steps");
        if (sizes.Any(c => c < 1) || sizes.Sum() != sorted.Length)
            throw new CondensaException($"classes_per_step [{string.Join(", ", sizes)}] must be positive and sum to the dataset's {sorted.Length} classes");

        var groups = new int[steps][];
        for (int t = 0, start = 0; t < steps; start += sizes[t], t++) groups[t] = sequence[start..(start + sizes[t])];
        return groups;
    }

    private static int[] EqualCounts(int classes, int steps)
    {
        if (steps > classes || classes % steps != 0)
            throw new CondensaException($"{classes} classes do not split into {steps} equal steps",
                "change steps, or give classes_per_step (one count per step, summing to the number of classes)");
        return Enumerable.Repeat(classes / steps, steps).ToArray();
    }
}
