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
    /// <summary>Number of images in the memory.</summary>
    public abstract int Count { get; }

    /// <summary>Per-sample training weights (CRAIG, GradMatch), or null for uniform weights.</summary>
    public virtual float[]? Weights => null;

    /// <summary>
    /// Compute seconds spent on this memory before the build that returned it resumed from a checkpoint (0 for a build
    /// from scratch), so a build spread over several sittings reports its whole time.
    /// </summary>
    public double SecondsBeforeResume { get; init; }

    /// <summary>The memory as a labeled dataset in the source's class space and normalization.</summary>
    public abstract LabeledDataset Materialize(LabeledDataset source);

    public virtual void Dispose() => GC.SuppressFinalize(this);
}

/// <summary>A coreset: indices into the source dataset (in selection order), optional weights and per-item scores.</summary>
public sealed record SelectedMemory(long[] Indices, float[]? SampleWeights = null, float[]? Scores = null) : MemorySet
{
    public override int Count => Indices.Length;
    public override float[]? Weights => SampleWeights;
    public override LabeledDataset Materialize(LabeledDataset source) => source.Subset(Indices, source.Name + "-memory");
}

/// <summary>A condensed set of learned images (normalized space) with fixed labels.</summary>
public sealed record SyntheticMemory(Tensor Images, Tensor Labels) : MemorySet
{
    public override int Count => (int)Images.shape[0];

    public override LabeledDataset Materialize(LabeledDataset source) =>
        new(source.Name + "-synthetic", Images.detach().clone(), Labels.clone(), source.ClassNames, source.Normalization) { Digits = source.Digits };

    public override void Dispose()
    {
        Images.Dispose();
        Labels.Dispose();
        base.Dispose();
    }
}
