using System.ComponentModel.DataAnnotations;
using Condensa.Config;

namespace Condensa.Scenarios.ContinualLearning;

/// <summary>
/// The rehearsal memory's size. <c>per_class</c> alone: a memory growing with the classes seen (the DM paper: 20 per
/// class). <c>total</c>: a fixed total (EEIL: 2,000) shared equally, floor(total / classes seen) per class, so older
/// classes shrink as new ones arrive; with <c>per_class</c> as well, no class ever holds more than <c>per_class</c>.
/// </summary>
internal sealed class MemoryPolicyOptions
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
