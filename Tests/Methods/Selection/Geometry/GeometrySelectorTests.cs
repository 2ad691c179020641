using Condensa.Memory;
using Condensa.Methods.Selection.Geometry;
using static Condensa.Tests.Methods.Selection.Geometry.GeometryFixtures;
using static Condensa.Tests.Methods.Selection.Scores.ScoreFixtures;
using static TorchSharp.torch;

namespace Condensa.Tests.Methods.Selection.Geometry;

/// <summary>The geometric selectors on hand-made dynamics, against brute-force loops on explicit vectors.</summary>
[TestClass]
public sealed class GeometrySelectorTests
{
    // three classes of 7, 6 and 5 samples, interleaved
    private static readonly long[] ThreeClasses = [0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 0];

    [TestMethod]
    [DynamicData(nameof(GeometryFixtures.Selectors), typeof(GeometryFixtures))]
    public void SelectsExactlyTheBudgetPerClassOfValidDistinctIndices(string name)
    {
        using var data = Labels(ThreeClasses);
        using var dynamics = Random(ThreeClasses, 3, 4, seed: 7);
        var memory = Run(name, Request(data, Budget.ImagesPerClass(3)), dynamics);
        Assert.HasCount(9, memory.Indices, name);
        Assert.AreEqual(9, memory.Indices.Distinct().Count(), $"{name}: distinct");
        for (int c = 0; c < 3; c++)
            CollectionAssert.AreEqual(Enumerable.Repeat((long)c, 3).ToArray(), memory.Indices.Skip(3 * c).Take(3).Select(i => ThreeClasses[i]).ToArray(), $"{name}: class {c} in its block");
        Assert.IsNotNull(memory.Scores);
        Assert.IsTrue(memory.Scores.All(float.IsFinite), $"{name}: finite scores");
        if (name is "craig" or "gradmatch")
        {
            Assert.IsNotNull(memory.SampleWeights, $"{name} weights its picks");
            Assert.IsTrue(memory.SampleWeights.All(w => w >= 0), $"{name}: non-negative weights");
        }
        else Assert.IsNull(memory.SampleWeights);

        var two = Run(name, Request(data, Budget.ImagesPerClass(2), classes: [1, 2]), dynamics);
        CollectionAssert.AreEquivalent(new long[] { 1, 1, 2, 2 }, two.Indices.Select(i => ThreeClasses[i]).ToArray(), $"{name}: only the target classes");

        var unbalanced = Run(name, Request(data, new Budget(Fraction: 0.5, Balanced: false)), dynamics);
        Assert.HasCount(9, unbalanced.Indices, $"{name}: round(0.5 * 18) over all classes");
        Assert.AreEqual(9, unbalanced.Indices.Distinct().Count(), $"{name}: unbalanced distinct");
    }

    [TestMethod]
    [DynamicData(nameof(GeometryFixtures.Selectors), typeof(GeometryFixtures))]
    public void TheSameSeedGivesTheSameMemory(string name)
    {
        using var data = Labels(ThreeClasses);
        using var dynamics = Random(ThreeClasses, 3, 4, seed: 3);
        void Stochastic(Condensa.Methods.Selection.Dynamics.SelectionModelOptions o) { if (o is SubmodularOptions s) s.Greedy = GreedyKind.Stochastic; }
        var first = Run(name, Request(data, Budget.ImagesPerClass(2), seed: 11), dynamics, Stochastic);
        var second = Run(name, Request(data, Budget.ImagesPerClass(2), seed: 11), dynamics, Stochastic);
        CollectionAssert.AreEqual(first.Indices, second.Indices);
        CollectionAssert.AreEqual(first.SampleWeights, second.SampleWeights);
    }

    [TestMethod]
    [DataRow(true)]
    [DataRow(false)]
    public void HerdingFollowsABruteForceArgminOnTheEmbeddings(bool normalize)
    {
        float[,] points = { { 3, 0 }, { 0, 1 }, { 1, 1 }, { -2, 0.5f }, { 0.2f, -1 }, { 2, 2 }, { -1, -1 } };
        long[] labels = [0, 0, 0, 0, 0, 0, 0];
        using var data = Labels(labels);
        using var embeddings = tensor(points);
        using var dynamics = FinalOnly(RandomProbabilities(7, 2, 1), embeddings, tensor(labels));
        var x = Rows(embeddings).Select(r => { var n = normalize ? Math.Sqrt(Dot(r, r)) : 1; return r.Select(v => v / n).ToArray(); }).ToArray();
        var mu = Mean(x);
        var order = new List<int>();
        var sum = new double[2];
        for (int t = 0; t < 5; t++)
        {
            var target = mu.Select((m, j) => (t + 1) * m - sum[j]).ToArray();
            var best = Enumerable.Range(0, 7).Where(i => !order.Contains(i)).MinBy(i => Distance(target, x[i]));
            order.Add(best);
            sum = sum.Select((s, j) => s + x[best][j]).ToArray();
        }
        var memory = Run("herding", Request(data, Budget.ImagesPerClass(5)), dynamics, o => ((HerdingOptions)o).Normalize = normalize);
        CollectionAssert.AreEqual(order.Select(i => (long)i).ToArray(), memory.Indices);
    }

    [TestMethod]
    public void HerdingClosestToCenterKeepsTheNearestToEachClassMean()
    {
        float[,] points = { { 3, 0 }, { 0, 1 }, { 1, 1 }, { -2, 0.5f }, { 0.2f, -1 }, { 2, 2 }, { -1, -1 }, { 5, 5 }, { 4, 6 }, { 7, 5 }, { 5, 4.5f } };
        long[] labels = [0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1];
        using var data = Labels(labels);
        using var embeddings = tensor(points);
        using var dynamics = FinalOnly(RandomProbabilities(11, 2, 1), embeddings, tensor(labels));
        var x = Rows(embeddings);
        long[] Nearest(int c, int k)
        {
            var members = Enumerable.Range(0, 11).Where(i => labels[i] == c).ToArray();
            var mu = Mean(members.Select(i => x[i]).ToArray());
            return members.OrderBy(i => Distance(x[i], mu)).Take(k).Select(i => (long)i).ToArray();
        }
        var memory = Run("herding", Request(data, Budget.ImagesPerClass(2)), dynamics, o =>
        {
            ((HerdingOptions)o).Rule = HerdingRule.ClosestToCenter;
            ((HerdingOptions)o).Normalize = false;
        });
        CollectionAssert.AreEquivalent(Nearest(0, 2).Concat(Nearest(1, 2)).ToArray(), memory.Indices);
    }

    [TestMethod]
    public void KCenterCoveringRadiusMatchesBruteForce()
    {
        long[] labels = Enumerable.Repeat(0L, 12).ToArray();
        using var data = Labels(labels);
        using var dynamics = Random(labels, 2, 2, seed: 5);
        var x = Rows(dynamics.Final.Embeddings);
        var mu = Mean(x);
        var order = new List<int> { Enumerable.Range(0, 12).MinBy(i => Distance(x[i], mu)) };
        while (order.Count < 4)
            order.Add(Enumerable.Range(0, 12).Where(i => !order.Contains(i)).MaxBy(i => order.Min(j => Distance(x[i], x[j]))));
        var radius = Enumerable.Range(0, 12).Max(i => order.Min(j => Distance(x[i], x[j])));

        var memory = Run("kcenter", Request(data, Budget.ImagesPerClass(4)), dynamics);
        CollectionAssert.AreEqual(order.Select(i => (long)i).ToArray(), memory.Indices);
        Assert.AreEqual(radius, memory.Scores![^1], 1e-5, "covering radius after the last pick");
    }

    [TestMethod]
    public void FactorizedKernelsEqualExplicitKroneckerVectors()
    {
        long[] labels = [0, 2, 1, 1, 0];
        using var p = RandomProbabilities(5, 3, 9);
        using var h = RandomNormal(5, 4, 10);
        var g = ExplicitGradients(p, h, labels);
        using var scope = NewDisposeScope();
        var e = p - nn.functional.one_hot(tensor(labels), 3).to_type(ScalarType.Float32);
        var hh = cat([ones(5, 1), h], 1);
        var gradients = new LastLayerGradients(3);
        var packed = LastLayerGradients.Pack(e, hh);
        var inner = ToArray2D(gradients.Inner(packed, packed));
        var distance = ToArray2D(gradients.Distance(packed, packed));
        var normalized = LastLayerGradients.PackNormalized(e, hh);
        var similarity = ToArray2D(gradients.SubmodularSimilarity(normalized, normalized));
        for (int i = 0; i < 5; i++)
            for (int j = 0; j < 5; j++)
            {
                Assert.AreEqual(Dot(g[i], g[j]), inner[i, j], 1e-4, $"inner {i},{j}");
                Assert.AreEqual(Distance(g[i], g[j]), distance[i, j], 2e-3, $"distance {i},{j}");
                var cos = Dot(g[i], g[j]) / Math.Sqrt(Dot(g[i], g[i]) * Dot(g[j], g[j]));
                Assert.AreEqual(0.5 + 0.5 * cos, similarity[i, j], 1e-5, $"similarity {i},{j}");
            }
    }

    [TestMethod]
    public void CraigPicksAndWeightsMatchBruteForceFacilityLocation()
    {
        const int n = 9, k = 3;
        long[] labels = Enumerable.Repeat(0L, n).ToArray();
        using var data = Labels(labels);
        using var dynamics = Random(labels, 3, 2, seed: 21);
        var g = ExplicitGradients(dynamics.Final.Probabilities, dynamics.Final.Embeddings, labels);
        var d = new double[n, n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) d[i, j] = Distance(g[i], g[j]);
        var maxD = d.Cast<double>().Max();
        double S(int i, int j) => maxD - d[i, j] + 1e-3;
        var order = new List<int>();
        var nearest = new double[n];
        for (int t = 0; t < k; t++)
        {
            var best = Enumerable.Range(0, n).Where(x => !order.Contains(x)).MaxBy(x => Enumerable.Range(0, n).Sum(i => Math.Max(0, S(i, x) - nearest[i])));
            order.Add(best);
            for (int i = 0; i < n; i++) nearest[i] = Math.Max(nearest[i], S(i, best));
        }
        var weights = order.Select(j => 1 + Enumerable.Range(0, n).Count(i => order.MaxBy(s => S(s, i)) == j)).ToArray();

        var memory = Run("craig", Request(data, Budget.ImagesPerClass(k)), dynamics, o => ((CraigOptions)o).Greedy = GreedyKind.Naive);
        CollectionAssert.AreEqual(order.Select(i => (long)i).ToArray(), memory.Indices);
        CollectionAssert.AreEqual(weights.Select(w => (float)w).ToArray(), memory.SampleWeights);
        Assert.AreEqual(n + k, memory.SampleWeights!.Sum(), "1 + cluster size per pick: n_c + k_c in all");
    }

    [TestMethod]
    public void NonNegativeRidgeMatchesAnEnumerationOfSupports()
    {
        const int s = 5;
        using var scope = NewDisposeScope();
        using var g = new TorchSharp.torch.Generator(4);
        var a = randn([8, s], dtype: ScalarType.Float64, generator: g);
        var q = a.t().matmul(a) + eye(s, dtype: ScalarType.Float64);
        var v = randn([s], dtype: ScalarType.Float64, generator: g) * 3;
        double Objective(Tensor x) => (0.5 * x.dot(q.matmul(x)) - v.dot(x)).item<double>();
        Tensor? best = null;
        for (int mask = 1; mask < 1 << s; mask++)
        {
            var support = tensor(Enumerable.Range(0, s).Where(i => (mask >> i & 1) == 1).Select(i => (long)i).ToArray());
            var x = zeros(s, dtype: ScalarType.Float64).index_copy_(0, support, linalg.solve(q.index_select(0, support).index_select(1, support), v.index_select(0, support)));
            if (x.min().item<double>() >= 0 && (best is null || Objective(x) < Objective(best))) best = x;
        }
        var expected = best is null ? new double[s] : best.data<double>().ToArray();
        var actual = GradMatchSelector.NonNegativeRidge(q, v);
        Assert.IsTrue(actual.All(x => x >= 0));
        for (int i = 0; i < s; i++) Assert.AreEqual(expected[i], actual[i], 1e-8, $"x[{i}]");
        Assert.IsTrue(actual.Any(x => x == 0) && actual.Any(x => x > 0), "the fixture has an active constraint and a free weight");
    }

    [TestMethod]
    public void GradMatchMatchesTheMeanGradientBetterThanRandomPicks()
    {
        const int n = 20, k = 4;
        long[] labels = Enumerable.Repeat(1L, n).ToArray();
        using var data = Labels([0, .. labels]);
        long[] all = [0, .. labels];
        using var dynamics = Random(all, 3, 4, seed: 31);
        var g = ExplicitGradients(dynamics.Final.Probabilities, dynamics.Final.Embeddings, all).Skip(1).ToArray();
        var b = Mean(g);
        double Error(IEnumerable<(int Index, double Weight)> picks) =>
            Distance(b, Enumerable.Range(0, b.Length).Select(t => picks.Sum(p => p.Weight * g[p.Index][t])).ToArray());

        var memory = Run("gradmatch", Request(data, Budget.ImagesPerClass(k), classes: [1]), dynamics);
        Assert.HasCount(k, memory.Indices);
        Assert.IsTrue(memory.SampleWeights!.All(w => w >= 0));
        var matched = Error(memory.Indices.Select((i, j) => ((int)i - 1, (double)memory.SampleWeights![j])));
        var random = new Random(2);
        var randomError = Enumerable.Range(0, 50).Average(_ => Error(Enumerable.Range(0, n).OrderBy(_ => random.Next()).Take(k).Select(i => (i, 1.0 / k))));
        Assert.IsLessThan(randomError, matched, $"weighted OMP picks {matched} vs random picks {randomError}");
    }

    [TestMethod]
    public void GlisterFollowsABruteForceOnlineGreedyWithValidationRefresh()
    {
        const int n = 8, k = 4, c = 3;
        const double eta = 5;
        long[] labels = Enumerable.Repeat(2L, n).ToArray();
        using var data = Labels(labels);
        using var dynamics = Random(labels, c, 2, seed: 41, scale: 1);
        var g = ExplicitGradients(dynamics.Final.Probabilities, dynamics.Final.Embeddings, labels);
        var p = Rows(dynamics.Final.Probabilities);
        var hh = Rows(dynamics.Final.Embeddings).Select(r => new[] { 1.0 }.Concat(r).ToArray()).ToArray();
        List<int> Greedy(bool refresh)
        {
            var order = new List<int>();
            var validation = Mean(g);
            while (order.Count < k)
            {
                order.Add(Enumerable.Range(0, n).Where(i => !order.Contains(i)).MaxBy(i => Dot(g[i], validation)));
                if (!refresh) continue;
                var step = Mean(order.Select(j => g[j])); // θ' = θ − η·step, step as C x (d+1) row-major
                var grads = Enumerable.Range(0, n).Select(v =>
                {
                    var z = Enumerable.Range(0, c).Select(a => Math.Log(p[v][a]) - eta * Enumerable.Range(0, 3).Sum(t => step[a * 3 + t] * hh[v][t])).ToArray();
                    var exp = z.Select(Math.Exp).ToArray();
                    var e = exp.Select((x, a) => x / exp.Sum() - (a == 2 ? 1 : 0)).ToArray();
                    return Enumerable.Range(0, c * 3).Select(t => e[t / 3] * hh[v][t % 3]).ToArray();
                });
                validation = Mean(grads);
            }
            return order;
        }
        var online = Greedy(refresh: true);
        CollectionAssert.AreNotEqual(Greedy(refresh: false), online, "the fixture separates the online greedy from DeepCore's static top-k");

        var memory = Run("glister", Request(data, Budget.ImagesPerClass(k)), dynamics, o => ((GlisterOptions)o).Eta = eta);
        CollectionAssert.AreEqual(online.Select(i => (long)i).ToArray(), memory.Indices);
    }

    [TestMethod]
    public void GradMatchDropsZeroWeightPicksAndTopsUpInPursuitOrder()
    {
        // scalar gradients g = e (C = 1, H = [1]): b = mean = 0.6; the pursuit takes 3, 2, 1 (positive residual), then
        // -1 whose non-negative weight is 0: dropped; the top-up -2 gets weight 0 too, but the pool is spent, so it stays
        // with weight 0. The weights of 3, 2, 1 are the ridge solution (g gᵀ + I)⁻¹ g b.
        using var e = tensor(new double[,] { { 1 }, { 2 }, { 3 }, { -1 }, { -2 } });
        using var h = ones(5, 1, dtype: ScalarType.Float64);
        var (order, weights, dropped) = GradMatchSelector.Match(e, h, 4, lambda: 1);
        CollectionAssert.AreEqual(new long[] { 2, 1, 0, 4 }, order);
        Assert.AreEqual(1, dropped);
        // (ggᵀ + I)⁻¹ (g b) = g b / (1 + ‖g‖²) by Sherman–Morrison, ‖g‖² = 14
        var g = new[] { 3.0, 2, 1 };
        for (int i = 0; i < 3; i++) Assert.AreEqual(g[i] * 0.6 / 15, weights[i], 1e-9, $"weight of pick {i}");
        Assert.AreEqual(0, weights[3]);
    }
}
