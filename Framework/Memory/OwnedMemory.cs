using Condensa.Data;

namespace Condensa.Memory;

/// <summary>
/// A memory handed out by the <see cref="MemoryPipeline"/>: the set, the source it indexes into, its identity and the
/// seconds its build took (as recorded when it was built). The holder owns it: disposing it releases the set.
/// </summary>
public sealed class OwnedMemory(MemorySet set, LabeledDataset source, string identity, double buildSeconds, bool built) : IDisposable
{
    public MemorySet Set { get; } = set;
    public LabeledDataset Source { get; } = source;
    public string Identity { get; } = identity;
    public double BuildSeconds { get; } = buildSeconds;

    /// <summary>True when this call built it; false when it was loaded from the run folder.</summary>
    public bool Built { get; } = built;

    /// <summary>Stored images (what the budget counts).</summary>
    public int Count => Set.Count;

    /// <summary>Images a model trains on after decoding.</summary>
    public int TrainingImages => Set.TrainingImages;

    /// <summary>Bytes of the stored images and labels.</summary>
    public long StoredBytes => Set.StoredBytes(Source.Shape);
    public float[]? Weights => Set.Weights;

    /// <summary>The memory as a labeled dataset (owned by the caller) in the source's class space.</summary>
    public LabeledDataset Materialize() => Set.Materialize(Source);

    public void Dispose() => Set.Dispose();
}
