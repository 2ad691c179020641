using Condensa.Methods.Selection.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace Condensa.Methods.Selection.Submodular;

/// <summary>
/// A symmetric similarity <c>s_ij</c> on the ground set {0..Count−1}, read by rows so that an objective never needs
/// the whole n x n matrix at once.
/// </summary>
public interface ISimilarity
{
    long Count { get; }

    ScalarType DType { get; }

    Device Device { get; }

    /// <summary>Row b is <c>s(indices[b], ·)</c>: shape |indices| x Count. By symmetry it is also column indices[b].</summary>
    Tensor Rows(Tensor indices);

    /// <summary>The self-similarities <c>s_ii</c>, shape Count.</summary>
    Tensor Diagonal();
}

/// <summary>
/// A similarity held as an n x n matrix (not owned: the caller disposes it). The fast choice whenever n² fits in
/// memory, e.g. per class (6,000² float32 = 144 MB): every gain is then a gather, not a kernel evaluation. On demand
/// is much slower when every gain collapses after the first pick (random features) and each step re-evaluates all n
/// candidates (measured in docs/results.md).
/// </summary>
public sealed class DenseSimilarity : ISimilarity
{
    private readonly Tensor _matrix;

    public DenseSimilarity(Tensor matrix)
    {
        if (matrix.dim() != 2 || matrix.shape[0] != matrix.shape[1])
            throw new ArgumentException($"a similarity matrix must be square, got shape [{string.Join(", ", matrix.shape)}]");
        _matrix = matrix;
    }

    public long Count => _matrix.shape[0];

    public ScalarType DType => _matrix.dtype;

    public Device Device => _matrix.device;

    public Tensor Rows(Tensor indices) => _matrix.index_select(0, indices.to(_matrix.device));

    public Tensor Diagonal() => _matrix.diagonal().clone();
}

/// <summary>
/// A similarity computed on demand from row features by a <see cref="PairwiseKernel"/> (e.g.
/// <see cref="Pairwise.SubmodularSimilarity"/>): O(n) memory, one |indices| x n kernel block per <see cref="Rows"/>.
/// For when n² does not fit; each full pass over the candidates recomputes the n x n kernel. The features are not owned.
/// </summary>
public sealed class KernelSimilarity(Tensor features, PairwiseKernel kernel) : ISimilarity
{
    /// <summary>Rows per block when computing the diagonal (each block costs a DiagonalBlock² kernel).</summary>
    private const long DiagonalBlock = 256;

    public long Count => features.shape[0];

    public ScalarType DType => features.dtype;

    public Device Device => features.device;

    public Tensor Rows(Tensor indices) => kernel(features.index_select(0, indices.to(features.device)), features);

    public Tensor Diagonal()
    {
        using var scope = NewDisposeScope();
        var parts = new List<Tensor>();
        for (long start = 0; start < Count; start += DiagonalBlock)
        {
            using var blockScope = NewDisposeScope();
            var block = features.narrow(0, start, Math.Min(DiagonalBlock, Count - start));
            parts.Add(kernel(block, block).diagonal().clone().MoveToOuterDisposeScope());
        }
        return cat(parts, 0).MoveToOuterDisposeScope();
    }
}
