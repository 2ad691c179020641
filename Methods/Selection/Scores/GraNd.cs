using System.ComponentModel.DataAnnotations;
using Condensa.Memory;
using Condensa.Methods.Selection.Dynamics;
using Condensa.Models;
using Microsoft.Extensions.Logging;
using static TorchSharp.torch;

namespace Condensa.Methods.Selection.Scores;

/// <summary>Options of <c>grand</c>.</summary>
public sealed class GraNdOptions : SelectionModelOptions
{
    /// <summary>Independently seeded selection-model trainings whose gradient norms are averaged.</summary>
    [Range(1, 1000)] public int Repeat { get; set; } = 10;
}

/// <summary>
/// GraNd (Paul et al. 2021): the expected norm of a sample's loss gradient early in training,
/// <c>χ(x, y) = E_θ ‖∇_θ ℓ(x, y)‖</c>, estimated as the mean over <c>repeat</c> (10) independently seeded trainings of
/// <c>selection_epochs</c> each; the highest (most influential) samples are kept. The gradient is the last layer's (as in
/// DeepCore's <c>grand.py</c>), <c>g = e ⊗ [1, h]</c> with <c>e = p − onehot(y)</c>, the gradient of the paper's
/// cross-entropy on the logits, so <c>‖g‖ = ‖e‖·sqrt(1 + ‖h‖²)</c> from the eval-mode pass after the last epoch.
/// Departures: the paper takes the full-model gradient (not offered: a per-sample backward pass over every parameter for
/// N samples and 10 repeats costs more than all the trainings). DeepCore divides by the batch size and seeds repeats with
/// <c>seed + 5r</c>; its revision 7436c0a instead seeds them from the clock and applies a second softmax before the loss,
/// so its e is not p − onehot(y) (see <c>LastLayerGradients</c>). Repeat 0 is the run's shared recording; repeat r uses
/// its own recording seeded <c>Derive(seed, "grand", r)</c>.
/// </summary>
public sealed class GraNdSelector(GraNdOptions options) : DynamicsSelector<GraNdOptions>(options)
{
    public override Rank Rank => Rank.Highest;

    public override MemorySet Build(MemoryRequest request, CancellationToken cancellationToken)
    {
        using var scope = NewDisposeScope();
        var sum = Score(request, TrainingDynamics.For(request, Options, null, cancellationToken), cancellationToken);
        var arch = Options.SelectionArch is { } a ? ArchitectureSpec.Parse(a) : request.Architecture;
        for (int r = 1; r < Options.Repeat; r++)
        {
            request.Log.LogInformation("grand: training repeat {Repeat} of {Total}", r + 1, Options.Repeat);
            using var dynamics = TrainingDynamics.Record(request.Source, arch, Options, [Options.SelectionEpochs], Seeds.Derive(request.Seed, "grand", r),
                request.Device, request.Progress, cancellationToken);
            sum.add_(Score(request, dynamics, cancellationToken));
        }
        return ScoreRanking.Select(request, sum / Options.Repeat, Rank, Balanced(request));
    }

    /// <summary>Last-layer gradient norms of one recording, <c>‖e_i‖·‖[1, h_i]‖</c>.</summary>
    internal override Tensor Score(MemoryRequest request, TrainingDynamics dynamics, CancellationToken cancellationToken)
    {
        using var scope = NewDisposeScope();
        var (e, h) = dynamics.GradientFactors(dynamics.Final);
        return (e.square().sum(1).sqrt() * h.square().sum(1).sqrt()).MoveToOuterDisposeScope();
    }
}
