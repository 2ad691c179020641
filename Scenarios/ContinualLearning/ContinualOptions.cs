using Condensa.Data;
using System.ComponentModel.DataAnnotations;
using Condensa.Hosting;
using Condensa.Config;
using Condensa.Models;

namespace Condensa.Scenarios.ContinualLearning;

/// <summary>The <c>continual</c> scenario's config.</summary>
internal sealed class ContinualOptions : StudyRunOptions
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
        if (Memory.Sizes is { } sizes)
        {
            if (sizes.Count == 0 || sizes.Any(n => n < 1)) error("memory.sizes", "give memory sizes of at least 1 image (per class, or in total when total is set)");
            if (sizes.Distinct().Count() != sizes.Count) error("memory.sizes", "a size appears more than once");
        }
        foreach (var size in Memory.Swept.Where(n => n is null or > 0))
        {
            var policy = Memory.At(size).ToPolicy();
            var which = size is null ? "the memory" : $"memory size {size}";
            if (Domains is null && Dataset.TrainPerClass is int n && !policy.IsEmpty)
            {
                // the share of step 1 is the largest a class is asked for: known here when the step's class count is, else the per-class cap
                int? firstClasses = ClassesPerStep is [var first, ..] ? first : Dataset.Classes is { Length: > 0 } subset ? subset.Length / Steps : null;
                int? share = firstClasses is > 0 and var k ? policy.Share(k) : policy.PerClass;
                if (share > n) error("memory", $"{which} asks {share} images per class{(firstClasses is > 0 ? $" at step 1 ({firstClasses} classes)" : "")}, more than dataset.train_per_class = {n}");
            }
            if (Strategies.Contains(ContinualStrategy.Gdumb) && policy.IsEmpty)
                error("memory", "gdumb trains on the memory alone: give per_class or total above 0");
        }
        var labels = Builders.GroupBy(b => b.DisplayName).Where(g => g.Count() > 1).Select(g => g.Key).ToArray();
        if (labels.Length > 0) error("builders", $"{string.Join(", ", labels)} appear more than once; give each a distinct 'label'");
    }
}
