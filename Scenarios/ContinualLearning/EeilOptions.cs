using System.ComponentModel.DataAnnotations;
using Condensa.Config;
using Condensa.Training;

namespace Condensa.Scenarios.ContinualLearning;

/// <summary>
/// EEIL as the thesis runs it (appendix A.1: KD weight 1.0, T = 2, 5,000 training and 500 balanced fine-tuning
/// iterations at learning rates 0.01 and 0.001, default ConvNet). The keys below the rates settle what the public
/// implementations (FACIL, PyCIL, Zhao's End2End_aug) disagree on; their defaults and sources are stated on each.
/// </summary>
internal sealed class EeilOptions : IValidatableOptions
{
    /// <summary>SGD steps of the training phase on new data plus memory (the thesis: 5,000), rounded up to whole epochs.</summary>
    [Range(1, 100_000_000)] public int Iterations { get; set; } = 5000;

    /// <summary>SGD steps of the balanced fine-tuning (the thesis: 500), rounded up to whole epochs; 0 skips the phase.</summary>
    [Range(0, 100_000_000)] public int FinetuneIterations { get; set; } = 500;

    /// <summary>Learning rate of the training phase (the thesis: 0.01), constant within the phase.</summary>
    [Range(0.0, 100.0)] public double Lr { get; set; } = 0.01;

    /// <summary>Fine-tuning rate = lr × this (the thesis: 0.01 → 0.001 and Castro et al.: 0.1 → 0.01, both 0.1; FACIL's parser default 0.01, its class default 0.1).</summary>
    [Range(0.0, 1.0)] public double FinetuneLrFactor { get; set; } = 0.1;

    /// <summary>Minibatch size (not stated in the thesis; 256 as its evaluate_synset).</summary>
    [Range(1, 1_000_000)] public int BatchSize { get; set; } = 256;

    /// <summary>SGD momentum.</summary>
    [Range(0.0, 1.0)] public double Momentum { get; set; } = 0.9;

    /// <summary>L2 weight decay.</summary>
    [Range(0.0, 1.0)] public double WeightDecay { get; set; } = 0.0005;

    /// <summary>Training augmentation: none (the thesis does not state one for EEIL), dsa, or a DSA strategy string.</summary>
    public string Augmentation { get; set; } = "none";

    /// <summary>Number format of the training and the tests: auto, float32 or bfloat16 (mixed precision).</summary>
    public Precision Precision { get; set; } = Precision.Auto;

    /// <summary>Knowledge distillation on (the thesis reports EEIL with and without it).</summary>
    public bool Kd { get; set; } = true;

    /// <summary>Distillation temperature T (Castro et al.; the thesis: 2).</summary>
    [Range(0.0, 1000.0, MinimumIsExclusive = true)] public double Temperature { get; set; } = 2;

    /// <summary>Weight λ of the distillation term: loss = CE + λ·L_KD (the thesis: 1.0).</summary>
    [Range(0.0, 1000.0)] public double KdWeight { get; set; } = 1.0;

    /// <summary>
    /// Teacher of the fine-tuning phase's distillation (the training phase always distills the previous step's model):
    /// previous-step (default; FACIL) or post-training (PyCIL, Zhao's End2End_aug).
    /// </summary>
    public EeilTeacher Teacher { get; set; } = EeilTeacher.PreviousStep;

    /// <summary>Logits the fine-tuning phase distills: old-classes (default; FACIL) or seen-classes (PyCIL, Zhao; needs teacher: post-training).</summary>
    public EeilDistill Distill { get; set; } = EeilDistill.OldClasses;

    /// <summary>The fine-tuning set: per-class (default; Castro, Zhao), memory (PyCIL) or total (FACIL).</summary>
    public EeilBalance Balanced { get; set; } = EeilBalance.PerClass;

    /// <summary>
    /// Distill (per <c>teacher</c> and <c>distill</c>) during the fine-tuning phase too (default true, as FACIL, PyCIL and
    /// Zhao's End2End_aug all do).
    /// </summary>
    public bool KdInFinetune { get; set; } = true;

    /// <summary>
    /// Castro et al.'s temporary distillation (ECCV 2018, section 3.4): during balanced fine-tuning also distill this
    /// step's new classes from a copy of the model after this step's training phase, so that cutting the new classes
    /// down to the balanced set does not erase what was learned about them. Adds to <c>kd_in_finetune</c>'s term.
    /// Default false (none of the three public codes has it).
    /// </summary>
    public bool TemporaryKd { get; set; }

    /// <summary>
    /// When the builder's memory holds multi-formation images (factor K > 1, decoded from tiles of 1/K the side), run
    /// the whole stream at that resolution (<see cref="Condensa.Memory.MultiFormation.AtTileResolution"/>): the real
    /// images the builder condenses, the new classes' images in both phases from the first step on, and the test
    /// images, so the model lives in one image space and no property of an image tells old classes from new. Without
    /// it, the old classes' decoded images are blurred and the new classes' real ones sharp: the model learns that
    /// shortcut and sharp test images of old classes go to the new classes. Blurring the new images alone is not
    /// enough: a memory condensed against sharp images still looks sharp to the network (it was matched to their
    /// features), and sharp test images of the new classes then go to the old ones. Default true; no effect on a
    /// memory of factor 1. The model classifies images at the tile resolution, so it expects its inputs shrunk alike.
    /// </summary>
    public bool MatchResolution { get; set; } = true;

    /// <summary>The training of one phase: <paramref name="iterations"/> SGD steps over <paramref name="samples"/> images, as whole epochs at a constant rate.</summary>
    public TrainOptions Phase(int iterations, int samples, double lr) => new()
    {
        Epochs = Math.Max(1, (int)Math.Ceiling(iterations / Math.Ceiling(samples / (double)BatchSize))),
        BatchSize = BatchSize, Lr = lr, Momentum = Momentum, WeightDecay = WeightDecay,
        Schedule = LrSchedule.Constant, Augmentation = Augmentation, Precision = Precision,
    };

    public void Validate(Action<string, string> error)
    {
        if (Distill == EeilDistill.SeenClasses && Teacher == EeilTeacher.PreviousStep)
            error("distill", "seen-classes needs teacher: post-training (the previous step's model never learned this step's classes)");
    }
}
