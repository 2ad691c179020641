using System.ComponentModel.DataAnnotations;
using Condensa.Memory;
using Condensa.Methods.Selection.Dynamics;
using Condensa.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Condensa.Methods.Selection.Scores;

/// <summary>Options of <c>deepfool</c>.</summary>
public sealed class DeepFoolOptions : SelectionModelOptions
{
    /// <summary>DeepFool iterations per sample at most.</summary>
    [Range(1, 10_000)] public int MaxIterations { get; set; } = 50;

    /// <summary>Overshoot η: the prediction is tested at x + (1 + η)·r_tot (DeepFool paper: 0.02).</summary>
    [Range(0.0, 1.0)] public double Overshoot { get; set; } = 0.02;

    /// <summary>
    /// Classes tested: the top candidate_classes by the clean logits, the predicted one included (2: the runner-up only;
    /// the DeepFool reference code's default is 10, DeepCore tests all classes).
    /// </summary>
    [Range(2, 100_000)] public int CandidateClasses { get; set; } = 2;

    /// <summary>Samples attacked together.</summary>
    [Range(1, 100_000)] public int AttackBatchSize { get; set; } = 500;
}

/// <summary>
/// DeepFool selection (Ducoffe &amp; Precioso 2018, "Adversarial active learning"): the samples closest to the trained
/// selection model's decision boundary, measured by the smallest perturbation DeepFool (Moosavi-Dezfooli et al. 2016,
/// Alg. 2) needs to change the prediction k̂ = argmax f(x₀), are kept — the <b>lowest</b> <c>‖r_tot‖²</c>. Each iteration
/// linearizes the logits at <c>x_i = x₀ + (1 + η)·r_tot</c>: with <c>f'_k = f_k(x_i) − f_k̂(x_i)</c> and
/// <c>w'_k = ∇f_k(x_i) − ∇f_k̂(x_i)</c>, it steps <c>r_i = |f'_l| / ‖w'_l‖² · w'_l</c> toward the nearest linearized
/// boundary <c>l = argmin_{k≠k̂} |f'_k| / ‖w'_k‖</c>, until argmax f(x₀ + (1 + η)·r_tot) ≠ k̂ or <c>max_iterations</c>
/// (50). The classes k are the top <c>candidate_classes</c> by the clean logits, the restriction of the paper's reference
/// code (there 10 of ImageNet's 1,000). Vectorized over a batch: one input-gradient pass per tested class and iteration,
/// finished samples leave the batch. Each iteration's forward pass also tests the label of the previous step; its graph
/// gives the candidate_classes − 1 input-gradient passes while at least half the samples go on (else the survivors run a
/// second forward pass). On Fashion-MNIST (w32 selection ConvNet) 80 % of the samples need a second step, 30 % a third.
/// Departure from DeepCore (which tests every class): the default tests the runner-up class only
/// (<c>candidate_classes: 2</c>). On Fashion-MNIST (w32 selection ConvNet, 20,000 images) it leaves 90 % of the
/// scores unchanged and picks exactly the same samples as all 10 classes at ipc 1, 10 and 50, at a fraction of the
/// cost (3 classes: 97 % unchanged; timings in docs/results.md); <c>tools/bench/selectors</c> checks the picks against
/// all classes on the 60,000 images. Set it to the number of classes for the exact multi-class DeepFool.
/// As in DeepCore: the smallest accumulated perturbation is kept, at most 50 iterations. Departure from DeepCore: the
/// paper's overshoot (DeepCore steps exactly onto the linearized boundary, where the label may not flip, and spends the
/// remaining iterations on vanishing steps).
/// </summary>
public sealed class DeepFoolSelector(DeepFoolOptions options) : DynamicsSelector<DeepFoolOptions>(options)
{
    public override Rank Rank => Rank.Lowest;

    /// <summary>
    /// Images DeepFool has sent through a model in this process: forward passes, and input-gradient passes (each costs
    /// about one forward: the gradients of the activations, not of the weights). <c>tools/bench/deepfool</c> counts its
    /// FLOPs from them.
    /// </summary>
    public static long ForwardImages => Interlocked.Read(ref _forwardImages);

    /// <inheritdoc cref="ForwardImages"/>
    public static long GradientImages => Interlocked.Read(ref _gradientImages);

    private static long _forwardImages, _gradientImages;

    internal override Tensor Score(MemoryRequest request, TrainingDynamics dynamics, CancellationToken cancellationToken)
    {
        using var scope = NewDisposeScope();
        var pool = request.TargetClasses.SelectMany(request.Source.IndicesOfClass).Order().Select(i => (long)i).ToArray();
        var scores = zeros(request.Source.Count);
        for (int start = 0; start < pool.Length; start += Options.AttackBatchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var batchScope = NewDisposeScope();
            var idx = tensor(pool.AsSpan(start, Math.Min(Options.AttackBatchSize, pool.Length - start)).ToArray());
            var perturbation = Perturbations(dynamics.Model, request.Source.Images.index_select(0, idx), Options.MaxIterations, Options.Overshoot, Options.CandidateClasses);
            scores.index_copy_(0, idx, perturbation.cpu());
        }
        return scores.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// <c>‖r_tot‖²</c> of DeepFool against <paramref name="model"/> (eval mode) for every image of the batch, testing the
    /// top <paramref name="candidateClasses"/> classes by the clean logits (the predicted one included).
    /// </summary>
    internal static Tensor Perturbations(ClassifierModel model, Tensor images, int maxIterations, double overshoot, int candidateClasses)
    {
        using var scope = NewDisposeScope();
        using var grad = enable_grad();
        var device = model.parameters().First().device;
        var x0 = images.to(device);
        var rTot = zeros_like(x0);
        var active = arange(x0.shape[0], device: device); // the samples whose label has not changed (yet)
        Tensor label = null!, others = null!;
        (Tensor X, Tensor F) Forward(Tensor rows)
        {
            var x = (x0.index_select(0, rows) + (1 + overshoot) * rTot.index_select(0, rows)).requires_grad_(true);
            Interlocked.Add(ref _forwardImages, x.shape[0]);
            return (x, model.call(x));
        }
        for (int iteration = 0; iteration < maxIterations; iteration++)
        {
            using var step = NewDisposeScope();
            var (x, f) = Forward(active);
            if (iteration == 0)
            {
                // k̂ and the classes tested against it, from the clean logits (x = x₀ in the first iteration)
                var top = f.detach().topk((int)Math.Min(candidateClasses, f.shape[1]), 1).indexes;
                label = top[.., 0].MoveToOuterDisposeScope();
                others = top[.., 1..].MoveToOuterDisposeScope();
            }
            // The label test of the previous step. While at least half the samples go on, the gradients come from this
            // forward pass's graph (backpropagating through the finished rows is cheaper than a second forward pass).
            var still = f.detach().argmax(1).eq(label.index_select(0, active)).nonzero().squeeze(1);
            long inGraph = active.numel(), left = still.numel();
            if (left == 0) break;
            active = active.index_select(0, still).MoveToOuterDisposeScope();
            Tensor? rowsOfX = null; // the active rows of x when the check's graph is reused with finished rows in it
            if (2 * left < inGraph) (x, f) = Forward(active);
            else if (left < inGraph) (rowsOfX, f) = (still, f.index_select(0, still));
            var k = label.index_select(0, active);
            var fPrime = f.gather(1, others.index_select(0, active)) - f.gather(1, k.unsqueeze(1)); // f'_k, one column per tested class
            long tested = fPrime.shape[1];
            if (tested == 0) break;
            Tensor Gradient(int j) // ∇f'_j, one input-gradient pass
            {
                Interlocked.Add(ref _gradientImages, x.shape[0]);
                var g = autograd.grad([fPrime[.., j].sum()], [x], retain_graph: j < tested - 1)[0];
                return (rowsOfX is null ? g : g.index_select(0, rowsOfX)).flatten(1);
            }
            var w = stack(Enumerable.Range(0, (int)tested).Select(Gradient), 1); // w'_k
            var wNorm = w.square().sum(-1).sqrt().clamp_min(1e-12);
            var distance = fPrime.detach().abs() / wNorm;
            var l = distance.argmin(1, keepdim: true);
            var r = (distance.gather(1, l) / wNorm.gather(1, l)) * w.gather(1, l.unsqueeze(2).expand(-1, 1, w.shape[2])).squeeze(1);
            rTot.index_add_(0, active, r.view([left, .. x0.shape[1..]]).detach(), 1);
        }
        return rTot.flatten(1).square().sum(1).MoveToOuterDisposeScope();
    }
}
