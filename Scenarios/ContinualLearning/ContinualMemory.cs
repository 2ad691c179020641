using Condensa.Data;
using Condensa.Memory;

namespace Condensa.Scenarios.ContinualLearning;

/// <summary>Picks <paramref name="keep"/> of a class's synthetic images (indices into <paramref name="images"/>, best first).</summary>
public delegate long[] SyntheticPruner(LabeledDataset images, int cls, int keep, long seed);

/// <summary>
/// The rehearsal memory of one continual run: for each class seen and the step that brought it (in a domain stream
/// the same class comes once per domain, each an entry of its own), its images in rank order. <see cref="Update"/> returns the memory after a step and leaves this one intact, because EEIL trains on the
/// memory as it was before the step. A selected memory shrinks by keeping each class's first k images (a selector
/// returns them best first: iCaRL/PyCIL's truncation); a synthetic one has no order, so a <see cref="SyntheticPruner"/>
/// picks the survivors (YOCO when registered, else a seeded random subset).
/// </summary>
public sealed class ContinualMemory : IDisposable
{
    private sealed record Entry(int Step, int Class, LabeledDataset Images, bool Ranked);

    private readonly List<Entry> _entries;

    private ContinualMemory(List<Entry> entries) => _entries = entries;

    public static ContinualMemory Empty() => new([]);

    /// <summary>Images held.</summary>
    public int Count => _entries.Sum(e => e.Images.Count);

    /// <summary>Bytes of the images as held (float32 C x H x W each); real images could be stored as 8-bit pixels in a quarter of that.</summary>
    public long Bytes => _entries.Sum(e => e.Images.Images.numel() * sizeof(float));

    /// <summary>Images held per class, in the order the classes arrived.</summary>
    public IReadOnlyList<(int Class, int Images)> PerClass => _entries.Select(e => (e.Class, e.Images.Count)).ToList();

    /// <summary>
    /// The memory after step <paramref name="step"/>: every class held so far cut to <paramref name="share"/> images, plus
    /// <paramref name="built"/> (a memory of <paramref name="source"/> for <paramref name="newClasses"/>), each of its
    /// classes also at most <paramref name="share"/>.
    /// </summary>
    public ContinualMemory Update(int step, MemorySet built, LabeledDataset source, IReadOnlyList<int> newClasses, int share,
        SyntheticPruner prune, long seed)
    {
        var entries = new List<Entry>();
        try
        {
            foreach (var e in _entries)
                entries.Add(e with { Images = Shrink(e, share, prune, Seeds.Derive(seed, $"step{e.Step}/class", e.Class)) });
            using var materialized = built.Materialize(source);
            var stray = materialized.PresentClasses().Except(newClasses).ToArray();
            if (stray.Length > 0)
                throw new CondensaException($"the memory builder returned images of classes [{string.Join(", ", stray)}], which step {step} does not bring (its classes: [{string.Join(", ", newClasses)}])");
            foreach (var c in newClasses)
            {
                var members = materialized.IndicesOfClass(c);
                entries.Add(new Entry(step, c, materialized.Subset(members.Take(share).Select(i => (long)i).ToArray()), built is SelectedMemory));
            }
            return new ContinualMemory(entries);
        }
        catch
        {
            foreach (var e in entries) e.Images.Dispose();
            throw;
        }
    }

    private static LabeledDataset Shrink(Entry e, int share, SyntheticPruner prune, long seed)
    {
        int n = e.Images.Count;
        if (share >= n) return e.Images.Subset(Enumerable.Range(0, n).Select(i => (long)i).ToArray());
        if (e.Ranked) return e.Images.Subset(Enumerable.Range(0, share).Select(i => (long)i).ToArray());
        var kept = prune(e.Images, e.Class, share, seed);
        if (kept.Length != share || kept.Distinct().Count() != share || kept.Any(i => i < 0 || i >= n))
            throw new CondensaException($"pruning class {e.Class}'s {n} synthetic images to {share} returned {kept.Length} indices, not {share} distinct ones");
        return e.Images.Subset(kept);
    }

    /// <summary>
    /// The memory as one dataset (or the part of it for <paramref name="classes"/>, or brought by the steps before
    /// <paramref name="beforeStep"/>), or null when that is empty.
    /// </summary>
    public LabeledDataset? Materialize(string name, IReadOnlyCollection<int>? classes = null, int? beforeStep = null)
    {
        var parts = _entries.Where(e => e.Images.Count > 0 && (classes is null || classes.Contains(e.Class)) && (beforeStep is null || e.Step < beforeStep))
            .Select(e => e.Images).ToArray();
        return parts.Length == 0 ? null : LabeledDataset.Concat(name, parts);
    }

    public void Dispose()
    {
        foreach (var e in _entries) e.Images.Dispose();
        _entries.Clear();
    }
}
