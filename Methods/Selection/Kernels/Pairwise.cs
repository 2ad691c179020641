using TorchSharp;
using static TorchSharp.torch;

namespace Condensa.Methods.Selection.Kernels;

/// <summary>A kernel between the rows of <c>a</c> (m x d) and the rows of <c>b</c> (n x d), giving an m x n block.</summary>
public delegate Tensor PairwiseKernel(Tensor a, Tensor b);

/// <summary>
/// Batched pairwise kernels on row-feature tensors. Each kernel computes one block with a single matrix product;
/// <see cref="ReduceRowBlocks"/> walks a large pair set block by block so that no block holds more than
/// <see cref="DefaultBlockElements"/> entries (60,000 x 60,000 would be 14.4 GB in float32; it is never built).
/// </summary>
public static class Pairwise
{
    /// <summary>Largest number of kernel entries held at once by the chunked helpers: 2^24 (64 MB in float32).</summary>
    public const long DefaultBlockElements = 1L << 24;

    /// <summary>Norms below this count as zero when normalizing (as in <c>torch.nn.functional.cosine_similarity</c>).</summary>
    private const double NormEpsilon = 1e-8;

    /// <summary>
    /// Squared Euclidean distances <c>‖a_i‖² + ‖b_j‖² − 2 a_i·b_j</c>, clamped at 0 (the expansion can round to a
    /// small negative number). <paramref name="bSquaredNorms"/> (the row sums of <c>b²</c>) may be passed when the same
    /// <paramref name="b"/> is used many times.
    /// </summary>
    public static Tensor SquaredEuclidean(Tensor a, Tensor b, Tensor? bSquaredNorms = null)
    {
        using var scope = NewDisposeScope();
        var aa = a.square().sum(1, keepdim: true);
        var bb = (bSquaredNorms ?? SquaredNorms(b)).unsqueeze(0);
        return addmm(aa + bb, a, b.t(), beta: 1, alpha: -2).clamp_min_(0).MoveToOuterDisposeScope();
    }

    /// <summary>Row sums of <c>x²</c>, the <c>‖x_i‖²</c> reused by <see cref="SquaredEuclidean"/>.</summary>
    public static Tensor SquaredNorms(Tensor x) => x.square().sum(1);

    /// <summary>Rows scaled to unit L2 norm; zero rows stay zero.</summary>
    public static Tensor L2Normalize(Tensor x)
    {
        using var scope = NewDisposeScope();
        return (x / x.square().sum(1, keepdim: true).sqrt().clamp_min(NormEpsilon)).MoveToOuterDisposeScope();
    }

    /// <summary>Cosine similarities <c>a_i·b_j / (‖a_i‖ ‖b_j‖)</c>; a zero row has similarity 0 with everything.</summary>
    public static Tensor Cosine(Tensor a, Tensor b)
    {
        using var scope = NewDisposeScope();
        return L2Normalize(a).matmul(L2Normalize(b).t()).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The similarity of the submodular objectives, <c>0.5 + 0.5·cos</c> in [0, 1] (DeepCore's
    /// <c>cossim_np</c>). It is positive semi-definite (a constant plus a Gram matrix), which log-determinant needs.
    /// </summary>
    public static Tensor SubmodularSimilarity(Tensor a, Tensor b)
    {
        using var scope = NewDisposeScope();
        return Cosine(a, b).mul_(0.5).add_(0.5).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Applies <paramref name="kernel"/> to blocks of rows of <paramref name="a"/> against all of <paramref name="b"/>,
    /// reduces each block with <paramref name="reduce"/> (which must keep the leading row dimension, e.g.
    /// <c>block =&gt; block.min(1).values</c>) and concatenates the reductions. Each block has at most
    /// <paramref name="maxBlockElements"/> entries (at least one row).
    /// </summary>
    public static Tensor ReduceRowBlocks(Tensor a, Tensor b, PairwiseKernel kernel, Func<Tensor, Tensor> reduce,
        long maxBlockElements = DefaultBlockElements)
    {
        var n = a.shape[0];
        var rows = Math.Max(1, maxBlockElements / Math.Max(1, b.shape[0]));
        using var scope = NewDisposeScope();
        var parts = new List<Tensor>();
        for (long start = 0; start < n; start += rows)
        {
            using var blockScope = NewDisposeScope();
            parts.Add(reduce(kernel(a.narrow(0, start, Math.Min(rows, n - start)), b)).MoveToOuterDisposeScope());
        }
        return cat(parts, 0).MoveToOuterDisposeScope();
    }

    /// <summary>Index of the row nearest (Euclidean) to the mean of the rows.</summary>
    public static long NearestToMean(Tensor features)
    {
        using var scope = NewDisposeScope();
        return SquaredEuclidean(features.mean([0], keepdim: true), features).argmin().item<long>();
    }
}
