using System.ComponentModel.DataAnnotations;
using Condensa.Config;
using Condensa.Memory;
using Condensa.Methods.Selection.Dynamics;
using static TorchSharp.torch;

namespace Condensa.Methods.Selection.Scores;

/// <summary>Options of <c>tdds</c>.</summary>
public sealed class TddsOptions : SelectionModelOptions, IValidatableOptions
{
    /// <summary>Trajectory length T: the first T epochs are scored (capped at selection_epochs; the reference code's README uses 30).</summary>
    [Range(3, 10_000)] public int TrajectoryEpochs { get; set; } = 30;

    /// <summary>Window size K in epochs (capped at the trajectory length).</summary>
    [Range(3, 10_000)] public int WindowSize { get; set; } = 10;

    /// <summary>EMA decay β across windows (weight β on the newest window).</summary>
    [Range(0.0, 1.0)] public double Decay { get; set; } = 0.9;

    /// <summary>Spend the budget per class (false: global top-k over all target samples, as the paper does).</summary>
    public bool Balanced { get; set; } = true;

    public void Validate(Action<string, string> error)
    {
        if (WindowSize > TrajectoryEpochs)
            error("window_size", $"{WindowSize} must not exceed trajectory_epochs ({TrajectoryEpochs})");
    }
}

/// <summary>
/// Temporal Dual-Depth Scoring (Zhang et al. 2024, CVPR). Depth one, the contribution of sample n between consecutive
/// epochs, is the KL-based loss difference (Eq. 10) <c>Δℓ_t = f_{t+1}ᵀ log(f_{t+1} / f_t)</c> of the softmax outputs the
/// training steps saw (clamped at ε = 1e-8, the reference code's). Depth two, its variability over a window of K epochs
/// (K − 1 differences, T − K + 1 windows over the first T epochs), is <c>R_t = Σ_{window} (|Δℓ| − mean |Δℓ|)²</c> (Eq. 11),
/// and windows are combined by the EMA <c>R ← β R_t + (1 − β) R</c> from R = 0 (Eq. 12), so the newest window weighs β.
/// The <b>highest</b> scores are kept (samples whose contribution varies most). Defaults T = 30, K = 10, β = 0.9
/// (the reference code's README example for CIFAR-100; T is capped at the recorded epochs). Balanced by default;
/// <c>balanced: false</c> is the paper's global top-k. Departures of the reference code
/// (<c>importance_evaluation.py</c>): it takes |·| per class before summing over classes
/// and the square root of the window sum (an L2 norm, not Eq. 11's squared spread).
/// </summary>
public sealed class TddsSelector(TddsOptions options) : DynamicsSelector<TddsOptions>(options)
{
    public override Rank Rank => Rank.Highest;

    protected override bool Balanced(MemoryRequest request) => Options.Balanced && request.Budget.Balanced;

    internal override Tensor Score(MemoryRequest request, TrainingDynamics dynamics, CancellationToken cancellationToken)
    {
        int t = Math.Min(Options.TrajectoryEpochs, dynamics.Epochs);
        if (t < 3)
            throw new CondensaException($"tdds needs at least 3 recorded epochs to measure a spread of loss differences, got selection_epochs = {dynamics.Epochs}",
                "set selection_epochs to 3 or more (the paper scores 10 to 90 epochs)");
        return Scores(dynamics.Probabilities.narrow(0, 0, t), Math.Min(Options.WindowSize, t), Options.Decay);
    }

    /// <summary>TDDS scores from a T x N x C probability trajectory, window K, EMA decay β.</summary>
    internal static Tensor Scores(Tensor trajectory, int window, double decay)
    {
        using var scope = NewDisposeScope();
        long t = trajectory.shape[0];
        var logP = Divergence.Log(trajectory);
        var next = trajectory.narrow(0, 1, t - 1);
        var lossDifference = Divergence.Kl(next, logP.narrow(0, 1, t - 1), logP.narrow(0, 0, t - 1)).abs(); // (T − 1) x N
        var windows = lossDifference.unfold(0, window - 1, 1);                                                 // (T − K + 1) x N x (K − 1)
        var spread = (windows - windows.mean([2], keepdim: true)).square().sum(2);                           // R_t per window
        long count = spread.shape[0];
        var weights = tensor(Enumerable.Range(0, (int)count).Select(w => (float)(decay * Math.Pow(1 - decay, count - 1 - w))).ToArray());
        return (weights.unsqueeze(1) * spread).sum(0, keepdim: false).MoveToOuterDisposeScope();
    }
}
