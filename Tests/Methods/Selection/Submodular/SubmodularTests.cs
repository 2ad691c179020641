using Condensa.Methods.Selection.Kernels;
using Condensa.Methods.Selection.Submodular;
using static Condensa.Tests.Methods.Selection.SelectionTestData;
using static TorchSharp.torch;

namespace Condensa.Tests.Methods.Selection.Submodular;

[TestClass]
public sealed class SubmodularTests
{
    private const double Ridge = LogDeterminant.DefaultRidge;

    private static ISubmodularFunction Create(string objective, ISimilarity similarity) => objective switch
    {
        "facility-location" => new FacilityLocation(similarity),
        "graph-cut" => new GraphCut(similarity),
        "graph-cut-1" => new GraphCut(similarity, lambda: 1),
        "log-determinant" => new LogDeterminant(similarity),
        _ => throw new ArgumentException(objective),
    };

    /// <summary>The objectives straight from their definitions, in doubles.</summary>
    private static double Value(string objective, double[,] s, IReadOnlyList<int> set)
    {
        var n = s.GetLength(0);
        return objective switch
        {
            "facility-location" => set.Count == 0 ? 0 : Enumerable.Range(0, n).Sum(i => set.Max(j => s[i, j])),
            "graph-cut" or "graph-cut-1" =>
                Enumerable.Range(0, n).Sum(i => set.Sum(j => s[i, j]))
                - (objective == "graph-cut" ? 0.5 : 1.0) * set.Sum(i => set.Sum(j => s[i, j])),
            "log-determinant" => LogDet(s, set),
            _ => throw new ArgumentException(objective),
        };
    }

    /// <summary>log det(s_SS + ridge·I) by a textbook Cholesky factorization.</summary>
    private static double LogDet(double[,] s, IReadOnlyList<int> set)
    {
        var m = set.Count;
        var l = new double[m, m];
        var logDet = 0.0;
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j <= i; j++)
            {
                var sum = s[set[i], set[j]] + (i == j ? Ridge : 0);
                for (var p = 0; p < j; p++) sum -= l[i, p] * l[j, p];
                l[i, j] = i == j ? Math.Sqrt(sum) : sum / l[j, j];
            }
            logDet += 2 * Math.Log(l[i, i]);
        }
        return logDet;
    }

    /// <summary>Greedy step by step from the definition: every unpicked x, gain f(S ∪ {x}) − f(S), first maximum.</summary>
    private static (long[] Order, double[] Gains) BruteForceGreedy(string objective, double[,] s, int k)
    {
        var picked = new List<int>();
        var gains = new List<double>();
        for (var t = 0; t < k; t++)
        {
            var current = Value(objective, s, picked);
            var (best, gain) = (-1, double.NegativeInfinity);
            for (var x = 0; x < s.GetLength(0); x++)
            {
                if (picked.Contains(x)) continue;
                var g = Value(objective, s, [.. picked, x]) - current;
                if (g > gain) (best, gain) = (x, g);
            }
            picked.Add(best);
            gains.Add(gain);
        }
        return (picked.Select(i => (long)i).ToArray(), gains.ToArray());
    }

    private static GreedyResult Run(string objective, Tensor points, IGreedyOptimizer optimizer, int k)
    {
        using var matrix = Pairwise.SubmodularSimilarity(points, points);
        using var function = Create(objective, new DenseSimilarity(matrix));
        return optimizer.Maximize(function, k);
    }

    [TestMethod]
    [DataRow("facility-location")]
    [DataRow("graph-cut")]
    [DataRow("graph-cut-1")]
    [DataRow("log-determinant")]
    public void NaiveGreedy_MatchesTheGreedyTraceOfTheDefinition(string objective)
    {
        using var scope = NewDisposeScope();
        var points = Points(9, 3, seed: 31);
        var expected = BruteForceGreedy(objective, Similarity(points), 6);
        var result = Run(objective, ToTensor(points), new NaiveGreedy(), 6);
        CollectionAssert.AreEqual(expected.Order, result.Order);
        for (var t = 0; t < 6; t++) Assert.AreEqual(expected.Gains[t], result.Gains[t], 1e-9, $"gain of pick {t + 1}");
    }

    [TestMethod]
    public void LogDeterminantGains_AreLogDetDifferences()
    {
        using var scope = NewDisposeScope();
        var points = Points(10, 4, seed: 32);
        var s = Similarity(points);
        using var matrix = Pairwise.SubmodularSimilarity(ToTensor(points), ToTensor(points));
        using var function = new LogDeterminant(new DenseSimilarity(matrix));
        List<int> set = [];
        foreach (var added in new[] { -1, 2, 7, 4 })
        {
            if (added >= 0) { function.Add(added); set.Add(added); }
            var candidates = Enumerable.Range(0, 10).Where(x => !set.Contains(x)).ToArray();
            var gains = ToDoubles(function.MarginalGains(tensor(candidates.Select(x => (long)x).ToArray())));
            for (var c = 0; c < candidates.Length; c++)
                Assert.AreEqual(LogDet(s, [.. set, candidates[c]]) - LogDet(s, set), gains[c], 1e-9, $"S = {{{string.Join(",", set)}}}, x = {candidates[c]}");
        }
    }

    [TestMethod]
    [DataRow("facility-location", 5)]
    [DataRow("graph-cut", 5)]
    [DataRow("graph-cut-1", 5)]
    [DataRow("log-determinant", 5)]
    [DataRow("facility-location", 500)] // near-orthogonal points: every bound goes stale at once
    [DataRow("log-determinant", 500)]
    public void LazyGreedy_ReturnsTheNaiveOrder(string objective, int dimensions)
    {
        using var scope = NewDisposeScope();
        var points = ToTensor(Points(60, dimensions, seed: 33));
        var naive = Run(objective, points, new NaiveGreedy(), 15);
        var lazy = Run(objective, points, new LazyGreedy(), 15);
        CollectionAssert.AreEqual(naive.Order, lazy.Order);
        for (var t = 0; t < 15; t++) Assert.AreEqual(naive.Gains[t], lazy.Gains[t], 1e-9);
    }

    [TestMethod]
    [DataRow("facility-location")]
    [DataRow("graph-cut")]
    [DataRow("log-determinant")]
    public void KernelSimilarity_OnDemand_GivesTheDenseResult(string objective)
    {
        using var scope = NewDisposeScope();
        var points = ToTensor(Points(40, 5, seed: 34));
        var dense = Run(objective, points, new LazyGreedy(), 10);
        using var function = Create(objective, new KernelSimilarity(points, Pairwise.SubmodularSimilarity));
        var onDemand = new LazyGreedy().Maximize(function, 10);
        CollectionAssert.AreEqual(dense.Order, onDemand.Order);
        for (var t = 0; t < 10; t++) Assert.AreEqual(dense.Gains[t], onDemand.Gains[t], 1e-9);
    }

    [TestMethod]
    public void KernelSimilarityDiagonal_SpansSeveralBlocks()
    {
        using var scope = NewDisposeScope();
        var points = ToTensor(Points(600, 3, seed: 35)) * 3;
        var diagonal = new KernelSimilarity(points, (a, b) => Pairwise.SquaredEuclidean(a, b) + a.matmul(b.t())).Diagonal();
        Assert.IsTrue(diagonal.allclose(Pairwise.SquaredNorms(points), rtol: 1e-12, atol: 1e-9));
    }

    [TestMethod]
    [DataRow("facility-location")]
    [DataRow("graph-cut")]
    [DataRow("log-determinant")]
    public void StochasticGreedy_WithTinyEpsilon_SamplesEverythingAndEqualsNaive(string objective)
    {
        using var scope = NewDisposeScope();
        var points = ToTensor(Points(50, 4, seed: 36));
        var naive = Run(objective, points, new NaiveGreedy(), 12);
        var stochastic = Run(objective, points, new StochasticGreedy(seed: 5, epsilon: 1e-12), 12);
        CollectionAssert.AreEqual(naive.Order, stochastic.Order);
    }

    [TestMethod]
    public void StochasticGreedy_WithAFixedSeed_IsDeterministic()
    {
        using var scope = NewDisposeScope();
        var points = ToTensor(Points(200, 4, seed: 37));
        var first = Run("facility-location", points, new StochasticGreedy(seed: 7, epsilon: 0.3), 20);
        var second = Run("facility-location", points, new StochasticGreedy(seed: 7, epsilon: 0.3), 20);
        CollectionAssert.AreEqual(first.Order, second.Order);
        CollectionAssert.AreEqual(first.Gains, second.Gains);
        Assert.HasCount(20, first.Order.Distinct());
        var naive = Run("facility-location", points, new NaiveGreedy(), 20);
        Assert.IsGreaterThan(0.9 * naive.Gains.Sum(), first.Gains.Sum(), "samples of 12 of 200 still find good picks");
    }

    /// <summary>Passes calls through and records the size of every batch of candidates evaluated.</summary>
    private sealed class CountingFunction(ISubmodularFunction inner) : ISubmodularFunction
    {
        public List<long> BatchSizes { get; } = [];

        public long Count => inner.Count;

        public Tensor MarginalGains(Tensor candidates)
        {
            BatchSizes.Add(candidates.shape[0]);
            return inner.MarginalGains(candidates);
        }

        public void Add(long index) => inner.Add(index);

        public void Dispose() => inner.Dispose();
    }

    [TestMethod]
    public void StochasticGreedy_EvaluatesSamplesOfNOverKTimesLogOneOverEpsilon()
    {
        using var scope = NewDisposeScope();
        var points = ToTensor(Points(200, 4, seed: 40));
        using var matrix = Pairwise.SubmodularSimilarity(points, points);
        using var function = new CountingFunction(new FacilityLocation(new DenseSimilarity(matrix)));
        new StochasticGreedy(seed: 3, epsilon: 0.3).Maximize(function, 20);
        // ⌈(200 / 20) · ln(1 / 0.3)⌉ = ⌈12.04⌉ = 13 candidates per step, one batch per step.
        CollectionAssert.AreEqual(Enumerable.Repeat(13L, 20).ToArray(), function.BatchSizes);
    }

    [TestMethod]
    public void LazyGreedy_EvaluatesFewerGainsThanNaive()
    {
        using var scope = NewDisposeScope();
        var points = ToTensor(Points(100, 5, seed: 41));
        using var matrix = Pairwise.SubmodularSimilarity(points, points);
        using var function = new CountingFunction(new FacilityLocation(new DenseSimilarity(matrix)));
        new LazyGreedy().Maximize(function, 10);
        Assert.AreEqual(100L, function.BatchSizes[0]);
        // Naive evaluates 100 + 99 + ... + 91 = 955 gains.
        Assert.IsLessThan(955L, function.BatchSizes.Sum());
    }

    [TestMethod]
    [DataRow("facility-location")]
    [DataRow("graph-cut")]
    public void Greedy_ReachesOneMinusOneOverE_OfTheExhaustiveOptimum(string objective)
    {
        using var scope = NewDisposeScope();
        var points = Points(10, 3, seed: 38);
        var s = Similarity(points);
        const int k = 4;
        var optimum = Subsets(10, k).Max(set => Value(objective, s, set));
        foreach (var optimizer in new IGreedyOptimizer[] { new NaiveGreedy(), new LazyGreedy() })
        {
            var result = Run(objective, ToTensor(points), optimizer, k);
            var value = Value(objective, s, result.Order.Select(i => (int)i).ToList());
            Assert.AreEqual(value, result.Gains.Sum(), 1e-9, "the gains add up to f(S)");
            Assert.IsGreaterThanOrEqualTo((1 - 1 / Math.E) * optimum, value);
            Assert.IsLessThanOrEqualTo(optimum + 1e-9, value);
        }
    }

    private static IEnumerable<List<int>> Subsets(int n, int k, int from = 0)
    {
        if (k == 0) { yield return []; yield break; }
        for (var first = from; first <= n - k; first++)
            foreach (var rest in Subsets(n, k - 1, first + 1))
                yield return [first, .. rest];
    }

    [TestMethod]
    public void InvalidBudgetOrEpsilon_AreUserErrors()
    {
        using var scope = NewDisposeScope();
        var points = ToTensor(Points(5, 2, seed: 39));
        StringAssert.Contains(Assert.ThrowsExactly<CondensaException>(() => Run("graph-cut", points, new LazyGreedy(), 6)).Message, "lazy greedy");
        Assert.ThrowsExactly<CondensaException>(() => Run("graph-cut", points, new NaiveGreedy(), 0));
        StringAssert.Contains(Assert.ThrowsExactly<CondensaException>(() => new StochasticGreedy(seed: 1, epsilon: 1)).Message, "epsilon");
    }
}
