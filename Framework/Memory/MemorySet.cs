using Condensa.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Condensa.Memory;

/// <summary>
/// What every memory builder returns and every scenario consumes: selected real samples or synthesized images. Whoever
/// holds a memory set owns it and disposes it (a synthetic set holds tensors).
/// </summary>
public abstract record MemorySet : IDisposable
{
    /// <summary>Number of stored images: what a budget counts.</summary>
    public abstract int Count { get; }

    /// <summary>
    /// The multi-formation factor K: each stored image decodes into K² training images (<see cref="MultiFormation"/>);
    /// 1 for real samples and plain synthetic images.
    /// </summary>
    public int Factor { get; init; } = 1;

    /// <summary>Images a model trains on once the memory is decoded (<see cref="Materialize"/>).</summary>
    public virtual int TrainingImages => Count * Factor * Factor;

    /// <summary>Bytes per stored pixel: 1 for 8-bit images (real samples, quantized synthetic ones), 4 for float32.</summary>
    public abstract int BytesPerPixel { get; }

    /// <summary>
    /// Bytes to store the memory's images as they are held: stored pixels x <see cref="BytesPerPixel"/>, plus one byte
    /// of label per image (a class index below 256).
    /// </summary>
    public virtual long StoredBytes(ImageShape shape) => BytesOf(Count, shape, BytesPerPixel);

    /// <summary>Bytes of <paramref name="images"/> images of <paramref name="shape"/> at <paramref name="bytesPerPixel"/>, with one byte of label each.</summary>
    public static long BytesOf(long images, ImageShape shape, int bytesPerPixel) => images * ((long)shape.Channels * shape.Height * shape.Width * bytesPerPixel + 1);

    /// <summary>Per-sample training weights (CRAIG, GradMatch), or null for uniform weights.</summary>
    public virtual float[]? Weights => null;

    /// <summary>
    /// Compute seconds spent on this memory before the build that returned it resumed from a checkpoint (0 for a build
    /// from scratch), so a build spread over several sittings reports its whole time.
    /// </summary>
    public double SecondsBeforeResume { get; init; }

    /// <summary>Iterations of a synthesis done before the build that returned it resumed from a checkpoint (0 for a build from scratch).</summary>
    public int IterationsBeforeResume { get; init; }

    /// <summary>The memory as a labeled dataset in the source's class space and normalization, decoded: what a model trains on.</summary>
    public abstract LabeledDataset Materialize(LabeledDataset source);

    /// <summary>The stored images as a labeled dataset (the same as <see cref="Materialize"/> unless the memory decodes).</summary>
    public virtual LabeledDataset Stored(LabeledDataset source) => Materialize(source);

    public virtual void Dispose() => GC.SuppressFinalize(this);
}

/// <summary>A coreset: indices into the source dataset (in selection order), optional weights and per-item scores.</summary>
public sealed record SelectedMemory(long[] Indices, float[]? SampleWeights = null, float[]? Scores = null) : MemorySet
{
    public override int Count => Indices.Length;

    /// <summary>Real samples of the 8-bit image datasets Condensa reads.</summary>
    public override int BytesPerPixel => 1;
    public override float[]? Weights => SampleWeights;
    public override LabeledDataset Materialize(LabeledDataset source) => source.Subset(Indices, source.Name + "-memory");
}

/// <summary>
/// A condensed set of learned images (normalized space) with fixed labels. Under multi-formation (<see cref="MemorySet.Factor"/>
/// K above 1) each stored image holds K x K images that <see cref="Materialize"/> decodes (<see cref="MultiFormation"/>).
/// </summary>
public sealed record SyntheticMemory(Tensor Images, Tensor Labels) : MemorySet
{
    public override int Count => (int)Images.shape[0];

    /// <summary>Bits per stored pixel: 8 when the images were quantized to 8-bit pixels, 32 for float32.</summary>
    public int PixelBits { get; init; } = 32;

    public override int BytesPerPixel => PixelBits / 8;

    public override LabeledDataset Materialize(LabeledDataset source)
    {
        using var stored = Stored(source);
        return MultiFormation.Decode(stored, Factor);
    }

    public override LabeledDataset Stored(LabeledDataset source) =>
        new(source.Name + "-synthetic", Images.detach().clone(), Labels.clone(), source.ClassNames, source.Normalization) { Digits = source.Digits };

    public override void Dispose()
    {
        Images.Dispose();
        Labels.Dispose();
        base.Dispose();
    }
}

/// <summary>
/// A memory of two parts in one budget: selected real samples and synthetic images (<c>hybrid</c>), trained on as their
/// concatenation (real first). Both parts store 8-bit pixels, so each image costs the same bytes.
/// </summary>
public sealed record HybridMemory(SelectedMemory Real, SyntheticMemory Synthetic) : MemorySet
{
    public override int Count => Real.Count + Synthetic.Count;

    public override int TrainingImages => Real.TrainingImages + Synthetic.TrainingImages;

    public override int BytesPerPixel => 1;

    public override long StoredBytes(ImageShape shape) => Real.StoredBytes(shape) + Synthetic.StoredBytes(shape);

    public override LabeledDataset Materialize(LabeledDataset source) => Join(source, part => part.Materialize(source));

    public override LabeledDataset Stored(LabeledDataset source) => Join(source, part => part.Stored(source));

    /// <summary>The parts that hold images, each turned into a dataset by <paramref name="of"/>, concatenated real first.</summary>
    private LabeledDataset Join(LabeledDataset source, Func<MemorySet, LabeledDataset> of)
    {
        var parts = new MemorySet[] { Real, Synthetic }.Where(p => p.Count > 0).Select(of).ToArray();
        try
        {
            return parts.Length == 1 ? parts[0] : LabeledDataset.Concat(source.Name + "-hybrid", parts);
        }
        finally
        {
            if (parts.Length > 1) foreach (var p in parts) p.Dispose();
        }
    }

    public override void Dispose()
    {
        Synthetic.Dispose();
        base.Dispose();
    }
}
