using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Condensa.Data;

namespace Condensa.Memory;

/// <summary>
/// How large a memory is: images per class (<c>ipc</c>) or a fraction of each class (per-class counts
/// round(fraction · n_c), as in DeepCore); balanced (per class) by default. An unbalanced fraction budget is the total
/// round(fraction · n), distributed by the method's own ranking.
/// </summary>
public sealed record Budget(int? Ipc = null, double? Fraction = null, bool Balanced = true)
{
    public static Budget ImagesPerClass(int ipc) => new(Ipc: ipc);

    /// <summary>Images to keep from a class of <paramref name="classSize"/> samples; a budget above the class's size is an error.</summary>
    public int PerClass(int classSize)
    {
        int k = Ipc ?? (int)Math.Round((Fraction ?? throw new InvalidOperationException("empty budget")) * classSize);
        return k <= classSize ? k : throw new CondensaException($"the budget of {this} exceeds a class of {classSize} images");
    }

    /// <summary>Total images for an unbalanced selection over <paramref name="total"/> samples in <paramref name="classes"/> classes.</summary>
    public int Total(int total, int classes)
    {
        int k = Ipc is { } ipc ? ipc * classes : (int)Math.Round(Fraction!.Value * total);
        return k <= total ? k : throw new CondensaException($"the budget of {this} ({k} images) exceeds the {total} images of {classes} classes");
    }

    /// <summary>
    /// The number of images a memory of <paramref name="classes"/> of <paramref name="source"/> holds under this budget,
    /// or an error naming the first class (its name and size) that is smaller than the budget; <paramref name="builder"/>
    /// names the memory in the message.
    /// </summary>
    public int Check(LabeledDataset source, IReadOnlyList<int> classes, string builder)
    {
        var sizes = classes.Select(c => (Class: c, Size: source.IndicesOfClass(c).Length)).ToList();
        if (!Balanced) return Total(sizes.Sum(s => s.Size), sizes.Count);
        foreach (var (c, n) in sizes)
            if (Ipc is int ipc && n < ipc)
                throw new CondensaException(
                    $"{builder}, {this}: class {c} ({source.ClassNames[c]}) has {n} images in {source.Name}, fewer than the budget of {ipc} per class",
                    $"lower the budget to at most {sizes.Min(s => s.Size)} images per class, or give every class at least {ipc} images (dataset.train_per_class)");
        return sizes.Sum(s => PerClass(s.Size));
    }

    public override string ToString() => Ipc is { } i ? $"ipc {i}" : FormattableString.Invariant($"fraction {Fraction}");
}
