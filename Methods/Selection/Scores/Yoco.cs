using System.ComponentModel.DataAnnotations;
using Condensa.Memory;
using Condensa.Methods.Selection.Dynamics;
using static TorchSharp.torch;

namespace Condensa.Methods.Selection.Scores;

/// <summary>Options of <c>yoco</c>.</summary>
public sealed class YocoOptions : SelectionModelOptions
{
    /// <summary>Only the first stop_epoch epochs are candidates (capped at selection_epochs; the paper: 100 for IDC CIFAR-10, 200 for CIFAR-100).</summary>
    [Range(1, 100_000)] public int StopEpoch { get; set; } = 100;

    /// <summary>LBPE sums over the top_k epochs with the highest training accuracy among the candidates.</summary>
    [Range(1, 100_000)] public int TopK { get; set; } = 10;

    /// <summary>Keep the highest LBPE (hard samples) instead of rule 1's lowest.</summary>
    public bool Hard { get; set; }
}

/// <summary>
/// You Only Condense Once (He et al. 2023, NeurIPS): prunes a dataset — typically a condensed memory, e.g. 50 images
/// per class down to 10, but real data works the same — by the Logit-Based Prediction Error
/// <c>LBPE(x) = Σ_{e ∈ top-K} ‖p_e(x) − onehot(y)‖₂</c>, summed over the K = <c>top_k</c> (10) epochs with the highest
/// training accuracy among the first <c>stop_epoch</c> (ties: the earlier epoch), from the softmax outputs the training
/// steps saw. Rule 1: for small target sizes keep the <b>lowest</b> LBPE (easy samples; <c>hard: true</c> keeps the
/// highest). Rule 2: balanced construction, the same count per class (the budget's balanced mode, the default).
/// Both rules apply, on real data and on any memory set. The selection model is trained on the source itself, so
/// a materialized memory passed as the source is shrunk by dynamics recorded on that memory, and the returned indices
/// point into the memory. Departure from the reference code: no DSA/CutMix during the recording
/// (selection models here always train without augmentation); on a memory, set <c>selection_epochs</c> near the
/// paper's stop_epoch.
/// </summary>
public sealed class YocoSelector(YocoOptions options) : DynamicsSelector<YocoOptions>(options)
{
    public override Rank Rank => Options.Hard ? Rank.Highest : Rank.Lowest;

    internal override Tensor Score(MemoryRequest request, TrainingDynamics dynamics, CancellationToken cancellationToken)
    {
        using var scope = NewDisposeScope();
        var epochs = TopAccuracyEpochs(dynamics.Correct, Options.StopEpoch, Options.TopK);
        return dynamics.ErrorNorms().index_select(0, tensor(epochs)).sum(0, keepdim: false).MoveToOuterDisposeScope();
    }

    /// <summary>The <paramref name="topK"/> epochs (0-based) of highest training accuracy among the first <paramref name="stopEpoch"/>, ties to the earlier epoch.</summary>
    internal static long[] TopAccuracyEpochs(Tensor correct, int stopEpoch, int topK)
    {
        int candidates = (int)Math.Min(stopEpoch, correct.shape[0]);
        using var scope = NewDisposeScope();
        var accuracy = correct.narrow(0, 0, candidates).sum(1).data<long>().ToArray();
        return Enumerable.Range(0, candidates).OrderByDescending(e => accuracy[e]).ThenBy(e => e).Take(topK).Select(e => (long)e).ToArray();
    }
}
