using System.ComponentModel.DataAnnotations;
using Condensa.Memory;
using Condensa.Methods.Selection.Dynamics;
using static TorchSharp.torch;

namespace Condensa.Methods.Selection.Scores;

/// <summary>Options of <c>cal</c>.</summary>
public sealed class CalOptions : SelectionModelOptions
{
    /// <summary>Nearest neighbours k in the embedding (at most the class size − 1).</summary>
    [Range(1, 10_000)] public int Neighbors { get; set; } = 10;
}

/// <summary>
/// Contrastive active learning (Margatina et al. 2021): a sample whose prediction diverges most from its nearest
/// neighbours' lies near a decision boundary. Score <c>s(x) = (1/k) Σ_{j ∈ kNN(x)} KL(p_j ‖ p_x)</c> (the paper's Eq.,
/// neighbour to candidate), with the softmax outputs p of the selection model after the last epoch (clamped at ε = 1e-8)
/// and k = 10 Euclidean nearest neighbours of the same class in its embedding; the <b>highest</b> scores are kept
/// (the paper's direction). Departures: DeepCore's <c>cal.py</c> keeps the lowest scores, the opposite of the paper (its
/// open issue #29), uses the symmetric KL without a clamp, and finds neighbours with an ImageNet-pretrained ResNet-18 —
/// no pretrained weights are available here, so the selection model's own embedding stands in. Neighbours
/// are searched within each class in both budget modes (DeepCore's unbalanced mode needs an N x N matrix), one
/// N_c x N_c distance matrix at a time.
/// </summary>
public sealed class CalSelector(CalOptions options) : DynamicsSelector<CalOptions>(options)
{
    public override Rank Rank => Rank.Highest;

    internal override Tensor Score(MemoryRequest request, TrainingDynamics dynamics, CancellationToken cancellationToken)
    {
        using var scope = NewDisposeScope();
        var scores = zeros(request.Source.Count);
        foreach (var c in request.TargetClasses)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var classScope = NewDisposeScope();
            var idx = tensor(request.Source.IndicesOfClass(c).Select(i => (long)i).ToArray());
            scores.index_copy_(0, idx, Scores(dynamics.Final.Embeddings.index_select(0, idx), dynamics.Final.Probabilities.index_select(0, idx), Options.Neighbors));
        }
        return scores.MoveToOuterDisposeScope();
    }

    /// <summary>Mean KL(p_neighbour ‖ p_i) over the k nearest other rows of <paramref name="embeddings"/> (n x d), for every row (zeros when n = 1).</summary>
    internal static Tensor Scores(Tensor embeddings, Tensor p, int neighbors)
    {
        using var scope = NewDisposeScope();
        long n = embeddings.shape[0];
        int k = (int)Math.Min(neighbors, n - 1);
        if (k < 1) return zeros(n).MoveToOuterDisposeScope();
        var squared = embeddings.square().sum(1);
        var distances = squared.unsqueeze(1) + squared.unsqueeze(0) - 2 * embeddings.matmul(embeddings.T);
        distances.diagonal().fill_(double.PositiveInfinity);
        var knn = distances.topk(k, 1, largest: false).indexes;
        var logP = Divergence.Log(p);
        var flat = knn.flatten();
        var pj = p.index_select(0, flat).view(n, k, -1);
        var logPj = logP.index_select(0, flat).view(n, k, -1);
        return Divergence.Kl(pj, logPj, logP.unsqueeze(1)).mean([1]).MoveToOuterDisposeScope();
    }
}
