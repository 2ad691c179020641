using System.ComponentModel.DataAnnotations;
using Condensa.Memory;
using Condensa.Methods.Selection.Dynamics;
using Microsoft.Extensions.Logging;
using TorchSharp;
using static TorchSharp.torch;

namespace Condensa.Methods.Selection.Geometry;

/// <summary>Options of <c>gradmatch</c>.</summary>
public sealed class GradMatchOptions : SelectionModelOptions
{
    /// <summary>Ridge λ of the OMP refits and of the final non-negative fit (DeepCore's <c>lam</c>).</summary>
    [Range(1e-9, 1e6)] public double Lambda { get; set; } = 1.0;
}

/// <summary>
/// GradMatch (Killamsetty et al. 2021; DeepCore <c>gradmatch.py</c>): per class, orthogonal matching pursuit picks
/// gradients whose weighted sum matches the class's mean last-layer gradient b: at each step take the unpicked
/// <c>argmax_i ⟨g_i, r⟩</c> (signed, as DeepCore) with residual <c>r = b − A_S x</c>, <c>x = (A_Sᵀ A_S + λI)⁻¹ A_Sᵀ b</c>.
/// The final weights solve <c>min_{x ≥ 0} ‖A_S x − b‖² + λ‖x‖²</c> (DeepCore runs <c>nnls</c> on the normal equations,
/// which agrees when the ridge solution is non-negative). Everything happens in the Gram space
/// <c>A_Sᵀ A = (E_S Eᵀ) ∘ (H_S Hᵀ)</c>, <c>Aᵀ b = rowsum((E B) ∘ H)</c> with <c>B = EᵀH / n</c> the mean gradient as a
/// C x (d+1) matrix: no per-sample gradient vector and no n x n matrix is built. Picks with weight 0 are dropped and
/// the pursuit continues (never revisiting them) until the budget holds only positive weights (DeepCore returns
/// fewer); the number dropped is logged. Only when the class runs out are zero-weight picks kept, with weight 0.
/// Weights (about 1 in sum: they match the mean) go to <see cref="SelectedMemory.SampleWeights"/>; scores are the weights.
/// Without a validation set the target is the class's own mean gradient (DeepCore's default). The gradients' error
/// vector is <c>p − onehot(y)</c>, as in the paper and CORDS, not the double-softmax one of DeepCore's revision 7436c0a
/// (<see cref="LastLayerGradients"/>).
/// </summary>
public sealed class GradMatchSelector(GradMatchOptions options) : GeometrySelector<GradMatchOptions>(options)
{

    internal override DynamicsView Prepare(TrainingDynamics dynamics) => DynamicsView.Gradients(dynamics);

    internal override PoolSelection SelectFrom(DynamicsView view, Tensor pool, int k, MemoryRequest request, long seed)
    {
        var e = view.RequireE.index_select(0, pool).to_type(ScalarType.Float64);
        var h = view.RequireH.index_select(0, pool).to_type(ScalarType.Float64);
        var (order, weights, dropped) = Match(e, h, k, Options.Lambda);
        if (dropped > 0)
            request.Log.LogInformation("gradmatch: {Dropped} zero-weight pick(s) dropped and topped up by later OMP picks in a pool of {Count}; {Zero} pick(s) keep weight 0 because the pool ran out",
                dropped, pool.shape[0], weights.Count(x => x == 0));
        var w = weights.Select(x => (float)x).ToArray();
        return new PoolSelection(order, w, w);
    }

    /// <summary>
    /// The pursuit on the factors E (n x C) and H (n x (d+1)) of one pool (float64): the picks in pursuit order, their
    /// non-negative weights and how many zero-weight picks were dropped. When the pool runs out, the zero-weight picks of
    /// the last fit stay, and the earliest dropped ones fill any remaining budget, all with weight 0.
    /// </summary>
    internal static (long[] Order, double[] Weights, int Dropped) Match(Tensor e, Tensor h, int k, double lambda)
    {
        using var scope = NewDisposeScope();
        var n = e.shape[0];
        var target = e.t().matmul(h).div_(n);
        var correlation = e.matmul(target).mul_(h).sum(1); // Aᵀ b
        var excluded = zeros(n, ScalarType.Bool);
        var selected = new List<long>();
        var columns = new List<Tensor>(); // A_ᵀ g_j for each selected j: the Gram columns
        var dropped = new List<long>();
        double[] weights;
        while (true)
        {
            while (selected.Count < k && selected.Count + dropped.Count < n)
            {
                using var step = NewDisposeScope();
                var residual = correlation.clone();
                if (selected.Count > 0)
                {
                    var gram = stack(columns, 1);
                    residual.sub_(gram.matmul(Ridge(gram, selected, correlation, lambda)));
                }
                var j = residual.masked_fill_(excluded, double.NegativeInfinity).argmax().item<long>();
                excluded[j] = true;
                selected.Add(j);
                columns.Add(e.matmul(e[j]).mul_(h.matmul(h[j])).DetachFromDisposeScope());
            }
            using (NewDisposeScope())
            {
                var gram = stack(columns, 1);
                var rows = tensor(selected.ToArray());
                weights = NonNegativeRidge(gram.index_select(0, rows) + lambda * eye(selected.Count, dtype: ScalarType.Float64), correlation.index_select(0, rows));
            }
            var zeros = Enumerable.Range(0, selected.Count).Where(i => weights[i] <= 0).ToArray();
            if (zeros.Length == 0 || selected.Count + dropped.Count == n) break;
            foreach (var i in zeros.Reverse())
            {
                dropped.Add(selected[i]);
                selected.RemoveAt(i);
                columns[i].Dispose();
                columns.RemoveAt(i);
            }
        }
        foreach (var c in columns) c.Dispose();
        var order = selected.Concat(dropped).Take(k).ToArray();
        var all = weights.Concat(Enumerable.Repeat(0.0, order.Length - selected.Count)).ToArray();
        return (order, all, dropped.Count);
    }

    /// <summary>The ridge refit <c>x = (G_SS + λI)⁻¹ (Aᵀb)_S</c> from the Gram columns of the selected samples.</summary>
    private static Tensor Ridge(Tensor gram, List<long> selected, Tensor correlation, double lambda)
    {
        var rows = tensor(selected.ToArray());
        return linalg.solve(gram.index_select(0, rows) + lambda * eye(selected.Count, dtype: ScalarType.Float64), correlation.index_select(0, rows));
    }

    /// <summary>
    /// <c>argmin_{x ≥ 0} ½ xᵀ Q x − vᵀ x</c> for a positive definite Q (s x s): accelerated projected gradient (FISTA with
    /// restarts, step 1/λ_max(Q)) until the KKT residual is below 10⁻¹⁰ relative, then an exact solve on the positive
    /// support, kept when it is feasible and optimal (so the usual small case is exact).
    /// </summary>
    internal static double[] NonNegativeRidge(Tensor q, Tensor v)
    {
        using var scope = NewDisposeScope();
        var step = 1 / linalg.eigvalsh(q).max().item<double>();
        var tolerance = 1e-10 * (1 + v.abs().max().item<double>());
        var x = linalg.solve(q, v).clamp_min_(0);
        var y = x.clone();
        double momentum = 1;
        for (var iteration = 0; iteration < 20_000; iteration++)
        {
            var next = (y - step * (q.matmul(y) - v)).clamp_min_(0);
            var nextMomentum = (1 + Math.Sqrt(1 + 4 * momentum * momentum)) / 2;
            var restart = (next - x).dot(q.matmul(next) - v).item<double>() > 0; // the objective would rise: restart
            y = restart ? next.clone() : next + (momentum - 1) / nextMomentum * (next - x);
            momentum = restart ? 1 : nextMomentum;
            x = next;
            if (iteration % 20 == 0 && KktResidual(q, v, x) <= tolerance) break;
        }
        var support = x.gt(0).nonzero().squeeze(1);
        if (support.numel() > 0)
        {
            var exact = zeros_like(x).index_copy_(0, support, linalg.solve(q.index_select(0, support).index_select(1, support), v.index_select(0, support)));
            if (exact.min().item<double>() >= 0 && KktResidual(q, v, exact) <= tolerance) x = exact;
        }
        return x.data<double>().ToArray();
    }

    /// <summary>Largest violation of the optimality conditions: <c>‖x − max(0, x − ∇)‖_∞</c>.</summary>
    private static double KktResidual(Tensor q, Tensor v, Tensor x)
    {
        using var scope = NewDisposeScope();
        return (x - (x - (q.matmul(x) - v)).clamp_min(0)).abs().max().item<double>();
    }
}
