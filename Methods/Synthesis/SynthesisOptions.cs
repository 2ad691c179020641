using System.ComponentModel.DataAnnotations;
using Condensa.Config;
using Condensa.Memory;
using Condensa.Training;
using Condensa.Training.Augmentation;
using TorchSharp;

namespace Condensa.Methods.Synthesis;

/// <summary>How the synthetic images start: random real images of their class, or N(0, 1) noise (normalized space).</summary>
public enum SyntheticInit { Real, Noise }

/// <summary>How a matching step picks its real images.</summary>
public enum RealSampling
{
    /// <summary>A uniform random batch of the class.</summary>
    Random,
    /// <summary>DREAM's representative matching: the images nearest the centres of k-means sub-clusters of the class.</summary>
    Dream,
}

/// <summary>The gradient-matching distance D (reference <c>--dis_metric</c>).</summary>
public enum MatchingMetric
{
    /// <summary>Eq. 3.10: per layer, per output node, 1 − cosine; 1-D parameters (biases, norm affine) contribute 0.</summary>
    Ours,
    /// <summary>Squared Euclidean distance between the concatenated gradients of all parameters.</summary>
    Mse,
    /// <summary>1 − cosine between the concatenated gradients of all parameters.</summary>
    Cos,
    /// <summary>IDC's distance: Σ |∇θ L^S − ∇θ L^T| over the convolution weights only (biases, norm parameters and the classifier left out).</summary>
    L1,
}

/// <summary>What the network of a gradient-matching iteration trains on between its matching steps.</summary>
public enum NetworkTraining
{
    /// <summary>The synthetic set, ζ_θ epochs (DC, DSA).</summary>
    Synthetic,
    /// <summary>Random real batches, <c>n_data</c> images per step (IDC: the network learns the real data while the images match it).</summary>
    Real,
}

/// <summary>
/// Options every synthesizer shares. The images are learned in the source's normalized space with SGD (momentum 0.5,
/// the reference's <c>optimizer_img</c>); labels are fixed, class-major. Defaults are set by each method's options.
/// </summary>
public abstract class SynthesisOptions : IValidatableOptions, IMultiFormationOptions
{
    /// <summary>Iterations K, each with a freshly initialized network (thesis: 1000 for DC/DSA, 20,000 for DM).</summary>
    [Range(1, 10_000_000)] public int Iterations { get; set; }

    /// <summary>Learning rate η_S of the synthetic images (SGD, momentum 0.5).</summary>
    [Range(0.0, 1000.0)] public double LrImg { get; set; }

    /// <summary>Initialization of the synthetic images: real (random real images of the class) or noise (N(0, 1)).</summary>
    public SyntheticInit Init { get; set; }

    /// <summary>Real images sampled per class for each matching step.</summary>
    [Range(1, 1_000_000)] public int BatchReal { get; set; } = 256;

    /// <summary>
    /// How a matching step picks its <c>batch_real</c> real images of a class: random, or dream (Liu et al., ICCV 2023): the
    /// images nearest the centres of that many k-means sub-clusters of the class in the matching network's embedding,
    /// refreshed every <c>dream_interval</c> matching steps.
    /// </summary>
    public RealSampling Sampling { get; set; } = RealSampling.Random;

    /// <summary>Matching steps a DREAM batch is reused for (with fresh augmentation) before the class is clustered again (DREAM: 10).</summary>
    [Range(1, 1_000_000)] public int DreamInterval { get; set; } = 10;

    /// <summary>Real images of a class embedded and clustered at each DREAM refresh (a seeded random subset; all when the class has fewer).</summary>
    [Range(1, 10_000_000)] public int DreamPool { get; set; } = 2048;

    /// <summary>
    /// Multi-formation factor K (Kim et al., ICML 2022): each stored image holds K x K images of 1/K its side, decoded by
    /// upsampling for matching and training, so a budget of ipc stored images trains on ipc·K² per class. 1: off.
    /// </summary>
    [Range(1, 8)] public int Factor { get; set; } = 1;

    /// <summary>
    /// Bits per stored pixel of the finished memory: 8 rounds the images to 8-bit pixels (clamped to the valid range),
    /// as an image file stores them, so the memory takes as many bytes as the same number of real images (and costs no
    /// accuracy: docs/results.md); 32 keeps float32, four times the bytes.
    /// </summary>
    [AllowedValues(8, 32)] public int PixelBits { get; set; } = 8;

    /// <summary>Write a checkpoint (when the run has a checkpoint folder) every N iterations and at the end; 0: only when interrupted and at the end.</summary>
    [Range(0, 10_000_000)] public int CheckpointEvery { get; set; }

    /// <summary>Log the loss every N iterations.</summary>
    [Range(1, 10_000_000)] public int LogEvery { get; set; }

    /// <summary>
    /// Number format of the real side, the part computed without a graph into the synthetic images: auto, float32 or
    /// bfloat16 (DM: the real embeddings; DC/DSA: the real-batch gradients). The synthetic side, the loss and the image
    /// updates stay float32. On a CPU with AVX512-BF16 bfloat16 makes that part about 1.4 to 2 times faster; the real
    /// class means and gradients change by well under 1 % (relative), far below the sampling noise of a 256-image batch.
    /// </summary>
    public Precision RealPrecision { get; set; } = Precision.Auto;

    /// <summary>The image optimizer's momentum (the reference's <c>SGD(image_syn, lr_img, momentum=0.5)</c>).</summary>
    internal const double ImageMomentum = 0.5;

    public virtual void Validate(Action<string, string> error) { }

    /// <summary>Checks a <c>dsa_strategy</c> value: null (the dataset's default), a DSA strategy string, or <c>none</c> if allowed.</summary>
    private protected static void ValidateStrategy(string? strategy, bool allowNone, Action<string, string> error)
    {
        if (strategy is null || (allowNone && IsNone(strategy))) return;
        try { DsaStrategy.Parse(strategy, "dsa_strategy"); }
        catch (CondensaException e) { error("dsa_strategy", e.Message + (allowNone ? "; or none" : "")); }
    }

    /// <summary>
    /// The Siamese augmentation of a method: the thesis' strategy for the dataset when <paramref name="strategy"/> is null
    /// (all six ops, no flip for digits), none for <c>none</c>, else the parsed strategy.
    /// </summary>
    private protected static DiffAugment? Augmentation(string? strategy, bool digits) => strategy switch
    {
        null => new DiffAugment(AugmentationOption.DefaultStrategy(digits)),
        _ when IsNone(strategy) => null,
        _ => new DiffAugment(DsaStrategy.Parse(strategy, "dsa_strategy")),
    };

    private static bool IsNone(string strategy) => strategy.Trim().Equals("none", StringComparison.OrdinalIgnoreCase);
}

/// <summary>
/// Options of gradient matching (<c>dc</c>, <c>dsa</c>; thesis Alg. 1 and 2, appendix A.1). The outer loop T and the
/// inner loop ζ_θ default by images per class as the reference's <c>get_loops</c>: 1 → (1, 1), 10 → (10, 50),
/// 20 → (20, 25), 30 → (30, 20), 40 → (40, 15), 50 → (50, 10); any other ipc follows the thesis' rule for larger sets,
/// T = ipc and ζ_θ = round(500 / ipc) (the reference exits instead).
/// </summary>
public abstract class GradientMatchingOptions : SynthesisOptions
{
    private protected GradientMatchingOptions()
    {
        Iterations = 100;
        LrImg = 0.1;
        CheckpointEvery = 1;
        LogEvery = 1;
    }

    /// <summary>Outer-loop steps T per iteration (image updates on one network); default by ipc.</summary>
    [Range(1, 100_000)] public int? OuterLoop { get; set; }

    /// <summary>Network updates ζ_θ (epochs over the synthetic set) between two outer steps; default by ipc.</summary>
    [Range(0, 1_000_000)] public int? InnerLoop { get; set; }

    /// <summary>Learning rate η_θ of the network updates (SGD, no momentum).</summary>
    [Range(0.0, 100.0)] public double LrNet { get; set; } = 0.01;

    /// <summary>Minibatch size of the network updates on the synthetic set.</summary>
    [Range(1, 1_000_000)] public int BatchTrain { get; set; } = 256;

    /// <summary>
    /// Number format of the network updates on the synthetic set between outer steps (about 60 % of an iteration at ipc
    /// 10): auto, float32 or bfloat16 (mixed precision, float32 weights). The matching itself stays float32.
    /// </summary>
    public Precision InnerPrecision { get; set; } = Precision.Auto;

    /// <summary>Gradient-matching distance: ours (eq. 3.10), mse, cos or l1 (IDC).</summary>
    public MatchingMetric DisMetric { get; set; } = MatchingMetric.Ours;

    /// <summary>What the network trains on between matching steps: synthetic (DC, DSA: inner_loop epochs on the synthetic set) or real (IDC).</summary>
    public NetworkTraining NetTraining { get; set; } = NetworkTraining.Synthetic;

    /// <summary>
    /// With net_training real: real images per network update, in random all-class batches of batch_real with per-image
    /// augmentation (the strategy without cutout) and CutMix (probability 0.5), SGD lr 0.01, momentum 0.9, weight decay 5e-4 (IDC's <c>n_data</c>).
    /// </summary>
    [Range(1, 10_000_000)] public int NData { get; set; } = 500;

    /// <summary>The image learning rate at <paramref name="ipc"/> images per class (lr_img itself; IDC scales it with ipc).</summary>
    internal virtual double ImageLr(int ipc) => LrImg;

    /// <summary>The Siamese augmentation of the matching, or null.</summary>
    internal virtual DiffAugment? Augmentation(bool digits) => null;

    /// <summary>(T, ζ_θ) for <paramref name="ipc"/> images per class, explicit options first.</summary>
    public (int Outer, int Inner) Loops(int ipc)
    {
        var (outer, inner) = ipc switch
        {
            1 => (1, 1),
            10 => (10, 50),
            20 => (20, 25),
            30 => (30, 20),
            40 => (40, 15),
            50 => (50, 10),
            _ => (ipc, Math.Max(1, (int)Math.Round(500.0 / ipc))),
        };
        return (OuterLoop ?? outer, InnerLoop ?? inner);
    }
}

/// <summary>
/// <c>dc</c>: gradient matching without augmentation (thesis Alg. 1). Defaults: lr_img 0.1, noise init (appendix A.1
/// and the reference's default), 100 iterations (the thesis runs K = 1000, beyond a CPU budget).
/// </summary>
public sealed class DcOptions : GradientMatchingOptions
{
    public DcOptions() => Init = SyntheticInit.Noise;
}

/// <summary>
/// <c>dsa</c>: gradient matching with differentiable Siamese augmentation (thesis Alg. 2). Defaults as <c>dc</c> but real
/// init (the DSA README's <c>--init real</c>).
/// </summary>
public sealed class DsaOptions : GradientMatchingOptions
{
    public DsaOptions() => Init = SyntheticInit.Real;

    /// <summary>DSA strategy, e.g. color_crop_cutout_flip_scale_rotate; default: all six ops, no flip for digit data.</summary>
    public string? DsaStrategy { get; set; }

    public override void Validate(Action<string, string> error) => ValidateStrategy(DsaStrategy, allowNone: false, error);

    internal override DiffAugment Augmentation(bool digits) => Augmentation(DsaStrategy, digits)!;
}

/// <summary>
/// <c>idc</c>: IDC (Kim et al., ICML 2022), gradient matching with its own choices: multi-formation (factor 2), a fresh
/// network per iteration that trains on real data between its 100 matching steps (net_training real, n_data 500, batches of
/// 64 with CutMix), 64 real images per class per matching step, the L1 distance on the convolution weights, Siamese
/// color_crop_cutout augmentation (Fashion-MNIST's in the authors' settings). The image rate is the authors' 1e-4 per
/// pixel at ipc 10 and 28 x 28, converted to normalized images (divided by std², 0.1246 for Fashion-MNIST) and scaled
/// with ipc as theirs. The authors run 2,000 iterations; the default 10 is a CPU budget.
/// </summary>
public sealed class IdcOptions : GradientMatchingOptions
{
    public IdcOptions()
    {
        Init = SyntheticInit.Real;
        Factor = 2;
        Iterations = 10;
        OuterLoop = 100;
        InnerLoop = 0;
        NetTraining = NetworkTraining.Real;
        BatchReal = 64;
        DisMetric = MatchingMetric.L1;
        LrImg = 6e-4;
        DsaStrategy = "color_crop_cutout";
    }

    /// <summary>Siamese augmentation of the matching (IDC's aug_type for Fashion-MNIST: color_crop_cutout); none: off.</summary>
    public string? DsaStrategy { get; set; }

    public override void Validate(Action<string, string> error) => ValidateStrategy(DsaStrategy, allowNone: true, error);

    /// <summary>lr_img is the rate at ipc 10; IDC scales it in proportion to ipc (<c>tune_lr_img</c>).</summary>
    internal override double ImageLr(int ipc) => LrImg * ipc / 10.0;

    internal override DiffAugment? Augmentation(bool digits) => Augmentation(DsaStrategy, digits);
}

/// <summary>
/// Options of distribution matching (<c>dm</c>, <c>idm</c>): the mean embeddings of the real and the synthetic images of
/// each class matched under a network drawn per iteration, either freshly initialized (DM) or a snapshot of a model pool
/// partly trained on real data (IDM's model sampling), with IDM's class-aware regularization when <c>ce_weight</c> is above 0.
/// </summary>
public abstract class DistributionMatchingOptions : SynthesisOptions
{
    private protected DistributionMatchingOptions()
    {
        Init = SyntheticInit.Real;
        CheckpointEvery = 50;
        LogEvery = 10;
    }

    /// <summary>DSA strategy; default: all six ops, no flip for digit data; none: no augmentation.</summary>
    public string? DsaStrategy { get; set; }

    /// <summary>
    /// Networks of the model pool (IDM's "efficient model sampling"): each is trained <c>pool_steps</c> SGD steps on
    /// random real batches, and every iteration matches under one of their snapshots; 0: a freshly initialized network
    /// per iteration (DM).
    /// </summary>
    [Range(0, 1000)] public int PoolModels { get; set; }

    /// <summary>SGD steps each pool network trains on real data (batch 256, lr 0.01, momentum 0.9, weight decay 5e-4, no augmentation, as IDM's networks).</summary>
    [Range(1, 10_000_000)] public int PoolSteps { get; set; } = 600;

    /// <summary>Snapshots kept of each pool network, evenly spaced from its initialization (step 0) to its last step.</summary>
    [Range(2, 1000)] public int PoolSnapshots { get; set; } = 7;

    /// <summary>
    /// Weight of IDM's class-aware regularization: the cross-entropy of the synthetic images under the iteration's
    /// network, scaled by this and by the network's training accuracy in percent (as the authors' code); 0: off.
    /// </summary>
    [Range(0.0, 1000.0)] public double CeWeight { get; set; }

    public override void Validate(Action<string, string> error) => ValidateStrategy(DsaStrategy, allowNone: true, error);

    internal DiffAugment? Augmentation(bool digits) => Augmentation(DsaStrategy, digits);
}

/// <summary>
/// <c>dm</c>: distribution matching (thesis Alg. 3). Defaults: lr_img 1.0, real init, 200 iterations (the thesis runs
/// K = 20,000; 200 already gain several points over the real init, see docs/results.md), a checkpoint every 50 and a
/// log line every 10 iterations, a fresh network per iteration.
/// </summary>
public sealed class DmOptions : DistributionMatchingOptions
{
    public DmOptions()
    {
        Iterations = 200;
        LrImg = 1.0;
    }
}

/// <summary>
/// <c>idm</c>: improved distribution matching (Zhao et al., CVPR 2023): DM with partitioning and expansion (multi-formation,
/// factor 2), networks sampled from a pool partly trained on real data, and class-aware regularization (ce_weight 0.5).
/// Defaults from the authors' commands (lr_img 0.2, momentum 0.5, real init, batch_real 256); the iterations are a CPU
/// budget (the authors run 20,000), and the pool stands in for their queue of networks trained on the fly (see docs/methods).
/// </summary>
public sealed class IdmOptions : DistributionMatchingOptions
{
    public IdmOptions()
    {
        Iterations = 1000;
        LrImg = 0.2;
        Factor = 2;
        PoolModels = 10;
        CeWeight = 0.5;
    }
}
