using TorchSharp;
using static TorchSharp.torch;

namespace Condensa.Methods.Synthesis;

/// <summary>
/// The gradient-matching distance D(∇θ L^S, ∇θ L^T) of DC/DSA (the reference's <c>match_loss</c>), differentiable
/// w.r.t. the synthetic gradients.
/// </summary>
public static class MatchingDistance
{
    /// <summary>The reference's <c>+ 0.000001</c> in every cosine denominator.</summary>
    private const double Epsilon = 1e-6;

    /// <summary>D over a network's parameter gradients, paired by position.</summary>
    public static Tensor Compute(IReadOnlyList<Tensor> gwSyn, IReadOnlyList<Tensor> gwReal, MatchingMetric metric)
    {
        if (gwSyn.Count != gwReal.Count || gwSyn.Count == 0)
            throw new ArgumentException($"need matching non-empty gradient lists, got {gwSyn.Count} synthetic and {gwReal.Count} real");
        using var scope = NewDisposeScope();
        var distance = metric switch
        {
            MatchingMetric.Ours => stack(gwSyn.Zip(gwReal, Layer).ToArray()).sum(),
            MatchingMetric.Mse => (Flatten(gwSyn) - Flatten(gwReal)).pow(2).sum(),
            MatchingMetric.Cos => 1 - Cosine(Flatten(gwReal), Flatten(gwSyn)),
            MatchingMetric.L1 => (Flatten(gwSyn) - Flatten(gwReal)).abs().sum(),
            _ => throw new ArgumentOutOfRangeException(nameof(metric), metric, "unknown matching metric"),
        };
        return distance.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Eq. 3.10 for one parameter tensor: d(A, B) = Σ_i (1 − A_i·B_i / (‖A_i‖‖B_i‖ + 1e-6)) over the output nodes i, where a
    /// row gathers what feeds node i: out x (in·h·w) for a 4-D convolution, C x (h·w) for a 3-D layer-norm weight, out x in
    /// for a linear weight. A 1-D tensor (bias, norm affine) contributes 0, as in the reference's <c>distance_wb</c>.
    /// </summary>
    public static Tensor Layer(Tensor gwSyn, Tensor gwReal)
    {
        if (gwReal.dim() <= 1) return tensor(0f, device: gwReal.device);
        long rows = gwReal.shape[0];
        return (1 - Cosine(gwReal.reshape(rows, -1), gwSyn.reshape(rows, -1))).sum();
    }

    /// <summary>Cosine along the last dimension, with the reference's epsilon in the denominator.</summary>
    private static Tensor Cosine(Tensor a, Tensor b) =>
        (a * b).sum(-1) / (a.norm(-1) * b.norm(-1) + Epsilon);

    private static Tensor Flatten(IReadOnlyList<Tensor> gradients) => cat(gradients.Select(g => g.reshape(-1)).ToArray(), 0);
}
