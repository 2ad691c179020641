using Condensa.Methods.Selection.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace Condensa.Methods.Selection.Submodular;

/// <summary>
/// Stochastic greedy (Mirzasoleiman et al. 2015, "Lazier than lazy greedy"): each step evaluates only a uniform
/// sample of <c>⌈(n/k)·ln(1/ε)⌉</c> unselected elements and adds the best of them; (1 − 1/e − ε)-optimal in
/// expectation with O(n·ln(1/ε)) evaluations in all. ε defaults to 0.01, the usual choice, not DeepCore's 0.9, whose
/// samples hold only 0.105·n/k elements. When the sample would hold every
/// remaining element, the step is exactly the naive one. Samples come from a generator seeded with <c>seed</c>.
/// </summary>
public sealed class StochasticGreedy : IGreedyOptimizer
{
    public const double DefaultEpsilon = 0.01;

    private readonly double _epsilon;
    private readonly long _seed;

    public StochasticGreedy(long seed, double epsilon = DefaultEpsilon)
    {
        if (!(epsilon > 0 && epsilon < 1))
            throw new CondensaException($"stochastic greedy: epsilon must lie strictly between 0 and 1, got {epsilon}.",
                $"The usual value is {DefaultEpsilon}.");
        _seed = seed;
        _epsilon = epsilon;
    }

    public GreedyResult Maximize(ISubmodularFunction function, int budget)
    {
        SelectionSize.Check("stochastic greedy", budget, function.Count);
        var sampleSize = (int)Math.Min(function.Count, Math.Max(1, Math.Ceiling(function.Count / (double)budget * Math.Log(1 / _epsilon))));
        var remaining = new List<long>();
        for (long i = 0; i < function.Count; i++) remaining.Add(i);
        using var generator = new Generator(unchecked((ulong)_seed));
        var order = new long[budget];
        var gains = new double[budget];
        for (var t = 0; t < budget; t++)
            (order[t], gains[t]) = Greedy.PickBest(function, Sample(remaining, sampleSize, generator), remaining);
        return new GreedyResult(order, gains);
    }

    /// <summary>A uniform sample without replacement of <paramref name="size"/> remaining elements, sorted ascending.</summary>
    private static List<long> Sample(List<long> remaining, int size, Generator generator)
    {
        if (size >= remaining.Count) return [.. remaining];
        using var permutation = randperm(remaining.Count, generator: generator);
        var positions = permutation.data<long>().ToArray();
        return positions.Take(size).Select(p => remaining[(int)p]).Order().ToList();
    }
}
