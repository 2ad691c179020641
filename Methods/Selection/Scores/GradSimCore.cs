using System.ComponentModel.DataAnnotations;
using Condensa.Memory;
using Condensa.Methods.Selection.Dynamics;
using static TorchSharp.torch;

namespace Condensa.Methods.Selection.Scores;

/// <summary>Options of <c>gradsimcore</c>.</summary>
public sealed class GradSimCoreOptions : SelectionModelOptions
{
    /// <summary>Checkpoints E: the models after epochs 1..E of the selection run (capped at selection_epochs).</summary>
    [Range(1, 10_000)] public int Checkpoints { get; set; } = 5;

    /// <summary>Fixed similarity threshold Φ; unset: the per-class percentile below.</summary>
    [Range(-1.0, 1.0)] public double? Threshold { get; set; }

    /// <summary>Percentile of the off-diagonal same-class cosines that sets Φ per class and checkpoint when threshold is unset.</summary>
    [Range(0.0, 100.0)] public double Percentile { get; set; } = 90;
}

/// <summary>
/// GradSimCore (gradient-similarity representative coreset; an anonymous ICLR submission whose code is only behind an
/// anonymized link): a sample represents its class well when many same-class samples have a similar loss gradient. At
/// each of E (5) checkpoints θ (after epochs 1..E), with last-layer gradients <c>g_i = e_i ⊗ [1, h_i]</c>, count the
/// same-class neighbours with <c>cos(g_i, g_j) ≥ Φ</c>, j ≠ i; the score is the mean count over checkpoints (Eq. 5 /
/// Alg. 1) and the <b>highest</b> are kept, top-k per class. Φ is the per-class, per-checkpoint 90th percentile (nearest
/// rank) of the off-diagonal cosines unless <c>threshold</c> is set (the paper leaves Φ open). Cosines come from the
/// Kronecker factorization <c>cos(g_i, g_j) = cos(e_i, e_j)·cos([1, h_i], [1, h_j])</c>, one N_c x N_c matrix per class
/// (the paper's radius search gives the same counts). The paper writes ρ &gt; Φ; the count here uses ≥. Counting is per
/// class in both budget modes (the score is defined within a class).
/// </summary>
public sealed class GradSimCoreSelector(GradSimCoreOptions options) : DynamicsSelector<GradSimCoreOptions>(options)
{
    public override Rank Rank => Rank.Highest;

    private int CheckpointCount => Math.Min(Options.Checkpoints, Options.SelectionEpochs);

    protected override IReadOnlyCollection<int> CheckpointEpochs => Enumerable.Range(1, CheckpointCount).ToArray();

    internal override Tensor Score(MemoryRequest request, TrainingDynamics dynamics, CancellationToken cancellationToken)
    {
        using var scope = NewDisposeScope();
        var checkpoints = Enumerable.Range(1, Math.Min(Options.Checkpoints, dynamics.Epochs)).Select(dynamics.At).ToArray();
        var factors = checkpoints.Select(dynamics.GradientFactors).ToArray();
        var scores = zeros(request.Source.Count);
        foreach (var c in request.TargetClasses)
        {
            var idx = tensor(request.Source.IndicesOfClass(c).Select(i => (long)i).ToArray());
            foreach (var (e, h) in factors)
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var classScope = NewDisposeScope();
                scores.index_add_(0, idx, NeighbourCounts(e.index_select(0, idx), h.index_select(0, idx), Options.Threshold, Options.Percentile), 1);
            }
        }
        return (scores / checkpoints.Length).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// For every row i of the factors (n samples of one class), the number of j ≠ i with <c>cos(g_i, g_j) ≥ Φ</c>; Φ is
    /// <paramref name="threshold"/> or the <paramref name="percentile"/> of the n(n − 1) off-diagonal cosines. Each
    /// unordered pair is computed once (row block [r, r + b) against columns [r, n)), which halves the Gram work and makes
    /// the two copies of a pair equal by construction.
    /// </summary>
    internal static Tensor NeighbourCounts(Tensor e, Tensor h, double? threshold, double percentile, int block = 1024)
    {
        using var scope = NewDisposeScope();
        long n = e.shape[0];
        var counts = zeros(n);
        if (n < 2) return counts.MoveToOuterDisposeScope();
        var eUnit = e / e.square().sum(1, keepdim: true).sqrt().clamp_min(1e-12);
        var hUnit = h / h.square().sum(1, keepdim: true).sqrt().clamp_min(1e-12);
        var blocks = new List<(long Row, Tensor Cosine)>();
        for (long r = 0; r < n; r += block)
        {
            long b = Math.Min(block, n - r);
            var cosine = eUnit.narrow(0, r, b).matmul(eUnit.narrow(0, r, n - r).T).mul_(hUnit.narrow(0, r, b).matmul(hUnit.narrow(0, r, n - r).T));
            var rows = arange(b).unsqueeze(1);
            cosine.narrow(1, 0, b).masked_fill_(rows.ge(rows.T), -2); // pairs (i, j ≤ i): below every cosine, never counted
            blocks.Add((r, cosine));
        }
        var phi = threshold ?? Percentile(blocks, n, percentile);
        foreach (var (r, cosine) in blocks)
        {
            var near = cosine.ge(phi);
            counts.narrow(0, r, cosine.shape[0]).add_(near.sum(1, type: ScalarType.Float32));
            counts.narrow(0, r, cosine.shape[1]).add_(near.sum(0, type: ScalarType.Float32));
        }
        return counts.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The nearest-rank percentile q of the m = n(n − 1) off-diagonal cosines, i.e. the s-th largest with
    /// s = m − ⌈q·m⌉ + 1. Every pair appears twice among them, so it is the ⌈s/2⌉-th largest pair value.
    /// </summary>
    private static double Percentile(List<(long Row, Tensor Cosine)> blocks, long n, double percentile)
    {
        long offDiagonal = n * (n - 1);
        long s = offDiagonal - Math.Clamp((long)Math.Ceiling(percentile / 100 * offDiagonal), 1, offDiagonal) + 1;
        using var values = cat(blocks.Select(b => b.Cosine.flatten()).ToArray());
        return values.kthvalue(values.numel() - (s + 1) / 2 + 1, 0).values.item<float>();
    }
}
