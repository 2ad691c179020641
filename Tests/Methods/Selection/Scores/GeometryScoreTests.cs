using Condensa.Data;
using Condensa.Memory;
using Condensa.Models;
using Condensa.Methods.Selection.Dynamics;
using Condensa.Methods.Selection.Scores;
using static Condensa.Tests.Methods.Selection.Scores.ScoreFixtures;
using static TorchSharp.torch;

namespace Condensa.Tests.Methods.Selection.Scores;

/// <summary>Pairwise and attack-based scores against brute-force loops and closed forms on tiny inputs.</summary>
[TestClass]
public sealed class GeometryScoreTests
{
    private const double Eps = 1e-8;

    [TestMethod]
    public void CalScoresMatchABruteForceNeighbourLoop()
    {
        const int n = 9, d = 3, c = 4, k = 3;
        using var h = RandomNormal(n, d, 11);
        using var p = RandomProbabilities(n, c, 12, scale: 6);
        var hh = ToArray2D(h);
        var pp = ToArray2D(p);
        var expected = new double[n];
        for (int i = 0; i < n; i++)
        {
            var neighbours = Enumerable.Range(0, n).Where(j => j != i)
                .OrderBy(j => Enumerable.Range(0, d).Sum(t => Math.Pow(hh[i, t] - hh[j, t], 2))).Take(k);
            // KL(p_j ‖ p_i), neighbour to candidate, probabilities clamped at ε
            expected[i] = neighbours.Average(j => Enumerable.Range(0, c).Sum(t => pp[j, t] * (Math.Log(Math.Max(pp[j, t], Eps)) - Math.Log(Math.Max(pp[i, t], Eps)))));
        }
        AreClose(expected, Floats(CalSelector.Scores(h, p, k)), 1e-4, "cal");
    }

    [TestMethod]
    public void CalKeepsTheSampleWhosePredictionDisagreesWithItsNeighbours()
    {
        // one class of four points on a line; the confident outlier in prediction (index 3) sits among three flat ones
        using var h = tensor(new float[,] { { 0 }, { 1 }, { 2 }, { 1.5f } });
        using var p = tensor(new float[,] { { .5f, .5f }, { .5f, .5f }, { .5f, .5f }, { .99f, .01f } });
        using var data = Labels(0, 0, 0, 0);
        using var dynamics = FinalOnly(p, h, tensor(new long[] { 0, 0, 0, 0 }));
        var memory = new CalSelector(new CalOptions { Neighbors = 2 }).Select(Request(data, Budget.ImagesPerClass(1)), dynamics, default);
        CollectionAssert.AreEqual(new long[] { 3 }, memory.Indices, "highest KL (CAL's direction, not DeepCore's lowest)");
    }

    [TestMethod]
    public void ContextualDiversityFollowsABruteForceKCenterGreedyOnSymmetricKl()
    {
        const int n = 10, c = 4, k = 5;
        using var p = RandomProbabilities(n, c, 21, scale: 3);
        var pp = ToArray2D(p);
        var mean = Enumerable.Range(0, c).Select(t => Enumerable.Range(0, n).Average(i => pp[i, t])).ToArray();
        double Sym(Func<int, double> a, Func<int, double> b) =>
            0.5 * Enumerable.Range(0, c).Sum(t => (a(t) - b(t)) * (Math.Log(Math.Max(a(t), Eps)) - Math.Log(Math.Max(b(t), Eps))));
        var order = new List<int> { Enumerable.Range(0, n).MinBy(i => Sym(t => pp[i, t], t => mean[t])) };
        while (order.Count < k)
            order.Add(Enumerable.Range(0, n).Where(i => !order.Contains(i)).MaxBy(i => order.Min(j => Sym(t => pp[i, t], t => pp[j, t]))));

        var (actual, distances) = ContextualDiversitySelector.KCenterGreedy(p, k);
        CollectionAssert.AreEqual(order, actual);
        for (int s = 1; s < k; s++)
            Assert.AreEqual(order.Take(s).Min(j => Sym(t => pp[order[s], t], t => pp[j, t])), distances[s], 1e-4, $"distance of pick {s}");
    }

    [TestMethod]
    public void ContextualDiversityNeverRepeatsASampleWhenAllOutputsAreEqual()
    {
        using var p = full(6, 3, 1 / 3f);
        var (order, _) = ContextualDiversitySelector.KCenterGreedy(p, 6);
        CollectionAssert.AreEquivalent(Enumerable.Range(0, 6).ToArray(), order);
    }

    /// <summary>Neighbour counts from explicit per-sample gradients g_i = kron(e_i, [1, h_i]) and an O(n²) loop.</summary>
    [TestMethod]
    public void GradSimCoreCountsMatchExplicitGradientVectors()
    {
        const int n = 12, c = 3, d = 4;
        using var e = RandomNormal(n, c, 31);
        using var hd = RandomNormal(n, d, 32);
        using var h = cat([ones(n, 1), hd], 1);
        var ee = ToArray2D(e);
        var hh = ToArray2D(h);
        var g = Enumerable.Range(0, n).Select(i => Enumerable.Range(0, c).SelectMany(a => Enumerable.Range(0, d + 1).Select(b => ee[i, a] * hh[i, b])).ToArray()).ToArray();
        double Cos(int i, int j) => g[i].Zip(g[j], (x, y) => x * y).Sum() / Math.Sqrt(g[i].Sum(x => x * x) * g[j].Sum(x => x * x));
        var cosines = Enumerable.Range(0, n).SelectMany(i => Enumerable.Range(0, n).Where(j => j != i).Select(j => Cos(i, j))).Order().ToArray();

        // fixed threshold halfway between two neighbouring cosines, so rounding cannot move a pair across it
        double fixedPhi = (cosines[81] + cosines[82]) / 2; // each pair appears twice: positions 2m, 2m + 1
        foreach (var block in new[] { 1024, 5 }) // one block; blocks of rows 0–4, 5–9, 10–11
            AreClose(Counts(fixedPhi), Floats(GradSimCoreSelector.NeighbourCounts(e, h, fixedPhi, 90, block)), 0, $"fixed Φ, block {block}");

        // default: Φ = 90th percentile by nearest rank, the ⌈0.9·n(n − 1)⌉-th smallest off-diagonal cosine (counted: ≥)
        double phi = cosines[(int)Math.Ceiling(0.9 * n * (n - 1)) - 1];
        Assert.IsGreaterThan(1e-5, cosines.Where(x => Math.Abs(x - phi) > 1e-12).Min(x => Math.Abs(x - phi)), "no other cosine within rounding of Φ");
        foreach (var block in new[] { 1024, 5 })
            AreClose(Counts(phi - 1e-7), Floats(GradSimCoreSelector.NeighbourCounts(e, h, null, 90, block)), 0, $"percentile Φ, block {block}");
        double low = cosines[(int)Math.Ceiling(0.1 * n * (n - 1)) - 1];
        AreClose(Counts(low - 1e-7), Floats(GradSimCoreSelector.NeighbourCounts(e, h, null, 10, 5)), 0, "10th percentile Φ");

        double[] Counts(double threshold) => Enumerable.Range(0, n).Select(i => (double)Enumerable.Range(0, n).Count(j => j != i && Cos(i, j) >= threshold)).ToArray();
    }

    [TestMethod]
    public void GradSimCoreAveragesCountsOverCheckpointsPerClass()
    {
        // two classes of three; the checkpoints' gradients (embeddings 1-d, probabilities two-class) differ
        using var data = Labels(0, 0, 0, 1, 1, 1);
        var labels = tensor(new long[] { 0, 0, 0, 1, 1, 1 });
        var p1 = RandomProbabilities(6, 2, 41);
        var p2 = RandomProbabilities(6, 2, 42);
        var h1 = RandomNormal(6, 2, 43);
        var h2 = RandomNormal(6, 2, 44);
        using var dynamics = TrainingDynamics.FromRecording(stack([p1, p2]), ones(2, 6, ScalarType.Bool), labels,
            [new(1, h1, p1), new(2, h2, p2)]);
        var selector = new GradSimCoreSelector(new GradSimCoreOptions { Checkpoints = 2, Threshold = 0.2 });
        var scores = Floats(selector.Score(Request(data, Budget.ImagesPerClass(1)), dynamics, default));
        var expected = new double[6];
        foreach (var checkpoint in dynamics.CheckpointEpochs.Select(dynamics.At))
        {
            var (e, h) = dynamics.GradientFactors(checkpoint);
            foreach (var members in new[] { new long[] { 0, 1, 2 }, [3, 4, 5] })
            {
                var counts = Floats(GradSimCoreSelector.NeighbourCounts(e.index_select(0, tensor(members)), h.index_select(0, tensor(members)), 0.2, 90));
                for (int m = 0; m < 3; m++) expected[members[m]] += counts[m] / 2.0;
            }
        }
        AreClose(expected, scores, 1e-6, "mean count over the two checkpoints");
    }

    /// <summary>
    /// For a linear classifier f(x) = Wx + b DeepFool is exact in one step: the perturbation reaches the nearest
    /// boundary, at squared distance min_{k≠k̂} (f_k̂ − f_k)² / ‖w_k̂ − w_k‖².
    /// </summary>
    [TestMethod]
    public void DeepFoolFindsTheClosedFormDistanceToALinearBoundary()
    {
        float[,] w = { { 1, 0 }, { 0, 2 }, { -1, -1 } };
        float[] b = { 0, -0.5f, 0.2f };
        using var model = new LinearModel(w, b);
        float[,] points = { { 1, 0.2f }, { -0.3f, 1 }, { -1, -1.5f }, { 0.4f, 0.45f }, { 3, -2 } };
        int n = points.GetLength(0);
        var nearest = new double[n];
        var runnerUp = new double[n];
        for (int i = 0; i < n; i++)
        {
            var f = Enumerable.Range(0, 3).Select(k => w[k, 0] * points[i, 0] + w[k, 1] * points[i, 1] + b[k]).ToArray();
            var byLogit = Enumerable.Range(0, 3).OrderByDescending(k => f[k]).ToArray();
            int top = byLogit[0];
            double Squared(int k) => Math.Pow(f[top] - f[k], 2) / (Math.Pow(w[top, 0] - w[k, 0], 2) + Math.Pow(w[top, 1] - w[k, 1], 2));
            nearest[i] = byLogit.Skip(1).Min(Squared);
            runnerUp[i] = Squared(byLogit[1]);
        }
        Assert.IsTrue(nearest.Zip(runnerUp).Any(t => t.First < t.Second - 1e-3), "some point is nearer a boundary other than its runner-up's");
        using var images = tensor(points).view(n, 1, 1, 2);
        AreClose(nearest, Floats(DeepFoolSelector.Perturbations(model, images, maxIterations: 50, overshoot: 0.02, candidateClasses: 10)), 1e-5, "‖r_tot‖², every class");
        // testing only the runner-up class (candidate_classes 2) steps onto its boundary, which also changes the label
        AreClose(runnerUp, Floats(DeepFoolSelector.Perturbations(model, images, maxIterations: 50, overshoot: 0.02, candidateClasses: 2)), 1e-5, "‖r_tot‖², runner-up only");
    }

    [TestMethod]
    public void DeepFoolKeepsTheSamplesClosestToTheBoundary()
    {
        // binary linear model, boundary x₀ = x₁; distances |x₀ − x₁| / √2
        using var model = new LinearModel(new float[,] { { 1, -1 }, { -1, 1 } }, [0, 0]);
        using var data = new LabeledDataset("line", tensor(new float[,] { { 2, 0 }, { 0.1f, 0 }, { 0, 1 }, { 0.5f, 0.3f } }).view(4, 1, 1, 2),
            tensor(new long[] { 0, 0, 0, 0 }), ["a", "b"], Normalization.Identity(1));
        using var dynamics = FinalOnly(full(4, 2, 0.5f), zeros(4, 2), tensor(new long[] { 0, 0, 0, 0 }), model);
        var memory = new DeepFoolSelector(new DeepFoolOptions { AttackBatchSize = 3 }).Select(Request(data, Budget.ImagesPerClass(2)), dynamics, default);
        CollectionAssert.AreEqual(new long[] { 1, 3 }, memory.Indices, "distances² .005, .02 are the smallest (then .5, 2)");
        AreClose([0.005, 0.02], memory.Scores!, 1e-6, "‖r_tot‖²");
    }

    /// <summary>
    /// On a nonlinear ConvNet, where samples need different numbers of steps, the batched attack (finished samples leave
    /// the batch; the label test's graph is reused while at least half go on) equals DeepFool run on one sample at a time.
    /// </summary>
    [TestMethod]
    public void BatchedDeepFoolEqualsTheAttackOnOneSampleAtATime()
    {
        const int n = 40, maxIterations = 50;
        const double overshoot = 0.02;
        manual_seed(7);
        using var model = ModelFactory.Create(ArchitectureSpec.Parse("convnet-w32-d2-instancenorm-relu-avgpool"), new ImageShape(1, 8, 8), 4, 1);
        model.eval();
        using var images = randn(n, 1, 8, 8);
        var expected = new double[n];
        var steps = new int[n];
        for (int i = 0; i < n; i++)
        {
            using var scope = NewDisposeScope();
            using var grad = enable_grad();
            var x0 = images[i..(i + 1)];
            var rTot = zeros_like(x0);
            var logits = model.call(x0).detach();
            long label = logits.argmax(1).item<long>(), runnerUp = logits.topk(2, 1).indexes[0, 1].item<long>();
            while (steps[i] < maxIterations)
            {
                var x = (x0 + (1 + overshoot) * rTot).requires_grad_(true);
                var f = model.call(x);
                if (steps[i] > 0 && f.argmax(1).item<long>() != label) break;
                var fPrime = f[0, runnerUp] - f[0, label];
                var w = autograd.grad([fPrime], [x])[0];
                rTot += (fPrime.abs() / w.square().sum()).detach() * w;
                steps[i]++;
            }
            expected[i] = rTot.square().sum().item<float>();
        }
        // both ways of taking the gradients happen in this batch
        var sizes = Enumerable.Range(1, steps.Max()).Select(t => (InGraph: steps.Count(s => s >= t), Left: steps.Count(s => s > t))).ToArray();
        Assert.IsTrue(sizes.Any(z => z.Left < z.InGraph && 2 * z.Left >= z.InGraph), "an iteration reuses the label test's graph");
        Assert.IsTrue(sizes.Any(z => z.Left > 0 && 2 * z.Left < z.InGraph), "an iteration runs a second forward pass");
        var (forwardBefore, gradientBefore) = (DeepFoolSelector.ForwardImages, DeepFoolSelector.GradientImages);
        AreClose(expected, Floats(DeepFoolSelector.Perturbations(model, images, maxIterations, overshoot, candidateClasses: 2)), 1e-4, "‖r_tot‖²");

        // the counts tools/bench/deepfool turns into FLOPs: iteration 0 takes the clean batch forward and one input-gradient
        // pass (one tested class) over it; each later iteration a label test over the samples still in the batch, then
        // the gradient pass over that graph or over a second forward pass of the survivors
        Assert.IsTrue(steps.Max() < maxIterations, "every label flips");
        long forward = n, gradient = n;
        foreach (var (inGraph, left) in sizes)
        {
            forward += inGraph;
            if (left == 0) break;
            bool second = 2 * left < inGraph;
            forward += second ? left : 0;
            gradient += second ? left : inGraph;
        }
        Assert.AreEqual(forward, DeepFoolSelector.ForwardImages - forwardBefore, "images through forward passes");
        Assert.AreEqual(gradient, DeepFoolSelector.GradientImages - gradientBefore, "images through input-gradient passes");
    }
}
