using TorchSharp;
using static TorchSharp.torch;

namespace Condensa.Data;

/// <summary>Channels x height x width of one image.</summary>
public readonly record struct ImageShape(int Channels, int Height, int Width)
{
    public override string ToString() => $"{Channels}x{Height}x{Width}";
}

/// <summary>Per-channel normalization <c>x' = (x - mean) / std</c> applied to images scaled to [0, 1].</summary>
public sealed record Normalization(float[] Mean, float[] Std)
{
    public static Normalization Identity(int channels) =>
        new(Enumerable.Repeat(0f, channels).ToArray(), Enumerable.Repeat(1f, channels).ToArray());

    /// <summary>Maps normalized images back to [0, 1] pixel space (for PNG grids).</summary>
    public Tensor Denormalize(Tensor images)
    {
        using var scope = NewDisposeScope();
        var c = Mean.Length;
        var mean = tensor(Mean, device: images.device).view(1, c, 1, 1);
        var std = tensor(Std, device: images.device).view(1, c, 1, 1);
        return (images * std + mean).clamp(0, 1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Converts 8-bit pixels (any integer dtype, N x C x H x W) to normalized float32 <c>(p / 255 - mean) / std</c>,
    /// in place on one float copy (the readers' path for tens of thousands of images).
    /// </summary>
    public Tensor NormalizeBytes(Tensor pixels255)
    {
        using var scope = NewDisposeScope();
        var c = Mean.Length;
        var images = pixels255.to_type(ScalarType.Float32, copy: true).div_(255f);
        images.sub_(tensor(Mean, device: images.device).view(1, c, 1, 1)).div_(tensor(Std, device: images.device).view(1, c, 1, 1));
        return images.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Normalized images rounded to what 8-bit pixels can hold: mapped to pixel space, clamped to [0, 1], rounded to a
    /// multiple of 1/255 and normalized again.
    /// </summary>
    public Tensor ToEightBit(Tensor images)
    {
        using var scope = NewDisposeScope();
        return Normalize(Denormalize(images).mul(255f).round_().div_(255f)).MoveToOuterDisposeScope();
    }

    public Tensor Normalize(Tensor pixels01)
    {
        using var scope = NewDisposeScope();
        var c = Mean.Length;
        var mean = tensor(Mean, device: pixels01.device).view(1, c, 1, 1);
        var std = tensor(Std, device: pixels01.device).view(1, c, 1, 1);
        return ((pixels01 - mean) / std).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// A labeled image dataset held in memory: images N x C x H x W (float32, normalized), labels N (int64),
/// class names, and a per-class index. The dataset owns its tensors; derived datasets own copies.
/// </summary>
public sealed class LabeledDataset : IDisposable
{
    private readonly long[] _labels;
    private int[][]? _byClass;

    public LabeledDataset(string name, Tensor images, Tensor labels, IReadOnlyList<string> classNames, Normalization normalization)
    {
        if (images.dim() != 4) throw new ArgumentException($"images must be N x C x H x W, got shape [{string.Join(", ", images.shape)}]");
        if (labels.dim() != 1 || labels.shape[0] != images.shape[0])
            throw new ArgumentException($"labels must be a vector of {images.shape[0]} entries, got shape [{string.Join(", ", labels.shape)}]");
        Name = name;
        Images = images.to_type(ScalarType.Float32).DetachFromDisposeScope();
        Labels = labels.to_type(ScalarType.Int64).DetachFromDisposeScope();
        ClassNames = classNames;
        Normalization = normalization;
        _labels = Labels.cpu().data<long>().ToArray();
        foreach (var l in _labels)
            if (l < 0 || l >= classNames.Count)
                throw new ArgumentException($"dataset '{name}': label {l} is out of range 0..{classNames.Count - 1}");
    }

    public string Name { get; }
    public Tensor Images { get; }
    public Tensor Labels { get; }
    public IReadOnlyList<string> ClassNames { get; }
    public Normalization Normalization { get; }

    /// <summary>
    /// Images of digits, where a horizontal flip changes the class: the DSA strategy of <c>augmentation: dsa</c> and of
    /// the synthesizers leaves flip out for them (the DSA paper's rule). Every dataset derived from this one keeps it.
    /// </summary>
    public bool Digits { get => _digits; init => _digits = value; }
    private bool _digits;

    public int Count => _labels.Length;
    public int NumClasses => ClassNames.Count;
    public ImageShape Shape => new((int)Images.shape[1], (int)Images.shape[2], (int)Images.shape[3]);
    public Device Device => Images.device;

    /// <summary>Labels as a host array (no tensor round trip).</summary>
    public ReadOnlySpan<long> LabelArray => _labels;

    /// <summary>Indices of the samples of class <paramref name="c"/>, in dataset order.</summary>
    public int[] IndicesOfClass(int c)
    {
        if (_byClass is null)
        {
            var lists = Enumerable.Range(0, NumClasses).Select(_ => new List<int>()).ToArray();
            for (int i = 0; i < _labels.Length; i++) lists[_labels[i]].Add(i);
            _byClass = lists.Select(l => l.ToArray()).ToArray();
        }
        return _byClass[c];
    }

    /// <summary>Classes that have at least one sample.</summary>
    public int[] PresentClasses() => Enumerable.Range(0, NumClasses).Where(c => IndicesOfClass(c).Length > 0).ToArray();

    /// <summary>A new dataset with the given samples (copied), same class space.</summary>
    public LabeledDataset Subset(IReadOnlyList<long> indices, string? name = null)
    {
        using var scope = NewDisposeScope();
        var idx = tensor(indices.ToArray(), device: Images.device);
        return new LabeledDataset(name ?? Name, Images.index_select(0, idx), Labels.index_select(0, idx), ClassNames, Normalization) { Digits = Digits };
    }

    /// <summary>The samples of the given classes (labels unchanged: the class space stays the same).</summary>
    public LabeledDataset WithClasses(IEnumerable<int> classes, string? name = null)
    {
        var set = classes.ToHashSet();
        var idx = new List<long>();
        for (int i = 0; i < _labels.Length; i++) if (set.Contains((int)_labels[i])) idx.Add(i);
        return Subset(idx, name);
    }

    /// <summary>A new dataset with other images (same count) under <paramref name="normalization"/>, same labels and classes.</summary>
    public LabeledDataset WithImages(Tensor images, Normalization normalization, string? name = null) =>
        new(name ?? Name, images, Labels.clone(), ClassNames, normalization) { Digits = Digits };

    /// <summary>Moves the dataset to a device (returns this when it is already there).</summary>
    public LabeledDataset To(Device device) =>
        Images.device == device ? this : new LabeledDataset(Name, Images.to(device), Labels.to(device), ClassNames, Normalization) { Digits = Digits };

    /// <summary>Concatenates datasets that share a class space and image shape (digits if any part is).</summary>
    public static LabeledDataset Concat(string name, params LabeledDataset[] parts)
    {
        if (parts.Length == 0) throw new ArgumentException("nothing to concatenate");
        using var scope = NewDisposeScope();
        return new LabeledDataset(name, cat(parts.Select(p => p.Images).ToArray(), 0), cat(parts.Select(p => p.Labels).ToArray(), 0),
            parts[0].ClassNames, parts[0].Normalization) { Digits = parts.Any(p => p.Digits) };
    }

    /// <summary>Marks a freshly read dataset as digits or not (the catalog's <c>dataset.digits</c>).</summary>
    internal LabeledDataset AsDigits(bool digits)
    {
        _digits = digits;
        return this;
    }

    public void Dispose()
    {
        Images.Dispose();
        Labels.Dispose();
    }
}
