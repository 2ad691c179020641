using Condensa.Methods.Selection.Kernels;
using Condensa.Methods.Selection.Submodular;
using TorchSharp;
using static TorchSharp.torch;

namespace Condensa.Methods.Selection.Geometry;

/// <summary>Options of <c>craig</c>.</summary>
public sealed class CraigOptions : SubmodularOptions;

/// <summary>
/// CRAIG (Mirzasoleiman et al. 2020; DeepCore <c>craig.py</c>): per class, facility location on
/// <c>S = max(D) − D + 10⁻³</c> with D the Euclidean distances between last-layer gradients (from the factorization,
/// <c>‖g_i‖² + ‖g_j‖² − 2⟨g_i, g_j⟩</c>), maximized with the chosen greedy. Each pick j is weighted by
/// <c>1 + |C_j|</c>, C_j the class members (j included) whose most similar pick is j (DeepCore's <c>calc_weights</c>),
/// so a class's weights sum to n_c + k_c; the paper's γ_j is |C_j|. Ties go to the earlier pick.
/// DeepCore's unbalanced path (a block-diagonal N x N matrix with a batched gain that skips most rows) is not ported: an
/// unbalanced budget runs on all target samples as one pool. The gradients' error vector is <c>p − onehot(y)</c>, as in
/// CORDS' CRAIG, not the double-softmax one of DeepCore's revision 7436c0a (<see cref="LastLayerGradients"/>).
/// </summary>
public sealed class CraigSelector(CraigOptions options) : SubmodularSelector<CraigOptions>(options)
{
    /// <summary>DeepCore's offset keeping S ≥ 10⁻³.</summary>
    private const float Offset = 1e-3f;


    internal override ISubmodularFunction Objective(ISimilarity similarity) => new FacilityLocation(similarity);

    internal override ISimilarity Similarity(Tensor e, Tensor h)
    {
        var gradients = new LastLayerGradients((int)e.shape[1]);
        var packed = LastLayerGradients.Pack(e, h);
        if (packed.shape[0] <= LastLayerGradients.DenseLimit)
        {
            var distances = LastLayerGradients.Matrix(packed, gradients.Distance);
            var largest = distances.max().item<float>();
            return new DenseSimilarity(distances.neg_().add_(largest + Offset));
        }
        var max = Pairwise.ReduceRowBlocks(packed, packed, gradients.Distance, block => block.max(1).values).max().item<float>();
        return new KernelSimilarity(packed, (a, b) => gradients.Distance(a, b).neg_().add_(max + Offset));
    }

    internal override float[] Weights(ISimilarity similarity, long[] order)
    {
        using var scope = NewDisposeScope();
        var nearestPick = similarity.Rows(tensor(order)).argmax(0);
        return (nearestPick.bincount(null, order.Length) + 1).to_type(ScalarType.Float32).data<float>().ToArray();
    }
}
