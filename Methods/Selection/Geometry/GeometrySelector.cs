using Condensa.Memory;
using Condensa.Methods.Selection.Dynamics;
using static TorchSharp.torch;

namespace Condensa.Methods.Selection.Geometry;

/// <summary>
/// One pool's picks in selection order (row numbers of the pool), a score per pick (the method's own: a gain, an error,
/// a radius) and optional per-pick sample weights (CRAIG, GradMatch).
/// </summary>
internal sealed record PoolSelection(long[] Order, float[] Scores, float[]? Weights = null);

/// <summary>
/// A selector that picks a set (not a score ranking) from the selection model's recorded <see cref="TrainingDynamics"/>:
/// balanced budgets run the method on every target class on its own (<c>budget.PerClass(n_c)</c> picks; classes whose
/// count rounds to 0 are skipped), unbalanced budgets run it once on the pool of all target samples together
/// (<c>budget.Total</c> picks). The memory lists the pools in class order, each in the method's selection order.
/// </summary>
public abstract class GeometrySelector<TOptions>(TOptions options) : IMemoryBuilder where TOptions : SelectionModelOptions
{
    public TOptions Options { get; } = options;

    public MemorySet Build(MemoryRequest request, CancellationToken cancellationToken) =>
        Select(request, TrainingDynamics.For(request, Options, null, cancellationToken), cancellationToken);

    /// <summary>What the method reads for a request: <see cref="Prepare(TrainingDynamics)"/> unless it needs more (D2 adds difficulty scores).</summary>
    internal virtual DynamicsView Prepare(TrainingDynamics dynamics, MemoryRequest request, CancellationToken cancellationToken) => Prepare(dynamics);

    /// <summary>The memory from given dynamics (the builder's path after recording; tests pass hand-made dynamics).</summary>
    internal SelectedMemory Select(MemoryRequest request, TrainingDynamics dynamics, CancellationToken cancellationToken)
    {
        var pools = Pools(request);
        var indices = new List<long>();
        var scores = new List<float>();
        var weights = new List<float>();
        using var scope = NewDisposeScope();
        var view = Prepare(dynamics, request, cancellationToken);
        for (var p = 0; p < pools.Length; p++)
        {
            var (pool, k) = pools[p];
            if (k == 0) continue;
            cancellationToken.ThrowIfCancellationRequested();
            using var poolScope = NewDisposeScope();
            var picks = SelectFrom(view, tensor(pool.Select(i => (long)i).ToArray()), k, request, Seeds.Derive(request.Seed, request.Method, p));
            indices.AddRange(picks.Order.Select(i => (long)pool[i]));
            scores.AddRange(picks.Scores);
            if (picks.Weights is { } w) weights.AddRange(w);
        }
        return new SelectedMemory(indices.ToArray(), weights.Count == indices.Count && indices.Count > 0 ? weights.ToArray() : null, scores.ToArray());
    }

    /// <summary>The pools (dataset indices) and their budgets: one per target class, or all target samples together.</summary>
    private static (int[] Pool, int K)[] Pools(MemoryRequest request)
    {
        var classes = request.TargetClasses;
        if (request.Budget.Balanced)
            return classes.Select(request.Source.IndicesOfClass).Select(pool => (pool, request.Budget.PerClass(pool.Length))).ToArray();
        var all = classes.SelectMany(request.Source.IndicesOfClass).Order().ToArray();
        return [(all, request.Budget.Total(all.Length, classes.Length))];
    }

    /// <summary>What the method reads from the dynamics for all samples at once (e.g. the final gradient factors); computed once per memory.</summary>
    internal abstract DynamicsView Prepare(TrainingDynamics dynamics);

    /// <summary>Picks <paramref name="k"/> (≥ 1) of the samples <paramref name="pool"/> (dataset indices, int64).</summary>
    internal abstract PoolSelection SelectFrom(DynamicsView view, Tensor pool, int k, MemoryRequest request, long seed);
}

/// <summary>
/// The selection model's final checkpoint as the geometric selectors read it: embeddings (N x d), probabilities (N x C),
/// labels, and when asked the last-layer gradient factors E (N x C) and H = [1, h] (N x (d+1)).
/// </summary>
internal sealed record DynamicsView(Tensor Embeddings, Tensor Probabilities, Tensor Labels, Tensor? E = null, Tensor? H = null)
{
    /// <summary>A difficulty score per sample (higher = harder), for the methods that weigh one (D2).</summary>
    public float[]? Difficulty { get; init; }

    public static DynamicsView Embedding(TrainingDynamics dynamics) =>
        new(dynamics.Final.Embeddings, dynamics.Final.Probabilities, dynamics.Labels);

    public static DynamicsView Gradients(TrainingDynamics dynamics)
    {
        var (e, h) = dynamics.GradientFactors(dynamics.Final);
        return new(dynamics.Final.Embeddings, dynamics.Final.Probabilities, dynamics.Labels, e, h);
    }

    public Tensor RequireE => E ?? throw new InvalidOperationException("gradient factors were not prepared");
    public Tensor RequireH => H ?? throw new InvalidOperationException("gradient factors were not prepared");
}
