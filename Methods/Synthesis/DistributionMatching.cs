using Condensa.Memory;
using Condensa.Models;
using Condensa.Training.Augmentation;
using TorchSharp;
using static TorchSharp.torch;

namespace Condensa.Methods.Synthesis;

/// <summary>
/// <c>dm</c>: dataset condensation with distribution matching (thesis Alg. 3, eq. 5.6), and <c>idm</c>, its improved form
/// (Zhao et al., CVPR 2023), one implementation. Each iteration takes a network ψ_θ (parameters frozen): freshly
/// initialized (DM), or a snapshot drawn from a <see cref="ModelPool"/> of networks partly trained on real data (IDM's
/// model sampling); for every class c one shared DSA draw ω_c for a real batch of <c>batch_real</c> images and the
/// synthetic images of c (decoded under multi-formation, IDM's partitioning and expansion); the loss is
/// L = Σ_c ‖mean ψ_θ(A_ω_c(B_c^T)) − mean ψ_θ(A_ω_c(S_c))‖² + λ·acc_θ·CE(ψ_θ(A_ω(S)), y), the second term IDM's class-aware
/// regularization (λ = <c>ce_weight</c>, acc_θ the network's training accuracy in percent, as the authors' code; 0 for
/// DM and for untrained networks), followed by one SGD step on the stored images (η = <c>lr_img</c>, momentum 0.5). The
/// real side runs under <c>no_grad</c>, so it records no autograd graph; the synthetic images of all classes go
/// through one forward and one backward (10 separate batches of 10 cost about 5x more CPU here). Networks with batch
/// norm embed all real images in one forward too (batch statistics over the mix of classes), as the reference's BN
/// branch (<c>main_DM.py</c>); otherwise a sample's embedding does not depend on its batch, so the grouping changes
/// nothing but speed. On a CPU with native bfloat16 the real side runs through a bfloat16 copy of the same network
/// (<see cref="SynthesisOptions.RealPrecision"/>): it is about 90 % of an iteration's arithmetic. Departures from the
/// references: seeded generators per (iteration, class) instead of time-based reseeding, so each class's draws are
/// independent of the others; the real side's number format; IDM's networks come from a pool trained beforehand instead
/// of a queue trained during the condensation (<see cref="ModelPool"/> says why they are the same distribution).
/// </summary>
public sealed class DistributionMatching(DistributionMatchingOptions options) : Synthesizer(options)
{
    /// <summary>
    /// Real images per forward for networks without batch norm: whole classes, about this many images (2 classes of 256);
    /// a larger batch costs less CPU per image than one class at a time (measured in docs/results.md), and the result is the same.
    /// </summary>
    private const int RealImagesPerForward = 512;

    private ModelPool? _pool;

    public DistributionMatchingOptions Options { get; } = options;

    private protected override DiffAugment? Augmentation(bool digits) => Options.Augmentation(digits);

    private protected override void Prepare(MemoryRequest request, SynthesisContext context, CancellationToken cancellationToken) =>
        _pool = Options.PoolModels > 0 ? ModelPool.Obtain(request, context, Options, cancellationToken) : null;

    /// <summary>The network of iteration <paramref name="iteration"/> and its training accuracy (0..1): a seeded draw from the pool, or a fresh one (accuracy 0).</summary>
    private (ClassifierModel Net, double Accuracy) Network(int iteration, SynthesisContext context)
    {
        var net = context.Network(iteration);
        if (_pool is null) return (net, 0);
        using var generator = context.Generator("pool-draw", iteration);
        int index = (int)randint(_pool.Count, [1], generator: generator).item<long>();
        _pool.Load(index, net);
        return (net, _pool.Accuracy(index));
    }

    private protected override double Iterate(int iteration, SynthesisContext context, SyntheticSet set)
    {
        var (net, accuracy) = Network(iteration, context);
        using var _ = net;
        Freeze(net);
        using var realNet = context.RealSideCopy(net, Options);
        if (realNet is not null) Freeze(realNet);
        int classes = context.Classes.Length;
        var syn = set.Leaf(0, classes);
        var reals = new Tensor[classes];
        var syns = new Tensor[classes];
        // DREAM windows of dream_interval iterations, clustered in the embedding of the network of the window's first iteration
        int start = iteration - iteration % Options.DreamInterval;
        ClassifierModel? startNet = null;
        ClassifierModel WindowNetwork() => start == iteration ? net : startNet ??= Network(start, context).Net;
        for (int j = 0; j < classes; j++)
        {
            using var generator = context.Generator("dm", iteration, j);
            reals[j] = context.MatchingBatch(j, Options.BatchReal, generator, $"{start}", WindowNetwork);
            syns[j] = context.Decoded(syn.narrow(0, (long)j * context.Ipc, context.Ipc));
            if (context.Augmentation is { } dsa)
            {
                using var draw = dsa.DrawShared(context.Shape, generator);
                reals[j] = draw.Apply(reals[j]);
                syns[j] = draw.Apply(syns[j]);
            }
        }
        startNet?.Dispose();
        int classesPerForward = context.Architecture.HasBatchNorm ? classes : Math.Max(1, RealImagesPerForward / Options.BatchReal);
        double ce = Options.CeWeight * 100 * accuracy;
        var (loss, _, synEmbeddings) = MeanEmbeddingLoss(net, realNet ?? net, reals, syns, classesPerForward);
        var total = ce > 0
            ? loss + ce * nn.functional.cross_entropy(net.Classifier.call(synEmbeddings), set.Labels.repeat_interleave(context.Factor * context.Factor))
            : loss;
        set.SetGradient(0, autograd.grad([total], [syn])[0]);
        set.Step(Options.LrImg);
        return loss.item<float>() / classes;
    }

    /// <summary>A network used only as a fixed embedding ψ_θ: no parameter requires grad, training mode (as the reference).</summary>
    internal static void Freeze(ClassifierModel net)
    {
        foreach (var p in net.parameters()) p.requires_grad = false;
        net.train();
    }

    /// <summary>
    /// Σ_c ‖mean ψ(real_c) − mean ψ(syn_c)‖² over the classes of the lists (real_c and syn_c at the same position). The
    /// real images go through <paramref name="realNet"/> (ψ itself, or a copy of it in another number format) under
    /// <c>no_grad</c>, <paramref name="classesPerForward"/> classes per forward; the synthetic images of all classes go
    /// through one forward of <paramref name="net"/>. The real class means (C x d, float32) and the synthetic embeddings are returned too.
    /// </summary>
    internal static (Tensor Loss, Tensor RealMeans, Tensor SynEmbeddings) MeanEmbeddingLoss(ClassifierModel net, ClassifierModel realNet, IReadOnlyList<Tensor> real,
        IReadOnlyList<Tensor> syn, int classesPerForward)
    {
        Tensor realMeans;
        var format = realNet.parameters().First().dtype;
        using (no_grad())
            realMeans = cat(real.Chunk(classesPerForward).Select(part => ClassMeans(realNet, part.Select(p => p.to(format)).ToArray()).Means).ToArray(), 0)
                .to(ScalarType.Float32);
        var (synMeans, synEmbeddings) = ClassMeans(net, syn.ToArray());
        return ((realMeans - synMeans).pow(2).sum(), realMeans, synEmbeddings);
    }

    /// <summary>The mean embedding of each part (parts x d), all parts in one forward, and the embeddings themselves.</summary>
    private static (Tensor Means, Tensor Embeddings) ClassMeans(ClassifierModel net, Tensor[] parts)
    {
        var embeddings = net.Embed(cat(parts, 0));
        return (stack(embeddings.split(parts.Select(p => p.shape[0]).ToArray()).Select(e => e.mean([0])), 0), embeddings);
    }
}
