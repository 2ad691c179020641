using Condensa.Training;
using Condensa.Models;
using Condensa.Training.Augmentation;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn.functional;

namespace Condensa.Methods.Synthesis;

/// <summary>
/// Dataset condensation with gradient matching: <c>dc</c> (thesis Alg. 1) and, with differentiable Siamese augmentation,
/// <c>dsa</c> (Alg. 2), one implementation. Each iteration k draws a fresh network θ₀ ~ P_θ and runs T outer steps; an
/// outer step matches, for every class c, the gradient of the CE loss on a real batch of class c (<c>batch_real</c>
/// images) with the gradient on the synthetic images of c, D = <see cref="MatchingDistance"/> (eq. 3.10 by default), and
/// takes one SGD step on the images (ζ_S = 1, η_S = <c>lr_img</c>, momentum 0.5); then, except after the last outer
/// step, ζ_θ epochs of plain SGD (η_θ = <c>lr_net</c>) train the network on the synthetic set. DSA applies one shared
/// augmentation draw to the real and the synthetic batch of a class (Siamese) and per-image draws in the network updates.
/// Networks with batch norm: before each outer step, 16 real images per class go through the network in training mode
/// and the batch-norm layers are then frozen in eval mode for the matching (the reference's <c>BN_size</c> step).
/// Departures from the reference (<c>main.py</c>): seeded generators per (iteration, step, class) instead of time-based
/// reseeding; the image gradient is taken with <c>autograd.grad</c> w.r.t. the synthetic images only (the reference's
/// <c>backward</c> also fills the network's gradients, then discards them), and for <c>ours</c> the 1-D parameters, whose
/// distance is 0, are left out of both gradients. On a CPU with native bfloat16 the real-batch gradients, a constant target
/// of the matching and about a third of an iteration's arithmetic, come from a bfloat16 copy of the network refreshed
/// before every outer step (<see cref="SynthesisOptions.RealPrecision"/>); the logits are cast back to float32 for the loss.
/// </summary>
public sealed class GradientMatching : Synthesizer
{
    /// <summary>Real images per class that set the batch-norm statistics (the reference's <c>BN_size</c>).</summary>
    private const int BatchNormImagesPerClass = 16;

    private readonly GradientMatchingOptions _options;

    public GradientMatching(DcOptions options) : base(options) => _options = options;

    public GradientMatching(DsaOptions options) : base(options) => _options = options;

    public GradientMatching(IdcOptions options) : base(options) => _options = options;

    private protected override DiffAugment? Augmentation(bool digits) => _options.Augmentation(digits);

    private protected override double Iterate(int iteration, SynthesisContext context, SyntheticSet set)
    {
        var (outer, inner) = _options.Loops(context.Ipc);
        using var net = context.Network(iteration);
        using var realCopy = context.RealSideCopy(net, _options);
        var realMatched = realCopy is null ? null : Matched(realCopy);
        // IDC: one optimizer for the whole iteration, so its momentum carries over from one matching step to the next
        using var realTraining = _options.NetTraining == NetworkTraining.Real ? new MasterWeights(net, bfloat16: false, momentum: 0.9, weightDecay: 5e-4) : null;
        double loss = 0;
        for (int t = 0; t < outer; t++)
        {
            if (context.Architecture.HasBatchNorm) FreezeBatchNorm(net, context, iteration, t);
            if (realCopy is not null) SynthesisContext.CopyState(net, realCopy);
            // the parameters as they are now: a bfloat16 phase of the network's training re-creates them
            var matched = Matched(net);
            var real = realCopy is null ? (net, matched) : (realCopy, realMatched!);
            for (int j = 0; j < context.Classes.Length; j++)
                loss += MatchClass(net, matched, real, context, set, iteration, t, j);
            set.Step(_options.ImageLr(context.Ipc));
            if (t == outer - 1) break;
            if (realTraining is not null) TrainOnReal(net, realTraining, context, iteration, t);
            else TrainNetwork(net, context, set, inner, iteration, t);
        }
        return loss / (context.Classes.Length * outer);
    }

    /// <summary>The parameters whose gradients are matched: all; for <c>ours</c> those with more than one dimension; for <c>l1</c> the convolution weights.</summary>
    private Tensor[] Matched(ClassifierModel net)
    {
        var parameters = net.parameters().ToArray();
        return _options.DisMetric switch
        {
            MatchingMetric.Ours => parameters.Where(p => p.dim() > 1).ToArray(),
            MatchingMetric.L1 => parameters.Where(p => p.dim() == 4).ToArray(),
            _ => parameters,
        };
    }

    /// <summary>
    /// D(∇θ L(A_ω(S_c)), ∇θ L(A_ω(B_c^T))) for the class at position <paramref name="j"/>; stores its gradient w.r.t. S_c.
    /// The real gradient is taken on <paramref name="real"/>: the network itself or its copy in another number format.
    /// </summary>
    private double MatchClass(ClassifierModel net, Tensor[] matched, (ClassifierModel Net, Tensor[] Matched) real, SynthesisContext context, SyntheticSet set, int k, int t, int j)
    {
        using var scope = NewDisposeScope();
        using var generator = context.Generator("match", k, t, j);
        // DREAM windows of dream_interval outer steps within the iteration, clustered in the network as at the window's first step
        var realInput = context.MatchingBatch(j, _options.BatchReal, generator, $"{k}/{t - t % _options.DreamInterval}", () => net);
        var syn = set.Leaf(j, 1);
        var synInput = context.Decoded(syn);
        if (context.Augmentation is { } dsa)
        {
            using var draw = dsa.DrawShared(context.Shape, generator);
            realInput = draw.Apply(realInput);
            synInput = draw.Apply(synInput);
        }
        long c = context.Classes[j];
        var logitsReal = real.Net.call(realInput.to(real.Matched[0].dtype)).to(ScalarType.Float32);
        var lossReal = cross_entropy(logitsReal, full(realInput.shape[0], c, ScalarType.Int64, device: realInput.device));
        var gwReal = autograd.grad([lossReal], real.Matched).Select(g => g.detach().to(ScalarType.Float32)).ToArray();
        var lossSyn = cross_entropy(net.call(synInput), full(synInput.shape[0], c, ScalarType.Int64, device: syn.device));
        var gwSyn = autograd.grad([lossSyn], matched, create_graph: true, retain_graph: true).ToArray();
        var distance = MatchingDistance.Compute(gwSyn, gwReal, _options.DisMetric);
        set.SetGradient(j, autograd.grad([distance], [syn])[0]);
        return distance.item<float>();
    }

    /// <summary>Sets the batch-norm running statistics from 16 real images per class (training-mode forward), then freezes them (eval mode).</summary>
    private static void FreezeBatchNorm(ClassifierModel net, SynthesisContext context, int k, int t)
    {
        using var scope = NewDisposeScope();
        using var generator = context.Generator("batchnorm", k, t);
        var real = cat(Enumerable.Range(0, context.Classes.Length).Select(j => context.RealBatch(j, BatchNormImagesPerClass, generator)).ToArray(), 0);
        net.train();
        using (no_grad()) net.call(real);
        foreach (var module in net.modules())
            if (module is BatchNorm) module.eval();
    }

    /// <summary>
    /// IDC's network update: <c>n_data</c> real images in random batches of <c>batch_real</c> from all classes, each image
    /// augmented on its own (the strategy without cutout, which CutMix replaces) and the batch cut-mixed with probability
    /// 0.5, one SGD step per batch with the iteration's optimizer (<paramref name="weights"/>: lr 0.01, momentum 0.9, weight decay 5e-4).
    /// </summary>
    private void TrainOnReal(ClassifierModel net, MasterWeights weights, SynthesisContext context, int k, int t)
    {
        const double NetLr = 0.01, CutmixProbability = 0.5;
        net.train();
        using var generator = context.Generator("train-real", k, t);
        var augmentation = context.Augmentation is { } a && a.Strategy.Ops.Contains(DsaOp.Cutout) && a.Strategy.Ops.Any(op => op != DsaOp.Cutout)
            ? new DiffAugment(a.Strategy.Without(DsaOp.Cutout), a.Options) : context.Augmentation;
        for (int seen = 0; seen < _options.NData; seen += _options.BatchReal)
        {
            using var step = NewDisposeScope();
            var (x, y) = context.RealMixedBatch(_options.BatchReal, generator);
            if (augmentation is not null) x = augmentation.Augment(x, generator);
            var mix = CutMix.Draw(x, CutmixProbability, generator);
            if (mix is not null) x = mix.Apply(x);
            var logits = net.call(x);
            var loss = mix?.Loss(logits, y) ?? cross_entropy(logits, y);
            weights.ZeroGrad();
            loss.backward();
            weights.Step(NetLr);
        }
    }

    /// <summary>
    /// ζ_θ epochs of plain SGD (η_θ = <c>lr_net</c>) on the (fixed, detached) synthetic set in minibatches of
    /// <c>batch_train</c>, DSA per image for <c>dsa</c>, in the number format of <c>inner_precision</c>.
    /// </summary>
    private void TrainNetwork(ClassifierModel net, SynthesisContext context, SyntheticSet set, int epochs, int k, int t)
    {
        net.train();
        using var weights = new MasterWeights(net, _options.InnerPrecision.IsBFloat16(context.Device), momentum: 0, weightDecay: 0);
        var format = weights.BFloat16 ? ScalarType.BFloat16 : ScalarType.Float32;
        using var generator = context.Generator("train", k, t);
        using var images = context.Decoded(set.Images.detach());
        using var labels = set.Labels.repeat_interleave(context.Factor * context.Factor);
        long n = images.shape[0];
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            using var scope = NewDisposeScope();
            var order = randperm(n, generator: generator).to(images.device);
            for (long start = 0; start < n; start += _options.BatchTrain)
            {
                using var step = NewDisposeScope();
                var batch = order.narrow(0, start, Math.Min(_options.BatchTrain, n - start));
                var x = images.index_select(0, batch);
                if (context.Augmentation is { } dsa) x = dsa.Augment(x, generator);
                var loss = cross_entropy(net.call(x.to(format)).to(ScalarType.Float32), labels.index_select(0, batch));
                weights.ZeroGrad();
                loss.backward();
                weights.Step(_options.LrNet);
            }
        }
    }
}
