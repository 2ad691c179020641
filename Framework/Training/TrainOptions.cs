using System.ComponentModel.DataAnnotations;
using Condensa.Config;

namespace Condensa.Training;

public enum LrSchedule
{
    /// <summary>Multiply the rate by <c>decay_factor</c> once, at <c>decay_epoch</c> (the DC papers' evaluation).</summary>
    Step,
    /// <summary>Cosine annealing from <c>lr</c> to 0 over the epochs, per step.</summary>
    Cosine,
    Constant,
    /// <summary>Multiply the rate by <c>decay_factor</c> at each of <c>milestones</c> (fractions of the training; PyTorch's MultiStepLR, momentum kept).</summary>
    MultiStep,
}

/// <summary>
/// How a model is trained: SGD with momentum and weight decay, a step or cosine schedule, and optional differentiable
/// augmentation. Defaults are the DC papers' evaluation (<c>evaluate_synset</c>): lr 0.01, momentum 0.9, weight decay
/// 5e-4, batch 256, the rate divided by 10 at half of the epochs with a fresh optimizer (momentum reset).
/// </summary>
public sealed class TrainOptions : IValidatableOptions
{
    /// <summary>Passes over the training data.</summary>
    [Range(1, 1_000_000)] public int Epochs { get; set; } = 10;

    /// <summary>Minibatch size.</summary>
    [Range(1, 1_000_000)] public int BatchSize { get; set; } = 256;

    /// <summary>Initial learning rate.</summary>
    [Range(0.0, 100.0)] public double Lr { get; set; } = 0.01;

    /// <summary>SGD momentum.</summary>
    [Range(0.0, 1.0)] public double Momentum { get; set; } = 0.9;

    /// <summary>L2 weight decay.</summary>
    [Range(0.0, 1.0)] public double WeightDecay { get; set; } = 0.0005;

    /// <summary>Learning-rate schedule.</summary>
    public LrSchedule Schedule { get; set; } = LrSchedule.Step;

    /// <summary>Step schedule: first epoch (0-based) at the lower rate; default epochs / 2.</summary>
    [Range(0, 1_000_000)] public int? DecayEpoch { get; set; }

    /// <summary>Step schedule: factor applied to the rate at decay_epoch.</summary>
    [Range(0.0, 1.0)] public double DecayFactor { get; set; } = 0.1;

    /// <summary>Step schedule: start a fresh optimizer (momentum buffers reset) at the decay, as evaluate_synset does.</summary>
    public bool ResetMomentumAtDecay { get; set; } = true;

    /// <summary>Multistep schedule: where the rate is multiplied by decay_factor, as fractions of the training (IDC's evaluation: [0.6667, 0.8333] with 0.2).</summary>
    public List<double> Milestones { get; set; } = [];

    /// <summary>
    /// CutMix probability (Yun et al., ICCV 2019): a batch gets a box of a shuffled partner's pixels and the loss mixes
    /// the two labels by the box's share (IDC's evaluation: 0.5, after the DSA augmentation); 0: off.
    /// </summary>
    [Range(0.0, 1.0)] public double Cutmix { get; set; }

    /// <summary>Training augmentation: none, dsa (color_crop_cutout_flip_scale_rotate; no flip for digit data) or a DSA strategy string such as crop_scale_rotate.</summary>
    public string Augmentation { get; set; } = "none";

    /// <summary>
    /// Number format of the training and the test: auto (bfloat16 on a CPU with native bfloat16 arithmetic, else
    /// float32), float32, or bfloat16 (mixed precision: bfloat16 forward and backward, float32 weights, loss and
    /// optimizer state).
    /// </summary>
    public Precision Precision { get; set; } = Precision.Auto;

    /// <summary>Evaluate on the test set every N epochs for the training curve (0 = only at the end).</summary>
    [Range(0, 1_000_000)] public int EvalEvery { get; set; }

    public int EffectiveDecayEpoch => DecayEpoch ?? Epochs / 2;

    /// <summary>
    /// Train exactly this many minibatch steps instead of <c>epochs</c> passes, decaying (step schedule) at
    /// <see cref="DecayStep"/>: how a scenario gives one training the iteration count and schedule of another on a
    /// different number of images (NAS early stopping trains the whole set for as many steps as the proxies).
    /// </summary>
    [ConfigIgnore] public long? Steps { get; set; }

    /// <summary>With <see cref="Steps"/>: the first step at the decayed rate.</summary>
    [ConfigIgnore] public long? DecayStep { get; set; }

    /// <summary>Minibatch steps of a training on <paramref name="images"/> images.</summary>
    public long TotalSteps(int images) => Steps ?? (long)Epochs * StepsPerEpoch(images);

    /// <summary>The first step at the decayed rate (step schedule) of a training on <paramref name="images"/> images.</summary>
    public long DecayStepOf(int images) => Steps is null ? (long)EffectiveDecayEpoch * StepsPerEpoch(images) : DecayStep ?? Steps.Value / 2;

    /// <summary>A copy that trains on any number of images with the steps and schedule this one has on <paramref name="images"/>.</summary>
    public TrainOptions WithStepsOf(int images)
    {
        var copy = Clone();
        copy.Steps = TotalSteps(images);
        copy.DecayStep = DecayStepOf(images);
        return copy;
    }

    private int StepsPerEpoch(int images) => (Math.Max(images, 1) + BatchSize - 1) / BatchSize;

    public void Validate(Action<string, string> error)
    {
        if (Schedule == LrSchedule.Step && DecayEpoch is { } d && d >= Epochs)
            error("decay_epoch", $"{d} must be below epochs ({Epochs}), or the decay never happens");
        if (Schedule == LrSchedule.MultiStep && (Milestones.Count == 0 || Milestones.Any(m => m is <= 0 or >= 1)))
            error("milestones", "the multistep schedule needs milestones, each a fraction of the training in (0, 1)");
    }

    public TrainOptions Clone()
    {
        var copy = (TrainOptions)MemberwiseClone();
        copy.Milestones = [.. Milestones];
        return copy;
    }
}
