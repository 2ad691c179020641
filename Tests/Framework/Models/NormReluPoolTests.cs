using Condensa.Models;
using TorchSharp;
using TorchSharp.Modules;
using static Condensa.Tests.Support.Tensors;
using static TorchSharp.torch;

namespace Condensa.Tests.Framework.Models;

[TestClass]
public sealed class NormReluPoolTests
{
    /// <summary>Instance norm, ReLU and 2x2 average pooling over <paramref name="channels"/> maps, with random γ and β.</summary>
    private static Sequential Layers(int channels)
    {
        var norm = Norm.Group(channels, channels);
        using (no_grad())
        {
            norm.weight.uniform_(0.5, 1.5);
            norm.bias!.uniform_(-0.5, 0.5);
        }
        return nn.Sequential(norm, nn.ReLU(inplace: true), new AveragePool2x2());
    }

    /// <summary>The fused layers, on any CPU (without AVX-512 .NET computes their vectors in software).</summary>
    private static NormReluPool Fused(Sequential layers) => NormReluPool.Of(layers, 0) ?? throw new AssertFailedException("the three layers fuse");

    private static Tensor[] Parameters(Sequential layers) => layers.parameters().Select(p => (Tensor)p).ToArray();

    /// <summary>
    /// The layers in float64 on the same values: the output and the gradients of z, γ and β for <paramref name="gy"/>.
    /// </summary>
    private static (Tensor Y, Tensor[] Grads) Reference(Sequential layers, Tensor z, Tensor gy)
    {
        var norm = (GroupNorm)layers[0];
        var inputs = new[] { z }.Concat(Parameters(layers)).Select(t => t.detach().to(ScalarType.Float64).requires_grad_(true)).ToArray();
        var y = nn.functional.avg_pool2d(nn.functional.relu(nn.functional.group_norm(inputs[0], norm.num_groups, inputs[1], inputs[2], norm.eps)), 2, 2);
        return (y.detach(), autograd.grad([y], inputs, [gy.to(ScalarType.Float64)]).ToArray());
    }

    /// <summary>Fused output and the gradients of z, γ and β for <paramref name="gy"/>.</summary>
    private static (Tensor Y, Tensor[] Grads) Run(NormReluPool fused, Sequential layers, Tensor z, Tensor gy)
    {
        var input = z.detach().requires_grad_(true);
        var y = fused.TryForward(input) ?? throw new AssertFailedException("the kernel takes these maps");
        return (y, autograd.grad([y], new[] { input }.Concat(Parameters(layers)).ToArray(), [gy]).ToArray());
    }

    [TestMethod]
    [DataRow(16, DisplayName = "16x16 maps (block 2 of a ConvNet on 28x28 or 32x32 images)")]
    [DataRow(8, DisplayName = "8x8 maps (block 3)")]
    [DataRow(32, DisplayName = "32x32 maps (block 1, for images that need a gradient)")]
    [DataRow(4, DisplayName = "4x4 maps (block 4)")]
    [DataRow(2, DisplayName = "2x2 maps (block 5: one pooled pixel)")]
    public void InFloat32TheKernelIsTheThreeLayersWithTheInputsGradient(int side)
    {
        using var scope = NewDisposeScope();
        manual_seed(21 + side);
        var layers = Layers(32);
        var z = randn(5, 32, side, side) * 3 + 1;
        // a gradient that is not contiguous (one map's, broadcast over the batch)
        var gy = randn(1, 32, side / 2, side / 2).expand(5, -1, -1, -1);
        var (y, grads) = Run(Fused(layers), layers, z, gy);
        var (expected, expectedGrads) = Reference(layers, z, gy);
        Assert.IsTrue(Within(y, expected, 1e-5, 1e-6), "the value");
        // the input's gradient sums over one map, γ's and β's over the batch's maps of a channel: float32 rounding of
        // terms that cancel, bounded by the largest one's scale
        string[] names = ["z", "γ", "β"];
        for (var i = 0; i < 3; i++)
            Assert.IsTrue(Within(grads[i], expectedGrads[i], 1e-4, 1e-5 * Scale(expectedGrads[i])), $"the gradient of {names[i]}");
        using (no_grad())
            Assert.IsTrue(Identical(Fused(layers).TryForward(z) ?? throw new AssertFailedException("without autograd too"), y.detach()), "without autograd: the same values");
    }

    /// <summary>
    /// The output and the input's gradient are stored channels-last (the layout oneDNN's convolutions take without a
    /// reorder), and maps stored either way give the same bits.
    /// </summary>
    [TestMethod]
    public void MapsStoredEitherWayGiveTheSameBitsAndTheOutputIsChannelsLast()
    {
        using var scope = NewDisposeScope();
        manual_seed(28);
        var layers = Layers(32);
        var z = randn(3, 32, 16, 16);
        var gy = randn(3, 32, 8, 8);
        var stored = FusedAutograd.ChannelsLast(z);
        Assert.IsTrue(z.is_contiguous() && FusedAutograd.IsChannelsLast(stored) && !stored.is_contiguous(), "the two layouts");
        var (rowMajor, channelsLast) = (Run(Fused(layers), layers, z, gy), Run(Fused(layers), layers, stored, gy));
        Assert.IsTrue(FusedAutograd.IsChannelsLast(rowMajor.Y) && FusedAutograd.IsChannelsLast(rowMajor.Grads[0]), "the output and the input's gradient");
        Assert.IsTrue(Identical(rowMajor.Y, channelsLast.Y), "the output");
        Assert.IsTrue(rowMajor.Grads.Zip(channelsLast.Grads).All(g => Identical(g.First, g.Second)), "the gradients");
    }

    [TestMethod]
    public void InBFloat16TheKernelRoundsOnceAndKeepsTheFormat()
    {
        using var scope = NewDisposeScope();
        manual_seed(22);
        var layers = Layers(16);
        layers.to(ScalarType.BFloat16);
        var z = randn(4, 16, 16, 16).to(ScalarType.BFloat16);
        var gy = randn(4, 16, 8, 8).to(ScalarType.BFloat16);
        var (y, grads) = Run(Fused(layers), layers, z, gy);
        Assert.AreEqual(ScalarType.BFloat16, y.dtype);
        Assert.IsTrue(grads.All(g => g.dtype == ScalarType.BFloat16), "every gradient in the format of its tensor");
        // exact arithmetic on the same bfloat16 values; the kernel computes in float32 and rounds each result once (at
        // most 2^-9 of its magnitude)
        var (expected, expectedGrads) = Reference(layers, z, gy);
        Assert.IsTrue(Within(y, expected, 1.0 / 256, 1e-6), "the value, rounded once");
        for (var i = 0; i < 3; i++)
            Assert.IsTrue(Within(grads[i], expectedGrads[i], 1.0 / 256, 1e-5 * Scale(expectedGrads[i])), $"gradient {i}");
    }

    /// <summary>
    /// A second derivative (create_graph) through the kernel is the layers' own: d/dθ Σ (∂L/∂θ)² with L = Σ y · g for
    /// the input and the parameters, fused against the layers one by one.
    /// </summary>
    [TestMethod]
    public void SecondDerivativesThroughTheKernelAreTheLayers()
    {
        using var scope = NewDisposeScope();
        manual_seed(23);
        var layers = Layers(16);
        var z = randn(3, 16, 16, 16);
        var g = randn(3, 16, 8, 8);
        Tensor[] SecondOrder(Func<Tensor, Tensor> forward)
        {
            var input = z.clone().requires_grad_(true);
            Tensor[] wrt = [input, .. Parameters(layers)];
            var first = autograd.grad([forward(input)], wrt, [g], retain_graph: true, create_graph: true);
            return autograd.grad([first.Select(d => d.pow(2).sum()).Aggregate((a, b) => a + b)], wrt).ToArray();
        }
        var fused = SecondOrder(input => Fused(layers).TryForward(input)!);
        var oneByOne = SecondOrder(input => layers.call(input));
        for (var i = 0; i < fused.Length; i++)
            Assert.IsTrue(Within(fused[i], oneByOne[i].to(ScalarType.Float64), 0, 1e-4 * Scale(oneByOne[i]) + 1e-6), $"input {i}");
    }

    /// <summary>Maps that need no gradient under parameters that do (a frozen stem): γ's and β's gradients alone.</summary>
    [TestMethod]
    public void OnlyTheParametersNeedAGradient()
    {
        using var scope = NewDisposeScope();
        manual_seed(27);
        var layers = Layers(16);
        var z = randn(3, 16, 16, 16);
        var gy = randn(3, 16, 8, 8);
        var y = Fused(layers).TryForward(z) ?? throw new AssertFailedException("the kernel takes these maps");
        Assert.IsTrue(y.requires_grad, "recorded for the parameters");
        var grads = autograd.grad([y], Parameters(layers), [gy]);
        var (_, expectedGrads) = Reference(layers, z, gy);
        for (var i = 0; i < 2; i++)
            Assert.IsTrue(Within(grads[i], expectedGrads[i + 1], 1e-4, 1e-5 * Scale(expectedGrads[i + 1])), $"parameter {i}");
    }

    [TestMethod]
    public void GradientsAreTheSameBitsOnOneThreadAndOnTwo()
    {
        using var scope = NewDisposeScope();
        manual_seed(24);
        var layers = Layers(32);
        var z = randn(6, 32, 16, 16);
        var gy = randn(6, 32, 8, 8);
        var threads = get_num_threads();
        Tensor[] Grads(int t)
        {
            set_num_threads(t);
            try { return Run(Fused(layers), layers, z, gy).Grads; }
            finally { set_num_threads(threads); }
        }
        var (one, two) = (Grads(1), Grads(2));
        Assert.IsTrue(one.Zip(two).All(g => Identical(g.First, g.Second)), "each channel sums over the batch in image order");
    }

    [TestMethod]
    public void OtherLayersAndSizesTakeTheLayersOneByOne()
    {
        using var scope = NewDisposeScope();
        manual_seed(25);
        var fused = Fused(Layers(16));
        Assert.IsNull(fused.TryForward(randn(2, 16, 9, 16)), "an odd height (pooling drops a row)");
        Assert.IsNull(fused.TryForward(randn(2, 16, 16, 7)), "an odd width");
        Assert.IsNull(Fused(Layers(24)).TryForward(randn(2, 24, 16, 16)), "channels that are not whole groups of 16");
        Assert.IsNull(fused.TryForward(randn(2, 16, 16, 16).to(ScalarType.BFloat16)), "maps in another format than the parameters");
        Assert.IsNull(NormReluPool.Of(nn.Sequential(Norm.Group(2, 8), nn.ReLU(), new AveragePool2x2()), 0), "group norm over groups of channels");
        Assert.IsNull(NormReluPool.Of(nn.Sequential(nn.BatchNorm2d(8), nn.ReLU(), new AveragePool2x2()), 0), "batch norm");
        Assert.IsNull(NormReluPool.Of(nn.Sequential(Norm.Group(8, 8), nn.ReLU(), nn.MaxPool2d(2, 2)), 0), "max pooling");

        // a ConvNet of depth 3 fuses its three blocks' norm, ReLU and pooling, and embeds as its layers one by one
        var model = (SequentialClassifier)ModelFactory.Create(ArchitectureSpec.Parse("convnet-w32-d3-instancenorm-relu-avgpool"), new Condensa.Data.ImageShape(1, 28, 28), 10, seed: 3);
        Assert.AreEqual(Condensa.Runtime.CondensaKernels.FusedKernels ? 3 : 0, model.NormReluPools, "three where the CPU has AVX-512");
        var images = randn(3, 1, 28, 28);
        var layerByLayer = model.EmbedLayerByLayer(images, (_, _) => { });
        Assert.IsTrue(model.Embed(images).allclose(layerByLayer, rtol: 1e-4, atol: 1e-5), "real images");
        Assert.IsTrue(model.Embed(images.requires_grad_(true)).allclose(layerByLayer, rtol: 1e-4, atol: 1e-5), "images that need a gradient");
    }

    /// <summary>
    /// The shapes training runs at: batch 256 of 128 maps of 16x16 and of 8x8, on 1 and 2 threads; the input's gradient
    /// and the parameters' against the layers in float64, each within twice the error of libtorch's layers in float32.
    /// </summary>
    [TestMethod]
    [DataRow(16, 1)]
    [DataRow(16, 2)]
    [DataRow(8, 1)]
    [DataRow(8, 2)]
    public void AtTrainingShapesTheKernelIsTheLayers(int side, int threads)
    {
        using var scope = NewDisposeScope();
        manual_seed(26 + side + threads);
        var layers = Layers(128);
        var z = randn(256, 128, side, side) * 2;
        var gy = randn(256, 128, side / 2, side / 2);
        var before = get_num_threads();
        set_num_threads(threads);
        try
        {
            var (y, grads) = Run(Fused(layers), layers, z, gy);
            var (expected, expectedGrads) = Reference(layers, z, gy);
            Assert.IsTrue(Within(y, expected, 1e-5, 1e-6), "the value");
            var input = z.clone().requires_grad_(true);
            var layerGrads = autograd.grad([layers.call(input)], new[] { input }.Concat(Parameters(layers)).ToArray(), [gy]);
            for (var i = 0; i < 3; i++)
            {
                double Error(Tensor g) => (g.to(ScalarType.Float64) - expectedGrads[i]).abs().max().item<double>();
                Assert.IsLessThanOrEqualTo(2 * Error(layerGrads[i]) + 1e-6 * Scale(expectedGrads[i]), Error(grads[i]), $"gradient {i}'s error against the layers' own");
            }
        }
        finally { set_num_threads(before); }
    }
}
