namespace Condensa;

/// <summary>Seeded random orders: the minibatch order of a training, a class order, a random subset.</summary>
internal static class Shuffling
{
    /// <summary>A seeded Fisher–Yates permutation of 0..n-1.</summary>
    public static long[] Permutation(int n, Random random)
    {
        var p = new long[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (p[i], p[j]) = (p[j], p[i]);
        }
        return p;
    }
}
