using Condensa.Data;
using System.ComponentModel.DataAnnotations;
using Condensa.Hosting;
using Condensa.Config;
using Condensa.Models;
using Condensa.Training;

namespace Condensa.Scenarios.ContinualLearning;

/// <summary>How a model learns from a stream of steps.</summary>
public enum ContinualStrategy
{
    /// <summary>GDumb (Prabhu et al. 2020) as in the DM paper: after each step, fresh models trained from scratch on the memory only.</summary>
    Gdumb,
    /// <summary>EEIL / End-to-End Incremental Learning (Castro et al. 2018): new data plus memory with distillation, then balanced fine-tuning.</summary>
    Eeil,
}

/// <summary>The KD teacher of EEIL's balanced fine-tuning.</summary>
public enum EeilTeacher
{
    /// <summary>The model after the previous step (FACIL's <c>model_old</c>; the teacher of the training phase in all codes and in Castro et al.).</summary>
    PreviousStep,
    /// <summary>A copy of the model after this step's training phase (PyCIL, Zhao's End2End_aug).</summary>
    PostTraining,
}

/// <summary>Which logits EEIL's balanced fine-tuning distills.</summary>
public enum EeilDistill
{
    /// <summary>The classes of the earlier steps (FACIL).</summary>
    OldClasses,
    /// <summary>All classes seen so far, this step's included (PyCIL, Zhao's End2End_aug; needs <c>teacher: post-training</c>).</summary>
    SeenClasses,
}

/// <summary>What "class-balanced" means for EEIL's fine-tuning set.</summary>
public enum EeilBalance
{
    /// <summary>
    /// The updated memory's old classes plus a seeded random sample of each new class of the same per-class size:
    /// Castro et al.'s balance (they pick the new classes' samples with the memory's selector, here a random sample)
    /// and Zhao's End2End_aug (random).
    /// </summary>
    PerClass,
    /// <summary>The updated memory alone, new classes' memory included (PyCIL).</summary>
    Memory,
    /// <summary>The memory as used in the training phase plus a random sample of the new data as large as that whole memory (FACIL).</summary>
    Total,
}

/// <summary>
/// The rehearsal memory's size. <c>per_class</c> alone: a memory growing with the classes seen (the DM paper: 20 per
/// class). <c>total</c>: a fixed total (EEIL: 2,000) shared equally, floor(total / classes seen) per class, so older
/// classes shrink as new ones arrive; with <c>per_class</c> as well, no class ever holds more than <c>per_class</c>.
/// </summary>
public sealed class MemoryPolicyOptions
{
    /// <summary>Images kept per class (20 when total is not set); with total, the most any class keeps. 0 = no memory.</summary>
    [Range(0, int.MaxValue)] public int? PerClass { get; set; }

    /// <summary>A fixed total over all classes seen, floor(total / seen) per class (balanced). Empty: no fixed total.</summary>
    [Range(0, int.MaxValue)] public int? Total { get; set; }

    /// <summary>
    /// The selector that cuts a synthetic memory's classes to their smaller share when more classes arrive (a synthetic
    /// set has no rank order to truncate): any registered selector with its options; herding by default (eq. 2.1 on
    /// the memory's own images: the survivors keep each class's mean). YOCO's pruning rules cost EEIL with DM memories
    /// about 2.5 points of final accuracy against herding or random pruning (docs/results.md, eeil-fmnist).
    /// </summary>
    public MethodSpec PruneBy { get; set; } = new() { Name = "herding", Options = new Methods.Selection.Geometry.HerdingOptions() };

    public MemoryPolicy ToPolicy() => new(Total is null ? PerClass ?? 20 : PerClass, Total);
}

/// <summary>GDumb's per-step training (the DM paper's CL_DM.py uses evaluate_synset: 1,000 epochs, lr 0.01 decayed ×0.1 once at half, batch 256, DSA).</summary>
public sealed class GdumbOptions
{
    /// <summary>Fresh models trained on the memory at every step (the DM paper: 3); the step's accuracy is their mean.</summary>
    [Range(1, 1000)] public int Models { get; set; } = 3;

    /// <summary>How each model is trained on the memory. No cutmix (GDumb's own code uses it; the DM paper uses DSA instead).</summary>
    public TrainOptions Train { get; set; } = new() { Epochs = 1000, BatchSize = 256, Lr = 0.01, Augmentation = "dsa" };
}

/// <summary>
/// EEIL as the thesis runs it (appendix A.1: KD weight 1.0, T = 2, 5,000 training and 500 balanced fine-tuning
/// iterations at learning rates 0.01 and 0.001, default ConvNet). The keys below the rates settle what the public
/// implementations (FACIL, PyCIL, Zhao's End2End_aug) disagree on; their defaults and sources are stated on each.
/// </summary>
public sealed class EeilOptions : IValidatableOptions
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

/// <summary>The <c>continual</c> scenario's config.</summary>
public sealed class ContinualOptions : StudyRunOptions
{
    /// <summary>Memory builders, each run as its own series: a name, or {name: ..., label: ..., option: value...}.</summary>
    [Required] public List<MethodSpec> Builders { get; set; } = [];

    /// <summary>Continual-learning strategies: gdumb, eeil.</summary>
    public List<ContinualStrategy> Strategies { get; set; } = [ContinualStrategy.Gdumb];

    /// <summary>Class-incremental steps S: the dataset's classes split into S disjoint groups learned one after the other.</summary>
    [Range(1, 100_000)] public int Steps { get; set; } = 5;

    /// <summary>
    /// Domain-incremental stream instead: one dataset per step (each with the keys of <c>dataset</c>), all with the same
    /// classes and image shape, learned in this order (the thesis: SVHN → MNIST → USPS); <c>dataset</c>, <c>steps</c>,
    /// <c>classes_per_step</c> and <c>class_order</c> do not apply.
    /// </summary>
    public List<DatasetOptions>? Domains { get; set; }

    /// <summary>New classes per step (must sum to the number of classes); equal counts when empty.</summary>
    public int[]? ClassesPerStep { get; set; }

    /// <summary>The class order, a permutation of the dataset's classes; when empty, a seeded random order per repeat.</summary>
    public int[]? ClassOrder { get; set; }

    /// <summary>Repeats of the whole stream, each with its own seeds and (when class_order is empty) its own class order (the DM paper: 5).</summary>
    [Range(1, 1000)] public int Seeds { get; set; } = 1;

    /// <summary>Memory size per class or in total.</summary>
    public MemoryPolicyOptions Memory { get; set; } = new();

    /// <summary>The learner's architecture (the DM paper: the default ConvNet).</summary>
    public string Arch { get; set; } = ArchitectureSpec.Default.ToString();

    /// <summary>Architecture the builders use (herding's model, DM's networks); default: arch.</summary>
    public string? BuildArch { get; set; }

    /// <summary>Settings of the gdumb strategy.</summary>
    public GdumbOptions Gdumb { get; set; } = new();

    /// <summary>Settings of the eeil strategy.</summary>
    public EeilOptions Eeil { get; set; } = new();

    public string EffectiveBuildArch => BuildArch ?? Arch;

    public override void Validate(Action<string, string> error)
    {
        base.Validate(error);
        ArchitectureSpec.Validate("arch", Arch, error);
        ArchitectureSpec.Validate("build_arch", EffectiveBuildArch, error);
        if (Strategies.Count == 0) error("strategies", "give at least one strategy: gdumb, eeil");
        if (Strategies.Distinct().Count() != Strategies.Count) error("strategies", "a strategy appears more than once");
        if (ClassesPerStep is { } counts)
        {
            if (counts.Length != Steps) error("classes_per_step", $"gives {counts.Length} counts for {Steps} steps");
            if (counts.Any(c => c < 1)) error("classes_per_step", "every step needs at least one class");
        }
        if (ClassOrder is { } order && order.Distinct().Count() != order.Length) error("class_order", "a class appears more than once");
        if (Domains is { } domains)
        {
            if (domains.Count < 2) error("domains", "a domain-incremental stream needs at least two datasets");
            if (ClassesPerStep is not null || ClassOrder is not null) error("domains", "classes_per_step and class_order apply to class-incremental streams only");
        }
        var policy = Memory.ToPolicy();
        if (Domains is null && Dataset.TrainPerClass is int n && !policy.IsEmpty)
        {
            // the share of step 1 is the largest a class is asked for: known here when the step's class count is, else the per-class cap
            int? firstClasses = ClassesPerStep is [var first, ..] ? first : Dataset.Classes is { Length: > 0 } subset ? subset.Length / Steps : null;
            int? share = firstClasses is > 0 and var k ? policy.Share(k) : policy.PerClass;
            if (share > n) error("memory", $"the memory asks {share} images per class{(firstClasses is > 0 ? $" at step 1 ({firstClasses} classes)" : "")}, more than dataset.train_per_class = {n}");
        }
        if (Strategies.Contains(ContinualStrategy.Gdumb) && Memory.ToPolicy().IsEmpty)
            error("memory", "gdumb trains on the memory alone: give per_class or total above 0");
        var labels = Builders.GroupBy(b => b.DisplayName).Where(g => g.Count() > 1).Select(g => g.Key).ToArray();
        if (labels.Length > 0) error("builders", $"{string.Join(", ", labels)} appear more than once; give each a distinct 'label'");
    }
}
