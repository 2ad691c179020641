using Condensa.Methods.Synthesis;
using TorchSharp;
using static TorchSharp.torch;

namespace Condensa.Tests.Methods.Synthesis;

[TestClass]
public sealed class MatchingDistanceTests
{
    // Gradients of a tiny network: a conv weight 2x1x1x2 (rows (1, 0), (0, 2)), a linear weight 1x3, a bias of 2.
    private static Tensor[] Real() =>
    [
        tensor(new float[] { 1, 0, 0, 2 }).view(2, 1, 1, 2),
        tensor(new float[] { 3, 4, 0 }).view(1, 3),
        tensor(new float[] { 1, 2 }),
    ];

    // Synthetic rows (1, 1), (0, -3); linear (0, 0, 5); bias (5, -1).
    private static Tensor[] Syn() =>
    [
        tensor(new float[] { 1, 1, 0, -3 }).view(2, 1, 1, 2),
        tensor(new float[] { 0, 0, 5 }).view(1, 3),
        tensor(new float[] { 5, -1 }),
    ];

    [TestMethod]
    public void OursSumsOneMinusCosinePerOutputNodeAndSkipsOneDimensionalTensors()
    {
        // conv row 0: 1 - 1 / (1 * sqrt 2 + 1e-6); row 1: 1 - (-6) / (2 * 3 + 1e-6); linear: 1 - 0 / (5 * 5 + 1e-6) = 1; bias: 0.
        double expected = (1 - 1 / (Math.Sqrt(2) + 1e-6)) + (1 + 6 / (6 + 1e-6)) + 1;
        using var d = MatchingDistance.Compute(Syn(), Real(), MatchingMetric.Ours);
        Assert.AreEqual(expected, d.item<float>(), 1e-5);
        using var bias = MatchingDistance.Layer(Syn()[2], Real()[2]);
        Assert.AreEqual(0f, bias.item<float>());
    }

    [TestMethod]
    public void MseIsTheSquaredDistanceOfAllGradients()
    {
        // conv: 0 + 1 + 0 + 25; linear: 9 + 16 + 25; bias: 16 + 9.
        using var d = MatchingDistance.Compute(Syn(), Real(), MatchingMetric.Mse);
        Assert.AreEqual(101f, d.item<float>(), 1e-4);
    }

    [TestMethod]
    public void CosIsOneMinusTheCosineOfTheConcatenatedGradients()
    {
        // real (1,0,0,2,3,4,0,1,2), syn (1,1,0,-3,0,0,5,5,-1): dot -2, |real|^2 35, |syn|^2 62.
        double expected = 1 + 2 / (Math.Sqrt(35 * 62) + 1e-6);
        using var d = MatchingDistance.Compute(Syn(), Real(), MatchingMetric.Cos);
        Assert.AreEqual(expected, d.item<float>(), 1e-6);
    }

    [TestMethod]
    public void OursIsZeroForParallelGradientsAndDifferentiableInTheSyntheticOnes()
    {
        var real = Real();
        var syn = real.Select(g => (g * 3).requires_grad_(true)).ToArray();
        using var d = MatchingDistance.Compute(syn, real, MatchingMetric.Ours);
        Assert.AreEqual(0f, d.item<float>(), 1e-5);
        var moved = Syn().Select(g => g.requires_grad_(true)).ToArray();
        using var e = MatchingDistance.Compute(moved, real, MatchingMetric.Ours);
        var grads = autograd.grad([e], moved.Take(2).ToArray());
        Assert.IsTrue(grads.All(g => g.abs().sum().item<float>() > 0), "the conv and linear rows should get a gradient");
    }
}
