using Condensa.Memory;

namespace Condensa.Methods.Selection;

public sealed class RandomOptions;

/// <summary>
/// Random selection: uniform per class without replacement (balanced budget), or uniform over all samples of the
/// target classes (unbalanced). The baseline of every table in the DC papers and DeepCore.
/// </summary>
public sealed class RandomSelector(RandomOptions options) : IMemoryBuilder
{
    public RandomOptions Options { get; } = options;

    public MemorySet Build(MemoryRequest request, CancellationToken cancellationToken)
    {
        var random = new Random(unchecked((int)request.Seed));
        var classes = request.TargetClasses;
        if (!request.Budget.Balanced)
        {
            var pool = classes.SelectMany(request.Source.IndicesOfClass).ToArray();
            int total = request.Budget.Total(pool.Length, classes.Length);
            return new SelectedMemory(Sample(pool, total, random));
        }
        var picked = new List<long>();
        foreach (var c in classes)
        {
            var members = request.Source.IndicesOfClass(c);
            picked.AddRange(Sample(members, request.Budget.PerClass(members.Length), random));
        }
        return new SelectedMemory(picked.ToArray());
    }

    /// <summary>k distinct items drawn uniformly (partial Fisher–Yates).</summary>
    internal static long[] Sample(int[] items, int k, Random random)
    {
        var copy = (int[])items.Clone();
        for (int i = 0; i < k; i++)
        {
            int j = i + random.Next(copy.Length - i);
            (copy[i], copy[j]) = (copy[j], copy[i]);
        }
        return copy.Take(k).Select(i => (long)i).ToArray();
    }
}
