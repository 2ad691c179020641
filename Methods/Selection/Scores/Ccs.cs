using System.ComponentModel.DataAnnotations;
using Condensa.Config;
using Condensa.Memory;

namespace Condensa.Methods.Selection.Scores;

/// <summary>Options of <c>ccs</c>.</summary>
public sealed class CcsOptions
{
    /// <summary>The score selector whose score is the samples' difficulty (its kept end counts as hard): el2n, forgetting, grand, entropy, ...</summary>
    public MethodSpec Score { get; set; } = new() { Name = "el2n", Options = new El2nOptions() };

    /// <summary>β: the fraction of each pool (class, or all samples when the budget is unbalanced) pruned as hardest before sampling.</summary>
    [Range(0.0, 0.99)] public double HardCutoff { get; set; } = 0.1;

    /// <summary>k: strata of equal width over the remaining samples' score range.</summary>
    [Range(1, 100_000)] public int Strata { get; set; } = 50;
}

/// <summary>
/// Coverage-centric coreset selection (Zheng et al., ICLR 2023, Alg. 1): prune the hardest β of the data by a difficulty
/// score, split the rest into k strata of equal width over the score range, and spread the budget over the strata,
/// smallest stratum first, each taking min(its size, what is left / strata left), uniformly at random inside a stratum.
/// Score selectors alone keep only the hardest samples, which loses coverage at high pruning rates; CCS samples every
/// level of difficulty. Balanced budgets run it per class (the paper and its code select globally; an unbalanced budget
/// does that). Departures from the authors' code: the floors of the allocation can leave the total short, and the
/// leftover goes one sample at a time to the strata with samples left, largest first (as the D2 authors' fork), so the
/// memory holds exactly its budget; the cutoff uses the chosen score (the CCS code always cuts by AUM, whatever the
/// stratification score); the top of the score range is widened by a fraction of the range, not of the maximum (which
/// drops the highest sample when the maximum is not positive); when the budget exceeds what the cutoff leaves, the
/// cutoff shrinks to leave it.
/// </summary>
public sealed class CcsSelector(CcsOptions options, MemoryBuilderRegistry registry) : IMemoryBuilder
{
    public MemorySet Build(MemoryRequest request, CancellationToken cancellationToken)
    {
        var scorer = IScoreSelector.Of(registry, options.Score, "ccs: score");
        var difficulty = IScoreSelector.Difficulty(scorer, request, cancellationToken);
        var random = new Random(unchecked((int)Seeds.Derive(request.Seed, "ccs")));
        var classes = request.TargetClasses;
        var pools = request.Budget.Balanced
            ? classes.Select(c => (Pool: request.Source.IndicesOfClass(c), K: request.Budget.PerClass(request.Source.IndicesOfClass(c).Length)))
            : [(Pool: classes.SelectMany(request.Source.IndicesOfClass).Order().ToArray(), K: request.Budget.Total(classes.Sum(c => request.Source.IndicesOfClass(c).Length), classes.Length))];
        var picked = pools.SelectMany(p => Select(p.Pool, difficulty, p.K, options.HardCutoff, options.Strata, random)).Select(i => (long)i).ToArray();
        return new SelectedMemory(picked, Scores: picked.Select(i => difficulty[i]).ToArray());
    }

    /// <summary>CCS on one pool: <paramref name="k"/> of <paramref name="pool"/> (dataset indices) by <paramref name="difficulty"/> (higher = harder).</summary>
    internal static int[] Select(int[] pool, float[] difficulty, int k, double beta, int strata, Random random)
    {
        if (k == 0) return [];
        int cut = Math.Min((int)(beta * pool.Length), pool.Length - k);
        var kept = ScoreRanking.Ranked(pool, difficulty, Rank.Lowest).Take(pool.Length - cut).ToArray();   // the hardest `cut` pruned
        var bins = Strata(kept, difficulty, strata);
        var take = Allocate(bins.Select(b => b.Count).ToArray(), k);
        var picked = new List<int>(k);
        for (int b = 0; b < bins.Count; b++) picked.AddRange(RandomSelector.Sample(bins[b].ToArray(), take[b], random).Select(i => (int)i));
        return picked.ToArray();
    }

    /// <summary>The pool split into <paramref name="count"/> bins of equal width over [min, max] of its scores (the last bin closed).</summary>
    internal static List<List<int>> Strata(int[] pool, float[] difficulty, int count)
    {
        var bins = Enumerable.Range(0, count).Select(_ => new List<int>()).ToList();
        if (pool.Length == 0) return bins;
        double min = pool.Min(i => difficulty[i]), max = pool.Max(i => difficulty[i]), width = (max - min) / count;
        foreach (var i in pool)
            bins[width > 0 ? Math.Min(count - 1, (int)((difficulty[i] - min) / width)) : 0].Add(i);
        return bins;
    }

    /// <summary>
    /// CCS's budget allocation: strata by size, smallest first, each taking min(size, remaining / strata left); then the
    /// floors' leftover one by one to the strata with samples left, largest first.
    /// </summary>
    internal static int[] Allocate(int[] sizes, int budget)
    {
        var take = new int[sizes.Length];
        int remaining = budget;
        var order = Enumerable.Range(0, sizes.Length).OrderBy(b => sizes[b]).ThenBy(b => b).ToArray();
        for (int i = 0; i < order.Length; i++)
        {
            take[order[i]] = Math.Min(sizes[order[i]], remaining / (order.Length - i));
            remaining -= take[order[i]];
        }
        while (remaining > 0)
        {
            int before = remaining;
            foreach (var b in order.Reverse())
                if (remaining > 0 && take[b] < sizes[b]) { take[b]++; remaining--; }
            if (remaining == before) throw new CondensaException($"ccs: the strata hold {sizes.Sum()} samples, fewer than the budget of {budget}");
        }
        return take;
    }
}
