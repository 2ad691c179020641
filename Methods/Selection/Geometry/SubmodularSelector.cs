using System.ComponentModel.DataAnnotations;
using Condensa.Memory;
using Condensa.Methods.Selection.Dynamics;
using Condensa.Methods.Selection.Submodular;
using static TorchSharp.torch;

namespace Condensa.Methods.Selection.Geometry;

/// <summary>The greedy maximizer of a submodular objective.</summary>
public enum GreedyKind
{
    /// <summary>Every gain at every step (<see cref="NaiveGreedy"/>).</summary>
    Naive,
    /// <summary>Minoux's lazy evaluations, same picks as naive (<see cref="LazyGreedy"/>).</summary>
    Lazy,
    /// <summary>A random sample of ⌈(n/k)·ln(1/ε)⌉ candidates per step (<see cref="StochasticGreedy"/>).</summary>
    Stochastic,
}

/// <summary>Options shared by the submodular selectors (<c>facility-location</c>, <c>graph-cut</c>, <c>log-determinant</c>, <c>craig</c>).</summary>
public class SubmodularOptions : SelectionModelOptions
{
    /// <summary>Greedy maximizer: naive, lazy (DeepCore main's choice) or stochastic.</summary>
    public GreedyKind Greedy { get; set; } = GreedyKind.Lazy;

    /// <summary>ε of the stochastic greedy (0.01, the usual choice, not DeepCore's 0.9).</summary>
    [Range(1e-9, 0.999999)] public double Epsilon { get; set; } = StochasticGreedy.DefaultEpsilon;

    internal IGreedyOptimizer Optimizer(long seed) => Greedy switch
    {
        GreedyKind.Naive => new NaiveGreedy(),
        GreedyKind.Lazy => new LazyGreedy(),
        _ => new StochasticGreedy(seed, Epsilon),
    };
}

/// <summary>
/// A submodular objective over the last-layer gradients of the selection model's final checkpoint, maximized per pool
/// (class) with the chosen greedy under the pool's budget (DeepCore's <c>submodular.py</c> under its main: balanced,
/// lazy greedy). The similarity is <c>0.5 + 0.5·cos(g_i, g_j)</c> (DeepCore's <c>cossim_np</c>) from the
/// gradient factorization (<see cref="LastLayerGradients"/>), a dense N_c x N_c matrix per class up to
/// <see cref="LastLayerGradients.DenseLimit"/> samples. The memory is in greedy order; each pick's score is its gain.
/// The gradients' error vector is <c>p − onehot(y)</c>, not the double-softmax one of DeepCore's revision 7436c0a.
/// </summary>
public abstract class SubmodularSelector<TOptions>(TOptions options) : GeometrySelector<TOptions>(options) where TOptions : SubmodularOptions
{
    /// <summary>The objective on a pool's similarity.</summary>
    internal abstract ISubmodularFunction Objective(ISimilarity similarity);

    internal override DynamicsView Prepare(TrainingDynamics dynamics) => DynamicsView.Gradients(dynamics);

    /// <summary>The pool's similarity from its gradient factors (tensors in the caller's dispose scope).</summary>
    internal virtual ISimilarity Similarity(Tensor e, Tensor h)
    {
        var gradients = new LastLayerGradients((int)e.shape[1]);
        return LastLayerGradients.Similarity(LastLayerGradients.PackNormalized(e, h), gradients.SubmodularSimilarity);
    }

    /// <summary>Per-pick sample weights, or none (plain subset).</summary>
    internal virtual float[]? Weights(ISimilarity similarity, long[] order) => null;

    internal override PoolSelection SelectFrom(DynamicsView view, Tensor pool, int k, MemoryRequest request, long seed)
    {
        var similarity = Similarity(view.RequireE.index_select(0, pool), view.RequireH.index_select(0, pool));
        using var objective = Objective(similarity);
        var result = Options.Optimizer(seed).Maximize(objective, k);
        return new PoolSelection(result.Order, result.Gains.Select(g => (float)g).ToArray(), Weights(similarity, result.Order));
    }
}
