using System.ComponentModel.DataAnnotations;

namespace Condensa.Scenarios.ArchitectureSearch;

/// <summary>
/// Successive halving on a proxy (Jamieson and Talwalkar, AISTATS 2016; the inner loop of Hyperband, Li et al., JMLR
/// 2018): rung r of R trains its candidates for E / η^(R−1−r) epochs of the proxy training (at least 1), and the best
/// ⌊n / η⌋ of a rung's n candidates (at least one) go on to the next; only the last rung trains with the full budget E.
/// Every rung trains from scratch. A rung is planned only when the one before is complete, from its stored results,
/// ties going to the candidate earlier in the space's order, so any number of workers, stopped and started at any
/// moment, give the same survivors. Rungs 1: off (every candidate at the full budget).
/// </summary>
internal sealed class SuccessiveHalving
{
    /// <summary>R: rungs of growing budget (1: no pruning).</summary>
    [Range(1, 20)] public int Rungs { get; set; } = 1;

    /// <summary>η: each rung keeps 1/η of its candidates and trains them η times longer.</summary>
    [Range(2, 100)] public int Eta { get; set; } = 3;

    /// <summary>Epochs of rung <paramref name="rung"/> (0-based) when the full budget is <paramref name="epochs"/>.</summary>
    public int Epochs(int epochs, int rung) => Math.Max(1, (int)Math.Round(epochs / Math.Pow(Eta, Rungs - 1 - rung)));

    /// <summary>
    /// The candidates that go on from a rung: the best ⌊n / η⌋ (at least one) of <paramref name="results"/> (candidate,
    /// its position in the space's order, its value; higher is better), ties to the lower position, in rank order.
    /// </summary>
    public IReadOnlyList<string> Survivors(IReadOnlyList<(string Candidate, int Position, double Value)> results) =>
        results.OrderByDescending(r => r.Value).ThenBy(r => r.Position).Take(Math.Max(1, results.Count / Eta)).Select(r => r.Candidate).ToList();

    /// <summary>Candidates trained at each rung when <paramref name="candidates"/> start (rung 0 trains all of them).</summary>
    public int[] Sizes(int candidates)
    {
        var sizes = new int[Rungs];
        for (int r = 0, n = candidates; r < Rungs; r++, n = Math.Max(1, n / Eta)) sizes[r] = n;
        return sizes;
    }
}
