using Condensa.Memory;
using Condensa.Methods.Selection.Dynamics;
using static TorchSharp.torch;

namespace Condensa.Methods.Selection.Scores;

/// <summary>How uncertain the selection model is about a sample, from its softmax output p (Settles 2009; DeepCore's Uncertainty).</summary>
public enum UncertaintyMeasure
{
    /// <summary><c>1 − max_c p_c</c>; highest kept.</summary>
    LeastConfidence,
    /// <summary><c>−Σ_c p_c log p_c</c>; highest kept.</summary>
    Entropy,
    /// <summary><c>p_top1 − p_top2</c>; lowest kept.</summary>
    Margin,
}

/// <summary>Options of <c>least-confidence</c>, <c>entropy</c> and <c>margin</c>: only the selection model's.</summary>
public sealed class UncertaintyOptions : SelectionModelOptions;

/// <summary>
/// Uncertainty sampling (Coleman et al. 2020, "Selection via proxy"; measures from Settles 2009): the selection model's
/// softmax output p on every sample after the last epoch (eval mode), then the most uncertain samples are kept — the
/// highest least-confidence <c>1 − max_c p_c</c>, the highest entropy <c>−Σ_c p_c log p_c</c>, or the smallest margin
/// <c>p_top1 − p_top2</c>, in both budget modes, with least confidence on the softmax. DeepCore's <c>uncertainty.py</c>
/// departs twice: its unbalanced mode keeps the most <i>confident</i> samples, and its least confidence ranks the raw
/// max logit.
/// </summary>
public sealed class UncertaintySelector(UncertaintyMeasure measure, UncertaintyOptions options) : DynamicsSelector<UncertaintyOptions>(options)
{
    public UncertaintyMeasure Measure { get; } = measure;

    public override Rank Rank => Measure == UncertaintyMeasure.Margin ? Rank.Lowest : Rank.Highest;

    internal override Tensor Score(MemoryRequest request, TrainingDynamics dynamics, CancellationToken cancellationToken) =>
        Scores(dynamics.Final.Probabilities, Measure);

    /// <summary>The measure for every row of N x C probabilities.</summary>
    internal static Tensor Scores(Tensor p, UncertaintyMeasure measure)
    {
        using var scope = NewDisposeScope();
        var score = measure switch
        {
            UncertaintyMeasure.LeastConfidence => 1 - p.amax(1),
            UncertaintyMeasure.Entropy => -(p * Divergence.Log(p)).sum(1),
            _ => p.topk(2, 1).values.diff(dim: 1).squeeze(1).neg(),
        };
        return score.MoveToOuterDisposeScope();
    }
}
