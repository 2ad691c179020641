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

    /// <summary>
    /// Memory sizes compared in one run: each replaces <c>total</c> when <c>total</c> is set, else <c>per_class</c>, and
    /// every (strategy, builder, class order) runs once per size. A size's runs are those of a run configured with that
    /// size alone (the same results, reused from the store when they exist). The report adds final accuracy against
    /// memory size. Empty: one size, as <c>per_class</c> and <c>total</c> say.
    /// </summary>
    public List<int>? Sizes { get; set; }

    /// <summary>The memory of one size of <see cref="Sizes"/> (<paramref name="size"/>), or this one when it is null.</summary>
    public MemoryPolicyOptions At(int? size) => size is not int n ? this : new()
    {
        PerClass = Total is null ? n : PerClass, Total = Total is null ? null : n, PruneBy = PruneBy,
    };

    /// <summary>The sizes a run compares: <see cref="Sizes"/>, or one null for the single memory of <c>per_class</c> and <c>total</c>.</summary>
    public IReadOnlyList<int?> Swept => Sizes is { Count: > 0 } sizes ? sizes.Select(n => (int?)n).ToList() : [null];

    /// <summary>The policy of each size a run compares (<see cref="Swept"/>), in order.</summary>
    public IReadOnlyList<MemoryPolicy> Policies => Swept.Select(n => At(n).ToPolicy()).ToList();

    public MemoryPolicy ToPolicy() => new(Total is null ? PerClass ?? 20 : PerClass, Total);
}
