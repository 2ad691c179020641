using System.ComponentModel.DataAnnotations;
using Condensa.Config;
using Condensa.Memory;
using Condensa.Methods.Selection.Dynamics;
using Condensa.Methods.Selection.Kernels;
using Condensa.Methods.Selection.Scores;
using static TorchSharp.torch;

namespace Condensa.Methods.Selection.Geometry;

/// <summary>Options of <c>d2</c>.</summary>
public sealed class D2Options : SelectionModelOptions
{
    /// <summary>The score selector whose score is the samples' difficulty (its kept end counts as hard); the authors' README uses forgetting.</summary>
    public MethodSpec Score { get; set; } = new() { Name = "forgetting", Options = new ForgettingOptions() };

    /// <summary>k of the k-nearest-neighbour graph (the authors' README: 5).</summary>
    [Range(1, 1000)] public int Neighbors { get; set; } = 5;

    /// <summary>γ_r of the reverse message passing: a pick lowers each neighbour's score by exp(−γ_r·d)·its own (README: 0.1).</summary>
    [Range(0.0, 1000.0)] public double Gamma { get; set; } = 0.1;

    /// <summary>β: the hardest fraction of each pool pruned before the graph is built, as CCS (README: 0.4 at 90 % pruning).</summary>
    [Range(0.0, 0.99)] public double HardCutoff { get; set; } = 0.4;
}

/// <summary>
/// D2 Pruning (Maharana, Yadav and Bansal, ICLR 2024, "D2 Pruning: Message Passing for Balancing Diversity and Difficulty
/// in Data Pruning"): after pruning the hardest β (as CCS), a k-nearest-neighbour graph over the selection model's
/// embeddings (Euclidean, made symmetric) carries difficulty forward, s'_i = s_i + Σ_{j∈N(i)} exp(−d_ij)·s_j (the
/// authors' code fixes γ_f = 1), so a sample in a dense difficult region scores high; selection then repeatedly takes the
/// highest s' and lowers each neighbour j by exp(−γ_r·d_ij)·s'_i (reverse message passing), so its neighbours are less
/// likely next: difficulty and diversity together. Per class for balanced budgets (the authors' label-balanced mode),
/// over all target samples otherwise. Scores are shifted to start at 0 (the code clamps them at 1e-7, and its AUM branch
/// turns every score into that), so difficulty of any sign works. Each pick's score is its s' when picked.
/// </summary>
public sealed class D2Selector(D2Options options, MemoryBuilderRegistry registry) : GeometrySelector<D2Options>(options)
{
    internal override DynamicsView Prepare(TrainingDynamics dynamics) => DynamicsView.Embedding(dynamics);

    internal override DynamicsView Prepare(TrainingDynamics dynamics, MemoryRequest request, CancellationToken cancellationToken) =>
        Prepare(dynamics) with { Difficulty = IScoreSelector.Difficulty(IScoreSelector.Of(registry, Options.Score, "d2: score"), request, cancellationToken) };

    internal override PoolSelection SelectFrom(DynamicsView view, Tensor pool, int k, MemoryRequest request, long seed)
    {
        var difficulty = view.Difficulty ?? throw new InvalidOperationException("d2 needs difficulty scores");
        var all = pool.data<long>().ToArray();
        int cut = Math.Min((int)(Options.HardCutoff * all.Length), all.Length - k);
        var positions = Enumerable.Range(0, all.Length).OrderBy(p => difficulty[all[p]]).ThenBy(p => p).Take(all.Length - cut).Order().ToArray();
        using var scope = NewDisposeScope();
        var kept = pool.index_select(0, tensor(positions.Select(p => (long)p).ToArray()));
        var graph = Graph(view.Embeddings.index_select(0, kept), Options.Neighbors);
        double min = positions.Min(p => difficulty[all[p]]);
        var s = positions.Select(p => difficulty[all[p]] - min).ToArray();
        var (order, picked) = Select(graph, s, k, Options.Gamma);
        return new PoolSelection(order.Select(i => (long)positions[i]).ToArray(), picked.Select(v => (float)v).ToArray());
    }

    /// <summary>The symmetric k-nearest-neighbour graph of the rows (Euclidean, self excluded): per node its neighbours and their distances.</summary>
    internal static List<(int Node, double Distance)>[] Graph(Tensor x, int neighbors)
    {
        int n = (int)x.shape[0], k = Math.Min(neighbors, n - 1);
        var graph = Enumerable.Range(0, n).Select(_ => new List<(int Node, double Distance)>()).ToArray();
        if (k < 1) return graph;
        using var scope = NewDisposeScope();
        x = x.to(ScalarType.Float32);
        var norms = Pairwise.SquaredNorms(x);
        for (int start = 0; start < n; start += 1024)
        {
            int rows = Math.Min(1024, n - start);
            var d = Pairwise.SquaredEuclidean(x.narrow(0, start, rows), x, norms);
            d.narrow(1, start, rows).diagonal().fill_(double.PositiveInfinity);   // never one's own neighbour
            var (values, indices) = d.topk(k, dim: 1, largest: false);
            var dist = values.sqrt().data<float>().ToArray();
            var idx = indices.data<long>().ToArray();
            for (int r = 0; r < rows; r++)
                for (int c = 0; c < k; c++)
                {
                    int i = start + r, j = (int)idx[r * k + c];
                    if (!graph[i].Any(e => e.Node == j)) graph[i].Add((j, dist[r * k + c]));
                    if (!graph[j].Any(e => e.Node == i)) graph[j].Add((i, dist[r * k + c]));
                }
        }
        return graph;
    }

    /// <summary>
    /// Forward message passing (γ_f = 1), then <paramref name="k"/> greedy picks with reverse message passing; returns
    /// the picked nodes in order and their scores when picked. Ties go to the lower node.
    /// </summary>
    internal static (int[] Order, double[] Scores) Select(List<(int Node, double Distance)>[] graph, IReadOnlyList<double> difficulty, int k, double gamma)
    {
        int n = graph.Length;
        var s = Enumerable.Range(0, n).Select(i => difficulty[i] + graph[i].Sum(e => Math.Exp(-e.Distance) * Math.Max(difficulty[e.Node], 1e-7))).ToArray();
        var taken = new bool[n];
        var order = new int[k];
        var scores = new double[k];
        for (int t = 0; t < k; t++)
        {
            int best = -1;
            for (int i = 0; i < n; i++)
                if (!taken[i] && (best < 0 || s[i] > s[best])) best = i;
            order[t] = best;
            scores[t] = s[best];
            taken[best] = true;
            foreach (var (j, d) in graph[best])
                if (!taken[j]) s[j] -= Math.Exp(-gamma * d) * s[best];
        }
        return (order, scores);
    }
}
