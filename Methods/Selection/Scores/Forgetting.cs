using Condensa.Memory;
using Condensa.Methods.Selection.Dynamics;
using static TorchSharp.torch;

namespace Condensa.Methods.Selection.Scores;

/// <summary>Options of <c>forgetting</c>: only the selection model's.</summary>
public sealed class ForgettingOptions : SelectionModelOptions;

/// <summary>
/// Forgetting events (Toneva et al. 2019): a sample is forgotten at epoch t when the training step classified it
/// correctly at epoch t − 1 and wrongly at t; the score is the number of such events over the E recorded epochs, and the
/// most forgettable samples (highest scores) are kept. Samples never classified correctly count as forgotten more often
/// than any learned one (Toneva: "infinitely"): they score E, above the at most ⌊E/2⌋ events a learned sample can have.
/// Events are counted on the recorded training-step correctness. DeepCore's <c>forgetting.py</c> departs by scoring
/// never-learned samples 0.
/// </summary>
public sealed class ForgettingSelector(ForgettingOptions options) : DynamicsSelector<ForgettingOptions>(options)
{
    public override Rank Rank => Rank.Highest;

    internal override Tensor Score(MemoryRequest request, TrainingDynamics dynamics, CancellationToken cancellationToken) =>
        Scores(dynamics.Correct);

    /// <summary>Scores from E x N correctness: forgetting events, or E for samples never learned.</summary>
    internal static Tensor Scores(Tensor correct)
    {
        using var scope = NewDisposeScope();
        long epochs = correct.shape[0];
        var events = correct.narrow(0, 0, epochs - 1).logical_and(correct.narrow(0, 1, epochs - 1).logical_not()).sum(0, type: ScalarType.Float32);
        var neverLearned = correct.any(0).logical_not();
        return events.masked_fill(neverLearned, epochs).MoveToOuterDisposeScope();
    }
}
