using Condensa.Models;
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

    private static InputBlock Block(Sequential layers)
    {
        if (!InputBlockKernel.IsSupported) Assert.Inconclusive("the fused block needs a CPU with AVX-512");
        return InputBlock.Match(layers) ?? throw new AssertFailedException("the four layers are a block");
    }

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

    private static double Scale(Tensor t) => t.abs().max().to(ScalarType.Float64).item<double>();

    private static bool Same(Tensor a, Tensor b) => a.dtype == b.dtype && a.eq(b).all().item<bool>();

    private static bool Within(Tensor actual, Tensor expected, double relative, double absolute) =>
        (actual.to(ScalarType.Float64) - expected).abs().le(expected.abs() * relative + absolute).all().item<bool>();

    [TestMethod]
    [DataRow(1, 28, 3, DisplayName = "1x28x28 with DC's padding of 3 (Fashion-MNIST)")]
    [DataRow(3, 32, 1, DisplayName = "3x32x32 with padding 1 (CIFAR)")]
    public void InFloat32TheBlockIsTheFourLayersWithTheirGradients(int inChannels, int side, int padding)
    {
        using var scope = NewDisposeScope();
        manual_seed(11 + inChannels);
        var layers = Layers(inChannels, 24, padding);
        var block = Block(layers);
        var x = randn(5, inChannels, side, side);
        var y = block.TryForward(x) ?? throw new AssertFailedException("the block takes these images");
        var gy = randn_like(y);
        var (expected, expectedGrads) = Reference(layers, x, gy);
        Assert.IsTrue(Within(y, expected, 1e-5, 1e-6), "the value in float32");
        Assert.IsTrue(Within(layers.call(x).detach(), expected, 1e-5, 1e-6), "as the layers one by one");
        var grads = autograd.grad([y], Parameters(layers), [gy]);
        // each gradient is a sum over the batch whose terms cancel: float32 rounding is bounded by the largest one's scale
        Assert.IsTrue(Within(grads[0], expectedGrads[0], 0, 1e-4 * Scale(expectedGrads[0])), "the conv weight's gradient");
        // 0 in exact arithmetic (instance norm removes any constant the bias adds): only float32 rounding is left
        Assert.IsLessThan(1e-4 * Scale(expectedGrads[0]), grads[1].abs().max().item<float>(), "the conv bias's gradient");
        Assert.IsTrue(Within(grads[2], expectedGrads[2], 0, 1e-4 * Scale(expectedGrads[2])), "the norm weight's gradient");
        Assert.IsTrue(Within(grads[3], expectedGrads[3], 0, 1e-4 * Scale(expectedGrads[3])), "the norm bias's gradient");
        using (no_grad())
            Assert.IsTrue(Same(block.TryForward(x) ?? throw new AssertFailedException("without autograd too"), y.detach()), "without autograd: the same values");
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
        var layers = Layers(1, 8, 3);
        var block = Block(layers);
        var x = randn(3, 1, 28, 28);
        var g = randn(3, 8, 16, 16);
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
        Assert.IsTrue(one.Zip(two).All(g => Same(g.First, g.Second)), "each channel sums over the batch in image order");
    }

    [TestMethod]
    public void OtherLayersSizesAndPixelGradientsTakeTheLayersOneByOne()
    {
        using var scope = NewDisposeScope();
        manual_seed(15);
        var block = Block(Layers(1, 8, 3));
        Assert.IsNull(block.TryForward(randn(2, 1, 28, 28).requires_grad_(true)), "images that need a gradient (synthetic images)");
        Assert.IsNull(block.TryForward(randn(2, 1, 30, 30)), "a pooled row that is not a whole number of vectors");
        Assert.IsNull(block.TryForward(randn(2, 1, 27, 28)), "an odd convolution output");
        Assert.IsNull(block.TryForward(randn(2, 1, 28, 28).to(ScalarType.BFloat16)), "images in another format than the parameters");
        Assert.IsNull(InputBlock.Match(Layers(1, 8, 3, nn.MaxPool2d(2, 2))), "max pooling");
        var batchNorm = nn.Sequential(new InputConv2d(1, 8, 3, 1), nn.BatchNorm2d(8), nn.ReLU(), new AveragePool2x2());
        Assert.IsNull(InputBlock.Match(batchNorm), "batch norm");

        // and a model that matches uses it: the same embedding as its layers one by one
        var model = ModelFactory.Create(ArchitectureSpec.Parse("convnet-w32-d2-instancenorm-relu-avgpool"), new Condensa.Data.ImageShape(1, 28, 28), 10, seed: 3);
        Assert.IsTrue(((SequentialClassifier)model).HasInputBlock);
        var images = randn(3, 1, 28, 28);
        Assert.IsTrue(model.Embed(images).allclose(model.Embed(images.requires_grad_(true)), rtol: 1e-4, atol: 1e-5));
    }
}
