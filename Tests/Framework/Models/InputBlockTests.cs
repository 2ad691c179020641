using Condensa.Models;
using static Condensa.Tests.Support.Tensors;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Condensa.Tests.Framework.Models;

[TestClass]
public sealed class InputBlockTests
{
    /// <summary>A ConvNet's first block (conv 3x3, instance norm, ReLU, 2x2 average pooling) with random parameters.</summary>
    private static Sequential Layers(int inChannels, int channels, int padding, nn.Module<Tensor, Tensor>? pool = null)
    {
        var conv = new InputConv2d(inChannels, channels, 3, padding);
        var norm = Norm.Group(channels, channels);
        using (no_grad())
        {
            conv.weight.uniform_(-0.5, 0.5);
            conv.bias.uniform_(-0.5, 0.5);
            norm.weight.uniform_(0.5, 1.5);
            norm.bias!.uniform_(-0.5, 0.5);
        }
        return nn.Sequential(conv, norm, nn.ReLU(inplace: true), pool ?? new AveragePool2x2());
    }

    /// <summary>The block of the four layers, on any CPU (without AVX-512 .NET computes its vectors in software).</summary>
    private static InputBlock Block(Sequential layers) => InputBlock.Of(layers) ?? throw new AssertFailedException("the four layers are a block");

    private static Tensor[] Parameters(Sequential layers) => layers.parameters().Select(p => (Tensor)p).ToArray();

    /// <summary>The layers one by one in float64, on the same parameter values: the value and the parameters' gradients for <paramref name="gy"/>.</summary>
    private static (Tensor Y, Tensor[] Grads) Reference(Sequential layers, Tensor x, Tensor gy)
    {
        var (conv, norm) = ((InputConv2d)layers[0], (GroupNorm)layers[1]);
        var p = Parameters(layers).Select(t => t.detach().to(ScalarType.Float64).requires_grad_(true)).ToArray();
        var z = nn.functional.conv2d(x.to(ScalarType.Float64), p[0], p[1], padding: [conv.Padding, conv.Padding]);
        var y = nn.functional.avg_pool2d(nn.functional.relu(nn.functional.group_norm(z, norm.num_groups, p[2], p[3], norm.eps)), 2, 2);
        return (y.detach(), autograd.grad([y], p, [gy.to(ScalarType.Float64)]).ToArray());
    }

    [TestMethod]
    [DataRow(1, 28, 3, DisplayName = "1x28x28 with DC's padding of 3 (Fashion-MNIST)")]
    [DataRow(3, 32, 1, DisplayName = "3x32x32 with padding 1 (CIFAR)")]
    [DataRow(1, 28, 1, DisplayName = "1x28x28 with padding 1: 14x14 pooled maps")]
    [DataRow(2, 30, 3, DisplayName = "2x30x30 with padding 3: 17x17 pooled maps")]
    public void InFloat32TheBlockIsTheFourLayersWithTheirGradients(int inChannels, int side, int padding)
    {
        using var scope = NewDisposeScope();
        manual_seed(11 + inChannels);
        var layers = Layers(inChannels, 32, padding);
        var block = Block(layers);
        var x = randn(5, inChannels, side, side);
        var y = block.TryForward(x) ?? throw new AssertFailedException("the block takes these images");
        var gy = randn_like(y);
        var (expected, expectedGrads) = Reference(layers, x, gy);
        Assert.IsTrue(Within(y, expected, 1e-5, 1e-6), "the value in float32");
        Assert.IsTrue(Within(layers.call(x).detach(), expected, 1e-5, 1e-6), "as the layers one by one");
        Assert.IsTrue(FusedAutograd.IsChannelsLast(y), "the output stored channels-last, as the next convolution takes it");
        var grads = autograd.grad([y], Parameters(layers), [gy], retain_graph: true);
        Assert.IsTrue(grads.Zip(autograd.grad([y], Parameters(layers), [gy.contiguous()])).All(g => Identical(g.First, g.Second)),
            "a gradient stored row-major gives the same bits");
        // each gradient is a sum over the batch whose terms cancel: float32 rounding is bounded by the largest one's scale
        Assert.IsTrue(Within(grads[0], expectedGrads[0], 0, 1e-4 * Scale(expectedGrads[0])), "the conv weight's gradient");
        // 0 in exact arithmetic (instance norm removes any constant the bias adds): only float32 rounding is left
        Assert.IsLessThan(1e-4 * Scale(expectedGrads[0]), grads[1].abs().max().item<float>(), "the conv bias's gradient");
        Assert.IsTrue(Within(grads[2], expectedGrads[2], 0, 1e-4 * Scale(expectedGrads[2])), "the norm weight's gradient");
        Assert.IsTrue(Within(grads[3], expectedGrads[3], 0, 1e-4 * Scale(expectedGrads[3])), "the norm bias's gradient");
        using (no_grad())
            Assert.IsTrue(Identical(block.TryForward(x) ?? throw new AssertFailedException("without autograd too"), y.detach()), "without autograd: the same values");
    }

    [TestMethod]
    public void InBFloat16TheBlockRoundsOnceAndKeepsTheFormat()
    {
        using var scope = NewDisposeScope();
        manual_seed(12);
        var layers = Layers(1, 16, 3);
        layers.to(ScalarType.BFloat16);
        var block = Block(layers);
        var x = randn(4, 1, 28, 28).to(ScalarType.BFloat16);
        var y = block.TryForward(x) ?? throw new AssertFailedException("the block takes bfloat16 images");
        Assert.AreEqual(ScalarType.BFloat16, y.dtype);
        var gy = randn_like(y);
        // exact arithmetic on the same bfloat16 values; the block computes in float32 and rounds its output once
        // (at most 2^-9 of its magnitude) and each gradient once
        var (expected, expectedGrads) = Reference(layers, x, gy);
        Assert.IsTrue(Within(y, expected, 1.0 / 256, 1e-6), "the value, rounded once");
        var grads = autograd.grad([y], Parameters(layers), [gy]);
        Assert.IsTrue(grads.Zip(Parameters(layers)).All(g => g.First.dtype == ScalarType.BFloat16), "the gradients in the parameters' format");
        for (var i = 0; i < grads.Count; i++)
            Assert.IsTrue(Within(grads[i], expectedGrads[i], 1.0 / 256, 1e-4 * Math.Max(Scale(expectedGrads[i]), Scale(expectedGrads[0]))), $"gradient {i}");
    }

    /// <summary>
    /// A second derivative (create_graph) through the block is the layers' own: d/dw Σ (∂L/∂w)² with L = Σ y · g, fused
    /// against the layers one by one.
    /// </summary>
    [TestMethod]
    public void SecondDerivativesThroughTheBlockAreTheLayers()
    {
        using var scope = NewDisposeScope();
        manual_seed(13);
        var layers = Layers(1, 16, 3);
        var block = Block(layers);
        var x = randn(3, 1, 28, 28);
        var g = randn(3, 16, 16, 16);
        Tensor[] SecondOrder(Tensor y)
        {
            var first = autograd.grad([y], Parameters(layers), [g], retain_graph: true, create_graph: true);
            return autograd.grad([first.Select(d => d.pow(2).sum()).Aggregate((a, b) => a + b)], Parameters(layers)).ToArray();
        }
        var fused = SecondOrder(block.TryForward(x)!);
        var oneByOne = SecondOrder(layers.call(x));
        for (var i = 0; i < fused.Length; i++)
            Assert.IsTrue(Within(fused[i], oneByOne[i].to(ScalarType.Float64), 0, 1e-4 * Scale(oneByOne[i]) + 1e-6), $"parameter {i}");
    }

    [TestMethod]
    public void GradientsAreTheSameBitsOnOneThreadAndOnTwo()
    {
        using var scope = NewDisposeScope();
        manual_seed(14);
        var layers = Layers(1, 32, 3);
        var block = Block(layers);
        var x = randn(6, 1, 28, 28);
        var gy = randn(6, 32, 16, 16);
        var threads = get_num_threads();
        Tensor[] Grads(int t)
        {
            set_num_threads(t);
            try { return autograd.grad([block.TryForward(x)!], Parameters(layers), [gy]).ToArray(); }
            finally { set_num_threads(threads); }
        }
        var (one, two) = (Grads(1), Grads(2));
        Assert.IsTrue(one.Zip(two).All(g => Identical(g.First, g.Second)), "each channel sums over the batch in image order");
    }

    [TestMethod]
    public void OtherLayersSizesAndPixelGradientsTakeTheLayersOneByOne()
    {
        using var scope = NewDisposeScope();
        manual_seed(15);
        var block = Block(Layers(1, 16, 3));
        Assert.IsNull(block.TryForward(randn(2, 1, 28, 28).requires_grad_(true)), "images that need a gradient (synthetic images)");
        Assert.IsNull(Block(Layers(1, 24, 3)).TryForward(randn(2, 1, 28, 28)), "channels that are not whole groups of 16");
        Assert.IsNull(block.TryForward(randn(2, 1, 27, 28)), "an odd convolution output");
        Assert.IsNull(block.TryForward(randn(2, 1, 28, 28).to(ScalarType.BFloat16)), "images in another format than the parameters");
        Assert.IsNull(InputBlock.Of(Layers(1, 8, 3, nn.MaxPool2d(2, 2))), "max pooling");
        var batchNorm = nn.Sequential(new InputConv2d(1, 8, 3, 1), nn.BatchNorm2d(8), nn.ReLU(), new AveragePool2x2());
        Assert.IsNull(InputBlock.Of(batchNorm), "batch norm");

        // and a model that matches uses it: the same embedding as its layers one by one
        var model = ModelFactory.Create(ArchitectureSpec.Parse("convnet-w32-d2-instancenorm-relu-avgpool"), new Condensa.Data.ImageShape(1, 28, 28), 10, seed: 3);
        Assert.AreEqual(Condensa.Runtime.CondensaKernels.FusedKernels, ((SequentialClassifier)model).HasInputBlock, "the block runs where the CPU has AVX-512");
        var images = randn(3, 1, 28, 28);
        Assert.IsTrue(model.Embed(images).allclose(model.Embed(images.requires_grad_(true)), rtol: 1e-4, atol: 1e-5));
    }

    /// <summary>
    /// The shapes training runs at: batch 256 of 1x28x28 images into 64 and 128 channels, on 1 and 2 threads; the value and
    /// the parameters' gradients against the layers in float64.
    /// </summary>
    [TestMethod]
    [DataRow(64, 1)]
    [DataRow(64, 2)]
    [DataRow(128, 1)]
    [DataRow(128, 2)]
    public void AtTrainingShapesTheBlockIsTheLayers(int channels, int threads)
    {
        using var scope = NewDisposeScope();
        manual_seed(16 + channels + threads);
        var layers = Layers(1, channels, 3);
        var block = Block(layers);
        var x = randn(256, 1, 28, 28);
        var before = get_num_threads();
        set_num_threads(threads);
        try
        {
            var y = block.TryForward(x) ?? throw new AssertFailedException("the block takes a training batch");
            var gy = randn_like(y);
            var (expected, expectedGrads) = Reference(layers, x, gy);
            Assert.IsTrue(Within(y, expected, 1e-5, 1e-6), "the value");
            var grads = autograd.grad([y], Parameters(layers), [gy]);
            // a gradient summed over 256 x 784 pixels carries float32 rounding: the block's error may not exceed twice
            // the error of libtorch's layers one by one in float32 (plus a millionth of the gradient's scale)
            var layerGrads = autograd.grad([layers.call(x)], Parameters(layers), [gy]);
            foreach (var i in new[] { 0, 2, 3 })
            {
                double Error(Tensor g) => (g.to(ScalarType.Float64) - expectedGrads[i]).abs().max().item<double>();
                Assert.IsLessThanOrEqualTo(2 * Error(layerGrads[i]) + 1e-6 * Scale(expectedGrads[i]), Error(grads[i]), $"gradient {i}'s error against the layers' own");
            }
        }
        finally { set_num_threads(before); }
    }

    /// <summary>
    /// <c>CONDENSA_KERNELS=plain</c>: a ConvNet of libtorch's own layers (no fused blocks, no input convolution, no custom
    /// pooling) under its own settings key; from the same parameters, 30 SGD steps with it and with Condensa's kernels end
    /// at the same loss, and at weights no further apart than float32 rounding takes the plain layers from themselves.
    /// </summary>
    [TestMethod]
    public void PlainLayersTrainLikeTheKernels()
    {
        using var scope = NewDisposeScope();
        var spec = ArchitectureSpec.Parse("convnet-w32-d3-instancenorm-relu-avgpool");
        var shape = new Condensa.Data.ImageShape(1, 28, 28);
        var kernelsKey = Condensa.Runtime.ExecutionSettings.KeyOf("cpu", 2);
        Condensa.Runtime.CondensaKernels.Enabled = false;
        ClassifierModel plain, perturbed;
        string plainKey;
        try
        {
            plain = ModelFactory.Create(spec, shape, 10, seed: 5);
            perturbed = ModelFactory.Create(spec, shape, 10, seed: 7);
            plainKey = Condensa.Runtime.ExecutionSettings.KeyOf("cpu", 2);
        }
        finally { Condensa.Runtime.CondensaKernels.Enabled = true; }
        var fused = ModelFactory.Create(spec, shape, 10, seed: 6);
        Assert.AreEqual(string.Join(",", plain.state_dict().Keys), string.Join(",", fused.state_dict().Keys), "the same parameter names");
        fused.load_state_dict(plain.state_dict());
        Assert.IsFalse(plain.modules().Any(m => m is InputConv2d or AveragePool2x2), "libtorch's layers only");
        Assert.IsFalse(((SequentialClassifier)plain).HasInputBlock);
        Assert.AreEqual(0, ((SequentialClassifier)plain).NormReluPools);
        Assert.AreNotEqual(kernelsKey, plainKey, "results of the two paths never share a key");
        StringAssert.Contains(plainKey, "+plain");

        var initial = plain.parameters().Select(p => p.detach().clone()).ToArray();
        manual_seed(17);
        var x = randn([30, 64, 1, 28, 28]);
        var labels = randint(10, [30, 64]);
        (double Loss, Tensor[] Weights) Train(ClassifierModel model)
        {
            var optimizer = optim.SGD(model.parameters(), 0.01, momentum: 0.9);
            double loss = 0;
            for (int step = 0; step < 30; step++)
            {
                using var stepScope = NewDisposeScope();
                optimizer.zero_grad();
                var l = nn.functional.cross_entropy(model.call(x[step]), labels[step]);
                l.backward();
                optimizer.step();
                loss = l.item<float>();
            }
            return (loss, model.parameters().Select(p => p.detach().clone()).ToArray());
        }
        var (plainLoss, plainWeights) = Train(plain);
        var (fusedLoss, fusedWeights) = Train(fused);
        // the plain layers again from weights moved by a millionth of themselves: how far float32 rounding alone carries
        // 30 steps (measured: 6-12 % of how far a weight moved, as ReLU masks flip and momentum carries it on)
        using (no_grad())
            foreach (var (p, p0) in perturbed.parameters().Zip(initial)) p.copy_(p0 * (1 + 1e-6));
        var (_, perturbedWeights) = Train(perturbed);
        Assert.AreEqual(plainLoss, fusedLoss, 1e-3 * Math.Abs(plainLoss), "the last step's loss");
        // each parameter may be at most twice as far from the plain run as the perturbed run is, plus 1 % of how far it
        // moved (a wrong gradient differs by about all of it); the convolutions' biases are left out, their gradient is 0
        // in exact arithmetic (instance norm removes any constant) and rounding noise on both paths
        var convBiases = plain.named_modules().Where(m => m.module is Conv2d).Select(m => $"{m.name}.bias").ToHashSet();
        var names = plain.named_parameters().Select(p => p.name).ToArray();
        Assert.AreEqual(3, convBiases.Count(names.Contains), "three convolutions");
        for (var i = 0; i < plainWeights.Length; i++)
        {
            if (convBiases.Contains(names[i])) continue;
            double moved = (plainWeights[i] - initial[i]).abs().max().item<float>(), apart = (fusedWeights[i] - plainWeights[i]).abs().max().item<float>();
            double rounding = (perturbedWeights[i] - plainWeights[i]).abs().max().item<float>();
            Assert.IsGreaterThan(0.0, moved, $"parameter {i} trained");
            Assert.IsLessThanOrEqualTo(2 * rounding + 0.01 * moved, apart, $"parameter {i} after 30 steps: {apart} apart, moved {moved}, rounding alone {rounding}");
        }
    }
}
