namespace Condensa.Scenarios.ContinualLearning;

/// <summary>
/// The memory arithmetic of class-incremental rehearsal. With <see cref="Total"/> = M the memory is a fixed budget
/// shared equally by the classes seen, m(k) = floor(M / k) images each for k classes (EEIL, iCaRL's fixed memory;
/// FACIL takes the ceiling, which can overshoot M); with only <see cref="PerClass"/> = m it grows by m per new class
/// (GDumb in the DM paper). When both are set the share is min(m, floor(M / k)). Every class gets the same share
/// (balanced), and a class never holds more than it was given when it arrived: older classes shrink, never grow.
/// </summary>
internal sealed record MemoryPolicy(int? PerClass, int? Total)
{
    /// <summary>True when no image is ever kept.</summary>
    public bool IsEmpty => PerClass == 0 || Total == 0;

    /// <summary>Images per class when <paramref name="classesSeen"/> classes share the memory.</summary>
    public int Share(int classesSeen)
    {
        if (classesSeen < 1) throw new ArgumentOutOfRangeException(nameof(classesSeen), classesSeen, "must be at least 1");
        int share = int.MaxValue;
        if (PerClass is { } m) share = m;
        if (Total is { } total) share = Math.Min(share, total / classesSeen);
        return share == int.MaxValue ? throw new InvalidOperationException("a memory policy needs per_class or total") : share;
    }

    /// <summary>How many of the <paramref name="held"/> images of a class stay when <paramref name="classesSeen"/> classes share the memory.</summary>
    public int Keep(int held, int classesSeen) => Math.Min(held, Share(classesSeen));

    /// <summary>The per-class share after each step, for steps adding <paramref name="newClassesPerStep"/> classes.</summary>
    public int[] Shares(IReadOnlyList<int> newClassesPerStep)
    {
        var shares = new int[newClassesPerStep.Count];
        int seen = 0;
        for (int t = 0; t < shares.Length; t++)
        {
            seen += newClassesPerStep[t];
            shares[t] = Share(seen);
        }
        return shares;
    }

    public override string ToString() => (PerClass, Total) switch
    {
        (int m, null) => $"{m} per class",
        (null, int t) => $"{t} in total",
        (int m, int t) => $"{t} in total, at most {m} per class",
        _ => "none",
    };
}
