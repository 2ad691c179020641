using static TorchSharp.torch;

namespace Condensa.Methods.Selection.Scores;

/// <summary>
/// Kullback–Leibler divergences between softmax outputs with an epsilon clamp (DeepCore's contextual diversity and CAL
/// take logs of raw probabilities, so a zero probability gives NaN or ∞).
/// </summary>
internal static class Divergence
{
    /// <summary>The clamp, TDDS' reference value.</summary>
    public const double Epsilon = 1e-8;

    /// <summary><c>log max(p, ε)</c>.</summary>
    public static Tensor Log(Tensor p) => p.clamp_min(Epsilon).log();

    /// <summary><c>KL(p ‖ q) = Σ_c p_c (log p_c − log q_c)</c> over the last dimension, from probabilities and clamped logs.</summary>
    public static Tensor Kl(Tensor p, Tensor logP, Tensor logQ) => (p * (logP - logQ)).sum(-1);

    /// <summary>Symmetric KL <c>½ KL(a ‖ b) + ½ KL(b ‖ a) = ½ Σ_c (a_c − b_c)(log a_c − log b_c)</c> over the last dimension (broadcasts).</summary>
    public static Tensor Symmetric(Tensor a, Tensor logA, Tensor b, Tensor logB) => 0.5 * ((a - b) * (logA - logB)).sum(-1);
}
