using System.ComponentModel.DataAnnotations;
using Condensa.Memory;
using Condensa.Methods.Selection.Dynamics;
using TorchSharp;
using static TorchSharp.torch;

namespace Condensa.Methods.Selection.Geometry;

/// <summary>Options of <c>glister</c>.</summary>
public sealed class GlisterOptions : SelectionModelOptions
{
    /// <summary>Step size η of the virtual SGD step on the last layer (DeepCore passes its training lr, 0.1 in its main).</summary>
    [Range(0.0, 100.0)] public double Eta { get; set; } = 0.1;
}

/// <summary>
/// Glister-ONLINE (Killamsetty et al. 2021), the algorithm DeepCore's <c>glister.py</c> intends: per class, greedily add
/// the sample whose last-layer gradient best aligns with the validation-loss gradient, <c>argmax_i ⟨g_i, ḡ_val⟩</c>
/// (the first-order decrease of the validation loss), then refresh ḡ_val after a virtual SGD step
/// <c>θ' = θ − η·mean_{j∈S} g_j</c> on the last layer: the validation logits become
/// <c>z_v − η·(mean_S e_j H_jᵀ) H_v</c>, so <c>ḡ_val = mean_v (softmax(z'_v) − y_v) ⊗ H_v</c> is recomputed in logit space
/// as a C x (d+1) matrix (no per-sample gradient vectors). The logits are <c>log p</c> of the final checkpoint (softmax
/// is invariant to the missing per-row constant). There is no validation set in a memory request, so the validation
/// samples are the class's own (DeepCore's default without <c>dst_val</c>). Departure: DeepCore's refresh is never
/// called (the misspelt <c>upadate_state</c> keyword), so it returns the static top-k of ⟨g_i, ḡ_val⟩; in its revision
/// 7436c0a its gradients and its refresh also apply softmax twice (<see cref="LastLayerGradients"/>), where the paper and
/// CORDS use <c>p − onehot(y)</c>, as here. The gain changes with S and is not submodular, so every step evaluates all
/// candidates (no lazy greedy). Scores are the gains at pick time.
/// </summary>
public sealed class GlisterSelector(GlisterOptions options) : GeometrySelector<GlisterOptions>(options)
{
    /// <summary>Probabilities are clamped here before the log that recovers logits.</summary>
    private const double MinProbability = 1e-30;


    internal override DynamicsView Prepare(TrainingDynamics dynamics) => DynamicsView.Gradients(dynamics);

    internal override PoolSelection SelectFrom(DynamicsView view, Tensor pool, int k, MemoryRequest request, long seed)
    {
        var e = view.RequireE.index_select(0, pool).to_type(ScalarType.Float64);
        var h = view.RequireH.index_select(0, pool).to_type(ScalarType.Float64);
        var p = view.Probabilities.index_select(0, pool).to_type(ScalarType.Float64);
        var (order, gains) = Greedy(e, h, p, k, Options.Eta);
        return new PoolSelection(order, gains.Select(g => (float)g).ToArray());
    }

    /// <summary>
    /// The online greedy on one pool: E (n x C), H (n x (d+1)) and probabilities P (n x C), float64; the validation
    /// samples are the pool itself (labels Y = P − E). Returns the picks in order and their gains.
    /// </summary>
    internal static (long[] Order, double[] Gains) Greedy(Tensor e, Tensor h, Tensor p, int k, double eta)
    {
        using var scope = NewDisposeScope();
        var n = e.shape[0];
        var y = p - e;
        var logits = p.clamp_min(MinProbability).log();
        var selectedSum = zeros(e.shape[1], h.shape[1], dtype: ScalarType.Float64); // Σ_S e_j H_jᵀ
        var taken = zeros(n, ScalarType.Bool);
        var order = new long[k];
        var gains = new double[k];
        var validationGradient = e.t().matmul(h).div_(n); // ḡ_val before any step: the mean gradient
        for (var t = 0; t < k; t++)
        {
            using var step = NewDisposeScope();
            var gain = e.matmul(validationGradient).mul_(h).sum(1).masked_fill_(taken, double.NegativeInfinity);
            var j = gain.argmax().item<long>();
            (order[t], gains[t]) = (j, gain[j].item<double>());
            taken[j] = true;
            selectedSum.add_(e[j].outer(h[j]));
            var updated = logits - eta / (t + 1) * h.matmul(selectedSum.t());
            validationGradient.copy_((updated.softmax(1) - y).t().matmul(h).div_(n));
        }
        return (order, gains);
    }
}
