using System.ComponentModel.DataAnnotations;
using Condensa.Memory;
using Condensa.Methods.Selection.Dynamics;
using static TorchSharp.torch;

namespace Condensa.Methods.Selection.Scores;

/// <summary>Options of <c>el2n</c>.</summary>
public sealed class El2nOptions : SelectionModelOptions
{
    /// <summary>Epochs summed from the start of the run (capped at selection_epochs).</summary>
    [Range(1, 10_000)] public int ScoreEpochs { get; set; } = 10;
}

/// <summary>
/// EL2N (Paul et al. 2021, "Deep learning on a data diet"): the error norm <c>‖p − onehot(y)‖₂</c> of the selection
/// model's softmax output, here summed over the training steps of the first <c>score_epochs</c> (10) epochs of one run as
/// CCS' and YOCO's reference code does; the highest (hardest) samples are kept, as the paper prunes the
/// lowest. The paper averages the norm at one early epoch over 10 initializations; DeepCore has no EL2N.
/// </summary>
public sealed class El2nSelector(El2nOptions options) : DynamicsSelector<El2nOptions>(options)
{
    public override Rank Rank => Rank.Highest;

    internal override Tensor Score(MemoryRequest request, TrainingDynamics dynamics, CancellationToken cancellationToken)
    {
        using var scope = NewDisposeScope();
        var norms = dynamics.ErrorNorms();
        return norms.narrow(0, 0, Math.Min(Options.ScoreEpochs, dynamics.Epochs)).sum(0, keepdim: false).MoveToOuterDisposeScope();
    }
}
