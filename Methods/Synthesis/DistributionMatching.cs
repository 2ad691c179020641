using Condensa.Models;
using Condensa.Training.Augmentation;
using TorchSharp;
using static TorchSharp.torch;

namespace Condensa.Methods.Synthesis;

/// <summary>
/// <c>dm</c>: dataset condensation with distribution matching (thesis Alg. 3, eq. 5.6). Each iteration draws a fresh
/// randomly initialized network ψ_θ (parameters frozen), and for every class c one shared DSA draw ω_c for a real batch
/// of <c>batch_real</c> images and the synthetic images of c; the loss is
/// L = Σ_c ‖mean ψ_θ(A_ω_c(B_c^T)) − mean ψ_θ(A_ω_c(S_c))‖², followed by one SGD step on the images (η = <c>lr_img</c>,
/// momentum 0.5). The real side runs under <c>no_grad</c>, so it records no autograd graph; the synthetic images of all
/// classes go through one forward and one backward (10 separate batches of 10 cost about 5x more CPU here). Networks
/// with batch norm embed all real images in one forward too (batch statistics over the mix of classes), as the
/// reference's BN branch (<c>main_DM.py</c>); otherwise a sample's embedding does not depend on its batch, so the
/// grouping changes nothing but speed. On a CPU with native bfloat16 the real side runs through a bfloat16 copy of the
/// same network (<see cref="SynthesisOptions.RealPrecision"/>): it is about 90 % of an iteration's arithmetic. Departures from
/// the reference: seeded generators per (iteration, class) instead of time-based reseeding, so each class's draws are
/// independent of the others; the real side's number format.
/// </summary>
public sealed class DistributionMatching(DmOptions options) : Synthesizer(options)
{
    /// <summary>
    /// Real images per forward for networks without batch norm: whole classes, about this many images (2 classes of 256);
    /// a larger batch costs less CPU per image than one class at a time (measured in docs/results.md), and the result is the same.
    /// </summary>
    private const int RealImagesPerForward = 512;

    public DmOptions Options { get; } = options;

    private protected override DiffAugment? Augmentation(bool digits) => Options.Augmentation(digits);

    private protected override double Iterate(int iteration, SynthesisContext context, SyntheticSet set)
    {
        using var net = context.Network(iteration);
        Freeze(net);
        using var realNet = context.RealSideNetwork(iteration, Options);
        if (realNet is not null) Freeze(realNet);
        int classes = context.Classes.Length;
        var syn = set.Leaf(0, classes);
        var reals = new Tensor[classes];
        var syns = new Tensor[classes];
        for (int j = 0; j < classes; j++)
        {
            using var generator = context.Generator("dm", iteration, j);
            reals[j] = context.RealBatch(j, Options.BatchReal, generator);
            syns[j] = syn.narrow(0, (long)j * context.Ipc, context.Ipc);
            if (context.Augmentation is { } dsa)
            {
                using var draw = dsa.DrawShared(context.Shape, generator);
                reals[j] = draw.Apply(reals[j]);
                syns[j] = draw.Apply(syns[j]);
            }
        }
        int classesPerForward = context.Architecture.HasBatchNorm ? classes : Math.Max(1, RealImagesPerForward / Options.BatchReal);
        var (loss, _) = MeanEmbeddingLoss(net, realNet ?? net, reals, syns, classesPerForward);
        set.SetGradient(0, autograd.grad([loss], [syn])[0]);
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
    /// through one forward of <paramref name="net"/>. The real class means (C x d, float32) are returned too.
    /// </summary>
    internal static (Tensor Loss, Tensor RealMeans) MeanEmbeddingLoss(ClassifierModel net, ClassifierModel realNet, IReadOnlyList<Tensor> real, IReadOnlyList<Tensor> syn, int classesPerForward)
    {
        Tensor realMeans;
        var format = realNet.parameters().First().dtype;
        using (no_grad())
            realMeans = cat(real.Chunk(classesPerForward).Select(part => ClassMeans(realNet, part.Select(p => p.to(format)).ToArray())).ToArray(), 0)
                .to(ScalarType.Float32);
        var synMeans = ClassMeans(net, syn.ToArray());
        return ((realMeans - synMeans).pow(2).sum(), realMeans);
    }

    /// <summary>The mean embedding of each part (parts x d), all parts in one forward.</summary>
    private static Tensor ClassMeans(ClassifierModel net, Tensor[] parts) =>
        stack(net.Embed(cat(parts, 0)).split(parts.Select(p => p.shape[0]).ToArray()).Select(e => e.mean([0])), 0);
}
