using Condensa.Memory;
using Condensa.Methods.Selection.Dynamics;
using static TorchSharp.torch;

namespace Condensa.Methods.Selection.Scores;

/// <summary>Options of <c>contextual-diversity</c>: only the selection model's.</summary>
public sealed class ContextualDiversityOptions : SelectionModelOptions;

/// <summary>
/// Contextual diversity (Agarwal et al. 2020): k-center greedy (Sener &amp; Savarese 2018) in the space of the selection
/// model's softmax outputs p after the last epoch, under the symmetric KL divergence
/// <c>d(i, j) = ½ KL(p_i ‖ p_j) + ½ KL(p_j ‖ p_i)</c> with probabilities clamped at ε = 1e-8 (DeepCore takes logs of
/// raw probabilities, so a zero probability gives NaN or ∞). Greedy: start from the sample nearest the mean output (as
/// <c>kcenter</c> starts from the point nearest the class mean; DeepCore starts at random), then repeatedly add the sample
/// farthest from the chosen set, <c>argmax_i min_{j∈S} d(i, j)</c>, keeping only the running minimum (O(N·C) per step,
/// no N x N matrix). Balanced budgets run the greedy per class, unbalanced ones over all target samples. The memory is in
/// selection order; each item's score is its distance to the set chosen before it (the first: to the mean).
/// </summary>
public sealed class ContextualDiversitySelector(ContextualDiversityOptions options) : IMemoryBuilder
{
    public ContextualDiversityOptions Options { get; } = options;

    public MemorySet Build(MemoryRequest request, CancellationToken cancellationToken) =>
        Select(request, TrainingDynamics.For(request, Options, null, cancellationToken), cancellationToken);

    internal SelectedMemory Select(MemoryRequest request, TrainingDynamics dynamics, CancellationToken cancellationToken)
    {
        var source = request.Source;
        var classes = request.TargetClasses;
        var groups = request.Budget.Balanced
            ? classes.Select(source.IndicesOfClass).Select(pool => (pool, k: request.Budget.PerClass(pool.Length)))
            : new[] { classes.SelectMany(source.IndicesOfClass).Order().ToArray() }.Select(pool => (pool, k: request.Budget.Total(pool.Length, classes.Length)));
        var indices = new List<long>();
        var scores = new List<float>();
        foreach (var (pool, k) in groups)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var (order, distances) = KCenterGreedy(dynamics.Final.Probabilities.index_select(0, tensor(pool.Select(i => (long)i).ToArray())), k);
            indices.AddRange(order.Select(i => (long)pool[i]));
            scores.AddRange(distances);
        }
        return new SelectedMemory(indices.ToArray(), Scores: scores.ToArray());
    }

    /// <summary>
    /// k-center greedy (<see cref="Kernels.KCenterGreedy.Greedy"/>) on the rows of <paramref name="p"/> (n x C
    /// probabilities) under the symmetric KL, from the row nearest the mean: row order of the picks and each pick's
    /// distance to the earlier ones (the first's to the mean).
    /// </summary>
    internal static (int[] Order, float[] Distances) KCenterGreedy(Tensor p, int k)
    {
        using var scope = NewDisposeScope();
        if (k == 0) return ([], []);
        var logP = Divergence.Log(p);
        var mean = p.mean([0], keepdim: true);
        var toMean = Divergence.Symmetric(p, logP, mean, Divergence.Log(mean));
        long first = toMean.argmin().item<long>();
        var minDistance = full(p.shape[0], float.PositiveInfinity, dtype: ScalarType.Float32);
        var (order, pick, _) = Kernels.KCenterGreedy.Greedy(minDistance, k, first, c => Divergence.Symmetric(p, logP, p[c], logP[c]));
        pick[0] = toMean[first].item<float>();
        return (order.Select(i => (int)i).ToArray(), pick.Select(d => (float)d).ToArray());
    }
}
