using Condensa.Memory;
using static TorchSharp.torch;

namespace Condensa.Methods.Selection.Scores;

/// <summary>Which end of a score ranking a selector keeps.</summary>
public enum Rank
{
    /// <summary>The largest scores first.</summary>
    Highest,
    /// <summary>The smallest scores first.</summary>
    Lowest,
}

/// <summary>
/// Turns one score per source sample into a memory, the last step of every score-based selector. Balanced: per target
/// class the <c>budget.PerClass(n_c)</c> best-ranked samples of that class, class after class; unbalanced: the
/// <c>budget.Total</c> best-ranked samples among all target-class samples. Ties go to the lower index, so the result is
/// deterministic. The indices come in rank order, each with its score.
/// </summary>
internal static class ScoreRanking
{
    public static SelectedMemory Select(MemoryRequest request, Tensor scores, Rank rank, bool balanced)
    {
        var source = request.Source;
        if (scores.numel() != source.Count)
            throw new ArgumentException($"expected one score per source sample ({source.Count}), got {scores.numel()}");
        var s = scores.detach().cpu().to_type(ScalarType.Float32).data<float>().ToArray();
        var classes = request.TargetClasses;
        IEnumerable<int> picked;
        if (balanced)
            picked = classes.SelectMany(c =>
            {
                var members = source.IndicesOfClass(c);
                return Ranked(members, s, rank).Take(request.Budget.PerClass(members.Length));
            });
        else
        {
            var pool = classes.SelectMany(source.IndicesOfClass).Order().ToArray();
            picked = Ranked(pool, s, rank).Take(request.Budget.Total(pool.Length, classes.Length));
        }
        var indices = picked.ToArray();
        return new SelectedMemory(indices.Select(i => (long)i).ToArray(), Scores: indices.Select(i => s[i]).ToArray());
    }

    /// <summary><paramref name="pool"/> sorted best first by <paramref name="scores"/>, ties by index.</summary>
    internal static int[] Ranked(int[] pool, float[] scores, Rank rank)
    {
        var order = (int[])pool.Clone();
        int sign = rank == Rank.Highest ? -1 : 1;
        Array.Sort(order, (a, b) =>
        {
            int c = sign * scores[a].CompareTo(scores[b]);
            return c != 0 ? c : a.CompareTo(b);
        });
        return order;
    }
}
