using System.ComponentModel.DataAnnotations;
using Condensa.Hosting.Config;
using Condensa.Training;
using Condensa.Training.Augmentation;
using TorchSharp;

namespace Condensa.Methods.Synthesis;

/// <summary>How the synthetic images start: random real images of their class, or N(0, 1) noise (normalized space).</summary>
public enum SyntheticInit { Real, Noise }

/// <summary>The gradient-matching distance D (reference <c>--dis_metric</c>).</summary>
public enum MatchingMetric
{
    /// <summary>Eq. 3.10: per layer, per output node, 1 − cosine; 1-D parameters (biases, norm affine) contribute 0.</summary>
    Ours,
    /// <summary>Squared Euclidean distance between the concatenated gradients of all parameters.</summary>
    Mse,
    /// <summary>1 − cosine between the concatenated gradients of all parameters.</summary>
    Cos,
}

/// <summary>
/// Options every synthesizer shares. The images are learned in the source's normalized space with SGD (momentum 0.5,
/// the reference's <c>optimizer_img</c>); labels are fixed, class-major. Defaults are set by each method's options.
/// </summary>
public abstract class SynthesisOptions : IValidatableOptions
{
    /// <summary>Iterations K, each with a freshly initialized network (thesis: 1000 for DC/DSA, 20,000 for DM).</summary>
    [Range(1, 10_000_000)] public int Iterations { get; set; }

    /// <summary>Learning rate η_S of the synthetic images (SGD, momentum 0.5).</summary>
    [Range(0.0, 1000.0)] public double LrImg { get; set; }

    /// <summary>Initialization of the synthetic images: real (random real images of the class) or noise (N(0, 1)).</summary>
    public SyntheticInit Init { get; set; }

    /// <summary>Real images sampled per class for each matching step.</summary>
    [Range(1, 1_000_000)] public int BatchReal { get; set; } = 256;

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

    /// <summary>Gradient-matching distance: ours (eq. 3.10), mse or cos.</summary>
    public MatchingMetric DisMetric { get; set; } = MatchingMetric.Ours;

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

    internal DiffAugment Augmentation(bool digits) => Augmentation(DsaStrategy, digits)!;
}

/// <summary>
/// <c>dm</c>: distribution matching (thesis Alg. 3). Defaults: lr_img 1.0, real init, 200 iterations (the thesis runs
/// K = 20,000; 200 already gain several points over the real init, see docs/results.md), a checkpoint every 50 and a
/// log line every 10 iterations.
/// </summary>
public sealed class DmOptions : SynthesisOptions
{
    public DmOptions()
    {
        Iterations = 200;
        LrImg = 1.0;
        Init = SyntheticInit.Real;
        CheckpointEvery = 50;
        LogEvery = 10;
    }

    /// <summary>DSA strategy; default: all six ops, no flip for digit data; none: no augmentation.</summary>
    public string? DsaStrategy { get; set; }

    public override void Validate(Action<string, string> error) => ValidateStrategy(DsaStrategy, allowNone: true, error);

    internal DiffAugment? Augmentation(bool digits) => Augmentation(DsaStrategy, digits);
}
