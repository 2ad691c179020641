using MathNet.Numerics.Statistics;

namespace Condensa.Study;

/// <summary>
/// How well a cheap proxy ranks candidates (architectures) against the ground truth, as NAS benchmarks report it
/// (NATS-Bench's correlation scripts: Kendall τ and Spearman ρ as <c>scipy.stats</c>; NASLib's predictor
/// evaluation: precision@k, best rank among the predicted top k). Both score lists are "higher is better" (negate
/// a loss first). Ties in the top-k selection are broken by index (the earlier candidate first). Every correlation
/// is returned signed, never as an absolute value; it is NaN when a list is constant (as scipy).
/// </summary>
internal static class RankingMetrics
{
    /// <summary>Spearman's ρ: the Pearson correlation of the average ranks (ties share the mean of their ranks), as <c>scipy.stats.spearmanr</c>.</summary>
    public static double Spearman(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        Check(x, y);
        return Correlation.Pearson(AverageRanks(x), AverageRanks(y));
    }

    /// <summary>
    /// Kendall's τ-b (<c>scipy.stats.kendalltau</c>'s default): <c>(C − D) / √((P − Tx)(P − Ty))</c> over the
    /// P = n(n−1)/2 pairs, C concordant, D discordant, Tx pairs tied in x, Ty pairs tied in y (a pair tied in both
    /// counts in both). O(n²), which is nothing for a few thousand candidates.
    /// </summary>
    public static double KendallTauB(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        Check(x, y);
        long concordant = 0, discordant = 0, tiedX = 0, tiedY = 0;
        for (int i = 0; i < x.Count; i++)
            for (int j = i + 1; j < x.Count; j++)
            {
                int sx = Math.Sign(x[i] - x[j]), sy = Math.Sign(y[i] - y[j]);
                if (sx == 0) tiedX++;
                if (sy == 0) tiedY++;
                if (sx * sy > 0) concordant++;
                else if (sx * sy < 0) discordant++;
            }
        long pairs = (long)x.Count * (x.Count - 1) / 2;
        double denominator = Math.Sqrt((double)(pairs - tiedX) * (pairs - tiedY));
        return denominator == 0 ? double.NaN : (concordant - discordant) / denominator;
    }

    /// <summary>Ranks 1..n with ties given the mean of the ranks they span (MathNet's <c>RankDefinition.Average</c>).</summary>
    public static double[] AverageRanks(IReadOnlyList<double> values) => Statistics.Ranks(values, RankDefinition.Average);

    /// <summary>The indices of the <paramref name="k"/> highest scores, best first (ties: lower index first).</summary>
    public static int[] TopK(IReadOnlyList<double> scores, int k)
    {
        CheckK(scores.Count, k);
        return Enumerable.Range(0, scores.Count).OrderByDescending(i => scores[i]).ThenBy(i => i).Take(k).ToArray();
    }

    /// <summary>Precision@k: |top-k by proxy ∩ top-k by truth| / k (NASLib's <c>precision_k</c>).</summary>
    public static double PrecisionAtK(IReadOnlyList<double> proxy, IReadOnlyList<double> truth, int k)
    {
        Check(proxy, truth);
        return TopK(proxy, k).Intersect(TopK(truth, k)).Count() / (double)k;
    }

    /// <summary>
    /// The best true rank (1 = the truly best candidate) among the proxy's top <paramref name="k"/>; with k = 1, the true
    /// rank of the proxy's pick. A true rank is 1 + the number of candidates with a strictly higher true score, so a
    /// candidate tied for best has rank 1.
    /// </summary>
    public static int BestTrueRank(IReadOnlyList<double> proxy, IReadOnlyList<double> truth, int k = 1)
    {
        Check(proxy, truth);
        return TopK(proxy, k).Min(i => 1 + truth.Count(t => t > truth[i]));
    }

    /// <summary>Spearman's ρ over the top <paramref name="k"/> candidates <em>by proxy</em> (how well the proxy orders the ones it would pick).</summary>
    public static double TopKSpearman(IReadOnlyList<double> proxy, IReadOnlyList<double> truth, int k) =>
        OverTopKByProxy(proxy, truth, k, Spearman);

    /// <summary>Kendall's τ-b over the top <paramref name="k"/> candidates <em>by proxy</em> (NASLib's <c>kd_at_top{K}</c>).</summary>
    public static double TopKKendallTauB(IReadOnlyList<double> proxy, IReadOnlyList<double> truth, int k) =>
        OverTopKByProxy(proxy, truth, k, KendallTauB);

    private static double OverTopKByProxy(IReadOnlyList<double> proxy, IReadOnlyList<double> truth, int k,
        Func<IReadOnlyList<double>, IReadOnlyList<double>, double> correlation)
    {
        Check(proxy, truth);
        var top = TopK(proxy, k);
        return correlation(top.Select(i => proxy[i]).ToArray(), top.Select(i => truth[i]).ToArray());
    }

    private static void Check(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        if (x.Count != y.Count) throw new ArgumentException($"Ranking metrics need two score lists of one length (got {x.Count} and {y.Count}).");
        if (x.Count < 2) throw new ArgumentException($"Ranking metrics need at least 2 candidates (got {x.Count}).");
        if (x.Any(double.IsNaN) || y.Any(double.IsNaN)) throw new ArgumentException("Ranking metrics need scores without NaN.");
    }

    private static void CheckK(int n, int k)
    {
        if (k < 1 || k > n) throw new CondensaException($"Top-k needs 1 <= k <= {n} (the number of candidates); got k = {k}.");
    }
}
