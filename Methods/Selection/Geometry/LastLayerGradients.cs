using Condensa.Methods.Selection.Kernels;
using Condensa.Methods.Selection.Submodular;
using TorchSharp;
using static TorchSharp.torch;

namespace Condensa.Methods.Selection.Geometry;

/// <summary>
/// Pairwise kernels between last-layer gradients <c>g_i = e_i ⊗ H_i</c> (H_i = [1, h_i]) that never build the
/// C·(d+1)-dimensional vectors. Rows are <b>packed</b> as <c>[e_i | H_i]</c> (C + d + 1 columns) so that the kernels
/// fit <see cref="PairwiseKernel"/> and <see cref="KernelSimilarity"/>:
/// <c>⟨g_i, g_j⟩ = ⟨e_i, e_j⟩·⟨H_i, H_j⟩</c>, <c>‖g_i‖² = ‖e_i‖²·‖H_i‖²</c>,
/// <c>‖g_i − g_j‖² = ‖g_i‖² + ‖g_j‖² − 2⟨g_i, g_j⟩</c> and <c>cos(g_i, g_j) = cos(e_i, e_j)·cos(H_i, H_j)</c>.
/// <para>
/// The error vector is <c>e_i = p_i − onehot(y_i)</c> with <c>p_i = softmax(z_i)</c>: the gradient of the
/// cross-entropy on the logits z_i, as in the papers (GraNd, CRAIG, GradMatch, Glister) and in CORDS' CRAIG, GradMatch
/// and Glister code. GraNd, CRAIG, GradMatch, Glister, the submodular selectors and GradSimCore all use these factors
/// (<c>TrainingDynamics.GradientFactors</c>). DeepCore's code differs by revision. At 7436c0a, <c>grand.py</c>,
/// <c>craig.py</c>, <c>gradmatch.py</c>, <c>glister.py</c> and <c>submodular.py</c> pass <c>softmax(z)</c> to
/// <c>CrossEntropyLoss</c>, which applies a second softmax, so their error vector is
/// <c>(diag(p) − p pᵀ)(softmax(p) − onehot(y))</c> (the softmax Jacobian times the gradient with respect to p), not
/// p − onehot(y); at ca3fb21 they pass the logits, as here. Both revisions differentiate the batch-mean loss, so
/// DeepCore's rows also carry a factor 1/B (B the selection batch size; a short last batch gets larger rows).
/// </para>
/// </summary>
internal sealed class LastLayerGradients(int classes)
{
    /// <summary>Pools with at most this many samples get a dense similarity matrix (12,000² float32 = 576 MB); larger ones compute rows on demand.</summary>
    public const long DenseLimit = 12_000;

    public int Classes { get; } = classes;

    public static Tensor Pack(Tensor e, Tensor h) => cat([e, h], 1);

    /// <summary>Packed rows with e and H scaled to unit norm: their <see cref="Inner"/> is the gradient cosine.</summary>
    public static Tensor PackNormalized(Tensor e, Tensor h)
    {
        using var scope = NewDisposeScope();
        return Pack(Pairwise.L2Normalize(e), Pairwise.L2Normalize(h)).MoveToOuterDisposeScope();
    }

    private Tensor E(Tensor packed) => packed.narrow(1, 0, Classes);

    private Tensor H(Tensor packed) => packed.narrow(1, Classes, packed.shape[1] - Classes);

    /// <summary><c>⟨g_i, g_j⟩ = (E_a E_bᵀ) ∘ (H_a H_bᵀ)</c>.</summary>
    public Tensor Inner(Tensor a, Tensor b)
    {
        using var scope = NewDisposeScope();
        return E(a).matmul(E(b).t()).mul_(H(a).matmul(H(b).t())).MoveToOuterDisposeScope();
    }

    /// <summary><c>‖g_i‖²</c> per row.</summary>
    public Tensor SquaredNorms(Tensor packed)
    {
        using var scope = NewDisposeScope();
        return Pairwise.SquaredNorms(E(packed)).mul_(Pairwise.SquaredNorms(H(packed))).MoveToOuterDisposeScope();
    }

    /// <summary>Euclidean distances <c>‖g_i − g_j‖</c> by the expansion, clamped at 0 before the root.</summary>
    public Tensor Distance(Tensor a, Tensor b)
    {
        using var scope = NewDisposeScope();
        var squared = Inner(a, b).mul_(-2).add_(SquaredNorms(a).unsqueeze(1)).add_(SquaredNorms(b).unsqueeze(0));
        return squared.clamp_min_(0).sqrt_().MoveToOuterDisposeScope();
    }

    /// <summary>The submodular kernel <c>0.5 + 0.5·cos(g_i, g_j)</c> on rows from <see cref="PackNormalized"/> (a zero e or h has cosine 0).</summary>
    public Tensor SubmodularSimilarity(Tensor a, Tensor b)
    {
        using var scope = NewDisposeScope();
        return Inner(a, b).mul_(0.5).add_(0.5).MoveToOuterDisposeScope();
    }

    /// <summary>The n x n matrix of <paramref name="kernel"/> on the rows of <paramref name="packed"/>, filled by blocks of rows.</summary>
    public static Tensor Matrix(Tensor packed, PairwiseKernel kernel)
    {
        var n = packed.shape[0];
        var matrix = empty(n, n, dtype: packed.dtype, device: packed.device);
        var rows = Math.Max(1, Pairwise.DefaultBlockElements / n);
        for (long start = 0; start < n; start += rows)
        {
            using var block = NewDisposeScope();
            var length = Math.Min(rows, n - start);
            matrix.narrow(0, start, length).copy_(kernel(packed.narrow(0, start, length), packed));
        }
        return matrix;
    }

    /// <summary>
    /// <paramref name="kernel"/> as a similarity: a dense matrix when the pool has at most <see cref="DenseLimit"/> rows,
    /// else rows on demand (<see cref="KernelSimilarity"/>). Tensors live in the caller's dispose scope.
    /// </summary>
    public static ISimilarity Similarity(Tensor packed, PairwiseKernel kernel) =>
        packed.shape[0] <= DenseLimit ? new DenseSimilarity(Matrix(packed, kernel)) : new KernelSimilarity(packed, kernel);
}
