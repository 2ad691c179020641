using Condensa.Data;

namespace Condensa.Scenarios.ContinualLearning;

/// <summary>
/// The data a continual run learns from, step by step. <b>Class-incremental</b> (<see cref="ByClass"/>): one dataset
/// whose classes are split into S disjoint groups (<see cref="ClassSplit"/>); step t trains on group t's images and is
/// tested on each earlier group's test images. <b>Domain-incremental</b> (<see cref="ByDomain"/>): one dataset per step
/// (a domain: the thesis runs SVHN → MNIST → USPS) over one shared label space; step t trains on domain t (every
/// class comes again) and is tested on the test set of each domain seen so far. In both, the accuracy matrix has one
/// column per step, and the memory holds each step's classes as their own entries (a class of domain 1 and the same
/// class of domain 2 are two shares of the memory).
/// </summary>
internal sealed class ContinualStream
{
    private readonly LabeledDataset[] _train;
    private readonly LabeledDataset[] _test;

    private ContinualStream(string name, LabeledDataset[] train, LabeledDataset[] test, bool byDomain)
    {
        Name = name;
        _train = train;
        _test = test;
        IsDomainIncremental = byDomain;
    }

    /// <summary>A class-incremental stream over one dataset.</summary>
    public static ContinualStream ByClass(LabeledDataset train, LabeledDataset test) => new(train.Name.Split('/')[0], [train], [test], false);

    /// <summary>
    /// A domain-incremental stream, one (train, test) pair per step; every domain must have the same image shape and
    /// class space (<paramref name="keys"/> name each domain's config key for the error).
    /// </summary>
    public static ContinualStream ByDomain(IReadOnlyList<(LabeledDataset Train, LabeledDataset Test)> domains, IReadOnlyList<string> keys)
    {
        if (domains.Count < 2) throw new CondensaException("a domain-incremental stream needs at least two domains", "list two or more datasets under domains");
        var first = domains[0].Train;
        for (int d = 1; d < domains.Count; d++)
        {
            var other = domains[d].Train;
            if (other.Shape != first.Shape)
                throw new CondensaException($"{keys[d]}: images are {other.Shape}, but {keys[0]} has {first.Shape}; the domains of a stream share one input shape",
                    "give the domains the same resize (and channels for image folders)");
            if (other.NumClasses != first.NumClasses)
                throw new CondensaException($"{keys[d]}: {other.NumClasses} classes, but {keys[0]} has {first.NumClasses}; the domains of a stream share one label space");
        }
        return new(string.Join("→", domains.Select(d => d.Train.Name.Split('/')[0])), domains.Select(d => d.Train).ToArray(), domains.Select(d => d.Test).ToArray(), true);
    }

    /// <summary>The dataset name used for defaults such as the DSA strategy (the first domain's for a domain stream).</summary>
    public string DatasetName => _train[0].Name.Split('/')[0];

    /// <summary>A label for reports: the dataset, or the domains joined by arrows.</summary>
    public string Name { get; }

    public bool IsDomainIncremental { get; }

    /// <summary>Steps of a domain stream (one per domain); null for a class stream (its config decides).</summary>
    public int? DomainCount => IsDomainIncremental ? _train.Length : null;

    public ImageShape Shape => _train[0].Shape;

    public int NumClasses => _train[0].NumClasses;

    /// <summary>The classes present in the (first) training set.</summary>
    public int[] Classes => _train[0].PresentClasses();

    /// <summary>The classes each step brings: the class split, or every class at every step of a domain stream.</summary>
    public int[][] Groups(int steps, IReadOnlyList<int>? counts, IReadOnlyList<int>? order, long seed) => IsDomainIncremental
        ? Enumerable.Range(0, _train.Length).Select(_ => Classes).ToArray()
        : ClassSplit.Split(Classes, steps, counts, order, seed);

    /// <summary>Step <paramref name="t"/>'s training images (1-based; a copy the caller disposes).</summary>
    public LabeledDataset StepTrain(int t, int[][] groups, string name) =>
        (IsDomainIncremental ? _train[t - 1] : _train[0]).WithClasses(groups[t - 1], name);

    /// <summary>The test sets of steps 1..<paramref name="t"/>, one per accuracy-matrix column (copies the caller disposes).</summary>
    public LabeledDataset[] StepTests(int t, int[][] groups) => Enumerable.Range(0, t).Select(j =>
    {
        var test = IsDomainIncremental ? _test[j] : _test[0];
        return test.WithClasses(groups[j], $"{test.Name}-step{j + 1}");
    }).ToArray();
}
