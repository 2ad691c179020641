using Condensa.Data;
using Condensa.Memory;

namespace Condensa.Scenarios.ContinualLearning;

/// <summary>Picks <paramref name="keep"/> synthetic images of every class in <paramref name="images"/> (indices into it).</summary>
public delegate long[] SyntheticPruner(LabeledDataset images, int keep, long seed);

/// <summary>
/// The rehearsal memory of one continual run: for each class seen and the step that brought it (in a domain stream
/// the same class comes once per domain, each an entry of its own), its images in rank order. <see cref="Update"/> returns the memory after a step and leaves this one intact, because EEIL trains on the
/// memory as it was before the step. A selected memory shrinks by keeping each class's first k images (a selector
/// returns them best first: iCaRL/PyCIL's truncation); a synthetic one has no order, so a <see cref="SyntheticPruner"/>
/// picks the survivors (YOCO when registered, else a seeded random subset). The pruner sees every synthetic class that
/// shrinks at once, as YOCO prunes a whole condensed set: its selection model learns to tell the classes apart, which
/// a single class's images cannot teach. In a domain stream a class held twice is pruned in a second call (one call per
/// occurrence), so that each entry keeps its own share.
/// </summary>
public sealed class ContinualMemory : IDisposable
{
    /// <summary>One class's images as stored (tiles under multi-formation: <see cref="Factor"/> K, decoded when trained on).</summary>
    private sealed record Entry(int Step, int Class, LabeledDataset Images, bool Ranked, int Factor, int BytesPerPixel)
    {
        public long Bytes => MemorySet.BytesOf(Images.Count, Images.Shape, BytesPerPixel);
    }

    private readonly List<Entry> _entries;

    private ContinualMemory(List<Entry> entries) => _entries = entries;

    public static ContinualMemory Empty() => new([]);

    /// <summary>Stored images held (what the memory's budget counts).</summary>
    public int Count => _entries.Sum(e => e.Images.Count);

    /// <summary>Images a model trains on when the memory is decoded.</summary>
    public int TrainingImages => _entries.Sum(e => e.Images.Count * e.Factor * e.Factor);

    /// <summary>Bytes of the stored images and their labels (<see cref="MemorySet.StoredBytes"/>: 8-bit real samples, synthetic pixels as they were stored).</summary>
    public long Bytes => _entries.Sum(e => e.Bytes);

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
            entries.AddRange(Shrink(share, prune, seed));
            using var materialized = built.Stored(source);
            var stray = materialized.PresentClasses().Except(newClasses).ToArray();
            if (stray.Length > 0)
                throw new CondensaException($"the memory builder returned images of classes [{string.Join(", ", stray)}], which step {step} does not bring (its classes: [{string.Join(", ", newClasses)}])");
            foreach (var c in newClasses)
            {
                var members = materialized.IndicesOfClass(c);
                entries.Add(new Entry(step, c, materialized.Subset(members.Take(share).Select(i => (long)i).ToArray()), built is SelectedMemory, built.Factor, built.BytesPerPixel));
            }
            return new ContinualMemory(entries);
        }
        catch
        {
            foreach (var e in entries) e.Images.Dispose();
            throw;
        }
    }

    /// <summary>Every entry cut to <paramref name="share"/> images: ranked ones keep their first, synthetic ones are pruned together.</summary>
    private List<Entry> Shrink(int share, SyntheticPruner prune, long seed)
    {
        var kept = _entries.Select(e => e.Ranked || e.Images.Count <= share
            ? e with { Images = e.Images.Subset(Enumerable.Range(0, Math.Min(share, e.Images.Count)).Select(i => (long)i).ToArray()) }
            : null).ToList();
        try
        {
            // one pruner call per round: the first synthetic entry of each class that shrinks, then the second, ...
            var rounds = new List<List<int>>();
            var held = new Dictionary<int, int>();
            foreach (int i in Enumerable.Range(0, _entries.Count).Where(i => kept[i] is null))
            {
                int round = held[_entries[i].Class] = held.GetValueOrDefault(_entries[i].Class) + 1;
                if (round > rounds.Count) rounds.Add([]);
                rounds[round - 1].Add(i);
            }
            for (int r = 0; r < rounds.Count; r++)
            {
                using var images = LabeledDataset.Concat("synthetic memory", rounds[r].Select(i => _entries[i].Images).ToArray());
                var picked = prune(images, share, Seeds.Derive(seed, "prune", r));
                if (picked.Distinct().Count() != picked.Length || picked.Any(j => j < 0 || j >= images.Count))
                    throw new CondensaException($"pruning the synthetic memory ({images.Count} images) to {share} per class returned repeated indices or indices outside it");
                long offset = 0;
                foreach (int i in rounds[r])
                {
                    var e = _entries[i];
                    long end = offset + e.Images.Count;
                    var own = picked.Where(j => j >= offset && j < end).Select(j => j - offset).ToArray();
                    if (own.Length != share)
                        throw new CondensaException($"pruning the synthetic memory to {share} images per class kept {own.Length} of class {e.Class}'s {e.Images.Count}, not {share}");
                    kept[i] = e with { Images = e.Images.Subset(own) };
                    offset = end;
                }
            }
            return kept.Select(e => e!).ToList();
        }
        catch
        {
            foreach (var e in kept) e?.Images.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The memory as one dataset (or the part of it for <paramref name="classes"/>, or brought by the steps before
    /// <paramref name="beforeStep"/>), or null when that is empty.
    /// </summary>
    public LabeledDataset? Materialize(string name, IReadOnlyCollection<int>? classes = null, int? beforeStep = null)
    {
        var parts = _entries.Where(e => e.Images.Count > 0 && (classes is null || classes.Contains(e.Class)) && (beforeStep is null || e.Step < beforeStep))
            .Select(e => e.Factor == 1 ? e.Images : MultiFormation.Decode(e.Images, e.Factor)).ToArray();
        try
        {
            return parts.Length == 0 ? null : LabeledDataset.Concat(name, parts);
        }
        finally
        {
            foreach (var decoded in parts.Where(p => !_entries.Any(e => ReferenceEquals(e.Images, p)))) decoded.Dispose();
        }
    }

    public void Dispose()
    {
        foreach (var e in _entries) e.Images.Dispose();
        _entries.Clear();
    }
}
