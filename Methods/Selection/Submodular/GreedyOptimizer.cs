using Condensa.Methods.Selection.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace Condensa.Methods.Selection.Submodular;

/// <summary>
/// The picks of a greedy maximization in selection order (prefixes are themselves greedy selections) and the
/// marginal gain of each pick when it was made; the gains sum to f(S) − f(∅).
/// </summary>
public sealed record GreedyResult(long[] Order, double[] Gains);

/// <summary>
/// Greedy maximization of a submodular function under a cardinality budget. One optimizer serves every objective.
/// Unlike DeepCore's <c>submodular_optimizer.py</c> (which returns the picks in index order), the result keeps
/// the selection order.
/// </summary>
public interface IGreedyOptimizer
{
    /// <summary>Picks <paramref name="budget"/> elements of <paramref name="function"/>'s ground set, calling its Add on each.</summary>
    GreedyResult Maximize(ISubmodularFunction function, int budget);
}

/// <summary>Helpers shared by the greedy optimizers.</summary>
internal static class Greedy
{
    /// <summary>Candidates per gain evaluation: at most DefaultBlockElements / n, so a batch's rows of s fit one block.</summary>
    public static int BatchSize(ISubmodularFunction function, int candidates) =>
        (int)Math.Max(1, Math.Min(candidates, Pairwise.DefaultBlockElements / function.Count));

    /// <summary>Gains of <paramref name="candidates"/>, evaluated in batches of <see cref="BatchSize"/>.</summary>
    public static double[] Gains(ISubmodularFunction function, IReadOnlyList<long> candidates)
    {
        var batch = BatchSize(function, candidates.Count);
        var gains = new double[candidates.Count];
        for (var start = 0; start < candidates.Count; start += batch)
        {
            using var scope = NewDisposeScope();
            var length = Math.Min(batch, candidates.Count - start);
            var chunk = tensor(candidates.Skip(start).Take(length).ToArray());
            function.MarginalGains(chunk).to_type(ScalarType.Float64).cpu().data<double>().CopyTo(gains, start);
        }
        return gains;
    }

    /// <summary>Position of the largest value; ties go to the first (the lowest index when candidates are sorted).</summary>
    public static int ArgMax(double[] values)
    {
        var best = 0;
        for (var i = 1; i < values.Length; i++)
            if (values[i] > values[best]) best = i;
        return best;
    }

    /// <summary>Evaluates the candidates (sorted ascending), adds the best to f and removes it from <paramref name="remaining"/>.</summary>
    public static (long Index, double Gain) PickBest(ISubmodularFunction function, List<long> candidates, List<long> remaining)
    {
        var gains = Gains(function, candidates);
        var best = ArgMax(gains);
        var index = candidates[best];
        function.Add(index);
        remaining.Remove(index);
        return (index, gains[best]);
    }
}
