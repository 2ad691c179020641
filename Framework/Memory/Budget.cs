using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Condensa.Memory;

/// <summary>
/// How large a memory is: images per class (<c>ipc</c>) or a fraction of each class (per-class counts
/// round(fraction · n_c), as in DeepCore); balanced (per class) by default. An unbalanced fraction budget is the total
/// round(fraction · n), distributed by the method's own ranking.
/// </summary>
public sealed record Budget(int? Ipc = null, double? Fraction = null, bool Balanced = true)
{
    public static Budget ImagesPerClass(int ipc) => new(Ipc: ipc);

    /// <summary>Images to keep from a class of <paramref name="classSize"/> samples (never more than it has).</summary>
    public int PerClass(int classSize) =>
        Math.Min(classSize, Ipc ?? (int)Math.Round((Fraction ?? throw new InvalidOperationException("empty budget")) * classSize));

    /// <summary>Total images for an unbalanced selection over <paramref name="total"/> samples in <paramref name="classes"/> classes.</summary>
    public int Total(int total, int classes) => Math.Min(total, Ipc is { } ipc ? ipc * classes : (int)Math.Round(Fraction!.Value * total));

    public override string ToString() => Ipc is { } i ? $"ipc {i}" : FormattableString.Invariant($"fraction {Fraction}");
}
