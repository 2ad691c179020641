using static TorchSharp.torch;

namespace Condensa.Data;

/// <summary>
/// Seeded per-class sampling: stratified hold-out splits and per-class subsets. Each class is drawn with a random
/// permutation from one <see cref="Generator"/> seeded with the given seed (classes in label order), so the result
/// depends only on the labels and the seed. Selected indices are returned in dataset order.
/// </summary>
public static class DatasetSampling
{
    /// <summary>
    /// Stratified split: from each class of n images, round(<paramref name="fraction"/> * n) go to the held-out part
    /// (at most n - 1, so every class keeps a training image), the rest stay. Disjoint and complete.
    /// </summary>
    public static (long[] Kept, long[] HeldOut) StratifiedSplitIndices(LabeledDataset dataset, double fraction, long seed)
    {
        if (fraction is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "must be in [0, 1)");
        var kept = new List<long>();
        var held = new List<long>();
        using var generator = new Generator((ulong)seed);
        for (int c = 0; c < dataset.NumClasses; c++)
        {
            var members = dataset.IndicesOfClass(c);
            var order = Permutation(members.Length, generator);
            int holdOut = Math.Min((int)Math.Round(fraction * members.Length, MidpointRounding.AwayFromZero), Math.Max(members.Length - 1, 0));
            for (int k = 0; k < order.Length; k++) (k < holdOut ? held : kept).Add(members[order[k]]);
        }
        return (Sorted(kept), Sorted(held));
    }

    /// <summary>The stratified split as two datasets (see <see cref="StratifiedSplitIndices"/>).</summary>
    public static (LabeledDataset Kept, LabeledDataset HeldOut) StratifiedSplit(LabeledDataset dataset, double fraction, long seed,
        string keptName, string heldOutName)
    {
        var (kept, held) = StratifiedSplitIndices(dataset, fraction, seed);
        return (dataset.Subset(kept, keptName), dataset.Subset(held, heldOutName));
    }

    /// <summary><paramref name="perClass"/> random images of each class (all of a class that has fewer).</summary>
    public static long[] PerClassIndices(LabeledDataset dataset, int perClass, long seed)
    {
        if (perClass < 1) throw new ArgumentOutOfRangeException(nameof(perClass), perClass, "must be at least 1");
        var chosen = new List<long>();
        using var generator = new Generator((ulong)seed);
        for (int c = 0; c < dataset.NumClasses; c++)
        {
            var members = dataset.IndicesOfClass(c);
            var order = Permutation(members.Length, generator);
            chosen.AddRange(order.Take(perClass).Select(k => (long)members[k]));
        }
        return Sorted(chosen);
    }

    /// <summary>The dataset restricted to <see cref="PerClassIndices"/>.</summary>
    public static LabeledDataset SamplePerClass(LabeledDataset dataset, int perClass, long seed) =>
        dataset.Subset(PerClassIndices(dataset, perClass, seed));

    private static long[] Permutation(int n, Generator generator)
    {
        if (n == 0) return [];
        using var perm = randperm(n, generator: generator);
        return perm.data<long>().ToArray();
    }

    private static long[] Sorted(List<long> indices)
    {
        indices.Sort();
        return indices.ToArray();
    }
}
