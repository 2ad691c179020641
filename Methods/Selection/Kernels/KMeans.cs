using TorchSharp;
using static TorchSharp.torch;

namespace Condensa.Methods.Selection.Kernels;

/// <summary>
/// k-means clustering of the rows of a tensor (Lloyd's algorithm on squared Euclidean distances) from a k-means++ start
/// (Arthur and Vassilvitskii 2007: each next centre a row drawn with probability proportional to its squared distance to
/// the nearest centre so far), all draws from the given generator. <see cref="Representatives"/> gives, for each centre,
/// the row nearest it: DREAM's representative samples (Liu et al., ICCV 2023).
/// </summary>
public static class KMeans
{
    /// <summary>
    /// The k centres (k x d) after at most <paramref name="iterations"/> Lloyd steps (stopping early when no assignment
    /// changes). A cluster that loses all its rows keeps its centre.
    /// </summary>
    public static Tensor Fit(Tensor x, int k, Generator generator, int iterations)
    {
        long n = x.shape[0];
        if (k < 1 || k > n) throw new ArgumentOutOfRangeException(nameof(k), k, $"k-means needs 1 <= k <= {n} rows");
        using var scope = NewDisposeScope();
        x = x.to(ScalarType.Float32);
        var norms = Pairwise.SquaredNorms(x);
        var centres = PlusPlus(x, norms, k, generator);
        Tensor? assignment = null;
        for (int i = 0; i < iterations; i++)
        {
            var next = Pairwise.SquaredEuclidean(centres, x, norms).argmin(0);   // n: the nearest centre of each row
            if (assignment is not null && next.eq(assignment).all().item<bool>()) break;
            assignment = next;
            var sums = zeros_like(centres).index_add_(0, assignment, x, 1);
            var counts = zeros(k, dtype: ScalarType.Float32, device: x.device).index_add_(0, assignment, ones(n, device: x.device), 1);
            var filled = counts.gt(0);
            centres = where(filled.unsqueeze(1), sums / counts.clamp_min(1).unsqueeze(1), centres);
        }
        return centres.MoveToOuterDisposeScope();
    }

    /// <summary>For each of the k centres of <see cref="Fit"/>, the index of the row nearest it (two centres may share one).</summary>
    public static long[] Representatives(Tensor x, int k, Generator generator, int iterations)
    {
        using var scope = NewDisposeScope();
        var centres = Fit(x, k, generator, iterations);
        return Pairwise.SquaredEuclidean(centres, x.to(ScalarType.Float32)).argmin(1).cpu().data<long>().ToArray();
    }

    /// <summary>k-means++ seeding: the first centre uniform, each next one with probability ∝ D(x)².</summary>
    private static Tensor PlusPlus(Tensor x, Tensor norms, int k, Generator generator)
    {
        long n = x.shape[0];
        var picked = new List<long> { randint(n, [1], generator: generator).item<long>() };
        var nearest = Pairwise.SquaredEuclidean(x.index_select(0, tensor(picked.ToArray(), device: x.device)), x, norms)[0];
        for (int c = 1; c < k; c++)
        {
            var weights = nearest.cpu();
            long next = weights.sum().item<float>() > 0 ? multinomial(weights, 1, generator: generator).item<long>() : randint(n, [1], generator: generator).item<long>();
            picked.Add(next);
            nearest = minimum(nearest, Pairwise.SquaredEuclidean(x.narrow(0, next, 1), x, norms)[0]);
        }
        return x.index_select(0, tensor(picked.ToArray(), device: x.device));
    }
}
