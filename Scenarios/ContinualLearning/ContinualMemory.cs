using Condensa.Data;
using Condensa.Memory;

namespace Condensa.Scenarios.ContinualLearning;

/// <summary>Picks <paramref name="keep"/> synthetic images of every class in <paramref name="images"/> (indices into it).</summary>
internal delegate long[] SyntheticPruner(LabeledDataset images, int keep, long seed);

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
internal sealed class ContinualMemory : IDisposable
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

    /// <summary>Training images per stored image: 1 for a plain memory, K² for one of multi-formation factor K, between for a hybrid.</summary>
    public double DecodedPerStored => Count == 0 ? 1 : TrainingImages / (double)Count;

    /// <summary>The largest multi-formation factor of the images held (1 when none is decoded, or the memory is empty).</summary>
    public int Factor => _entries.Count == 0 ? 1 : _entries.Max(e => e.Factor);

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
            // a hybrid memory's parts are entries of their own: its real part ranked, its synthetic part pruned
            foreach (var part in (built is HybridMemory hybrid ? [hybrid.Real, hybrid.Synthetic] : new[] { built }).Where(p => p.Count > 0))
            {
                using var materialized = part.Stored(source);
                var stray = materialized.PresentClasses().Except(newClasses).ToArray();
                if (stray.Length > 0)
                    throw new CondensaException($"the memory builder returned images of classes [{string.Join(", ", stray)}], which step {step} does not bring (its classes: [{string.Join(", ", newClasses)}])");
                foreach (var c in newClasses)
                {
                    var members = materialized.IndicesOfClass(c);
                    entries.Add(new Entry(step, c, materialized.Subset(members.Take(share).Select(i => (long)i).ToArray()), part is SelectedMemory, part.Factor, part.BytesPerPixel));
                }
            }
            return new ContinualMemory(entries);
        }
        catch
        {
            foreach (var e in entries) e.Images.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Every class cut to <paramref name="share"/> images: ranked entries keep their first, synthetic ones are pruned
    /// together. A hybrid class (a ranked and a synthetic entry of one step) keeps its parts' proportion, the synthetic
    /// part's count rounded half up as the hybrid builder splits a budget.
    /// </summary>
    private List<Entry> Shrink(int share, SyntheticPruner prune, long seed)
    {
        var keep = Keep(share);
        var kept = _entries.Select((e, i) => e.Ranked || e.Images.Count <= keep[i]
            ? e with { Images = e.Images.Subset(Enumerable.Range(0, keep[i]).Select(j => (long)j).ToArray()) }
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
                int k = keep[rounds[r][0]];
                if (rounds[r].Any(i => keep[i] != k))
                    throw new CondensaException($"the synthetic entries pruned together keep different counts ({string.Join(", ", rounds[r].Select(i => keep[i]).Distinct())}); one builder per run gives them one");
                var parts = rounds[r].Select(i => _entries[i].Images).ToArray();
                // named by its pixels and labels: the pruner's artifacts (a selection model trained on these images) are keyed by the name
                using var images = LabeledDataset.Concat($"synthetic memory {Fingerprint.Of(parts.SelectMany(p => new[] { p.Images, p.Labels }).ToArray())}", parts);
                var picked = prune(images, k, Seeds.Derive(seed, "prune", r));
                if (picked.Distinct().Count() != picked.Length || picked.Any(j => j < 0 || j >= images.Count))
                    throw new CondensaException($"pruning the synthetic memory ({images.Count} images) to {share} per class returned repeated indices or indices outside it");
                long offset = 0;
                foreach (int i in rounds[r])
                {
                    var e = _entries[i];
                    long end = offset + e.Images.Count;
                    var own = picked.Where(j => j >= offset && j < end).Select(j => j - offset).ToArray();
                    if (own.Length != k)
                        throw new CondensaException($"pruning the synthetic memory to {k} images per class kept {own.Length} of class {e.Class}'s {e.Images.Count}, not {k}");
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

    /// <summary>How many images each entry keeps when every class is cut to <paramref name="share"/>.</summary>
    private int[] Keep(int share)
    {
        var keep = _entries.Select(e => Math.Min(share, e.Images.Count)).ToArray();
        foreach (var group in Enumerable.Range(0, _entries.Count).GroupBy(i => (_entries[i].Step, _entries[i].Class)).Where(g => g.Count() > 1))
        {
            var parts = group.ToArray();
            int total = parts.Sum(i => _entries[i].Images.Count);
            if (parts.Length != 2 || parts.Count(i => _entries[i].Ranked) != 1)
                throw new CondensaException($"class {_entries[parts[0]].Class} of step {_entries[parts[0]].Step} has {parts.Length} memory parts; a hybrid memory has a real and a synthetic one");
            int real = parts.Single(i => _entries[i].Ranked), synthetic = parts.Single(i => !_entries[i].Ranked);
            if (total <= share)
            {
                (keep[real], keep[synthetic]) = (_entries[real].Images.Count, _entries[synthetic].Images.Count);
                continue;
            }
            keep[synthetic] = Math.Min(_entries[synthetic].Images.Count, (int)Math.Floor((double)_entries[synthetic].Images.Count * share / total + 0.5));
            keep[real] = Math.Min(_entries[real].Images.Count, share - keep[synthetic]);
            keep[synthetic] = share - keep[real];
        }
        return keep;
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
