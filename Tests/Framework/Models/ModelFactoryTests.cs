using Condensa.Data;
using Condensa.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Condensa.Tests.Framework.Models;

[TestClass]
public sealed class ModelFactoryTests
{
    private static readonly ImageShape Mnist = new(1, 28, 28);
    private static readonly ImageShape Cifar = new(3, 32, 32);

    private static ClassifierModel Create(string spec, ImageShape shape, long seed = 0, int numClasses = 10) =>
        ModelFactory.Create(ArchitectureSpec.Parse(spec), shape, numClasses, seed);

    private static Tensor Batch(ImageShape shape, int n = 2, ulong seed = 3)
    {
        using var generator = new Generator(seed, CPU);
        return randn([n, shape.Channels, shape.Height, shape.Width], generator: generator);
    }

    /// <summary>
    /// Parameter counts worked out by hand for 10 classes (conv: in·out·k² + out, norm affine: 2C, linear: in·out + out).
    /// E.g. the default ConvNet on 1x28x28: conv 1→128 (1,280) + 3 norms (768) + 2 convs 128→128 (295,168)
    /// + linear 2048→10 (20,490) = 317,706; on 3x32x32 the first conv has 3,584, so 320,010. ResNet-18 with strided
    /// downsampling has the well-known 11,173,962 on 3x32x32; the "_AP" variant flattens a 512x4x4 map (81,930 in the
    /// classifier instead of 5,130) and a 512x3x3 one for 1x28x28.
    /// </summary>
    [TestMethod]
    [DataRow("convnet-w128-d3-instancenorm-relu-avgpool", 1, 28, 317_706L, 2048)]
    [DataRow("convnet-w128-d3-instancenorm-relu-avgpool", 3, 32, 320_010L, 2048)]
    [DataRow("convnet-w32-d1-layernorm-relu-avgpool", 3, 32, 148_362L, 8192)]   // LayerNorm([32, 32, 32]) before the pool: 65,536
    [DataRow("convnet-w32-d2-groupnorm-relu-none", 1, 16, 91_626L, 8192)]     // no 28→32 padding for 16x16
    [DataRow("mlp", 1, 28, 118_282L, 128)]
    [DataRow("mlp", 3, 32, 411_146L, 128)]
    [DataRow("lenet", 1, 28, 61_706L, 84)]
    [DataRow("lenet", 3, 32, 62_006L, 84)]
    [DataRow("alexnet", 1, 28, 1_865_802L, 3072)]
    [DataRow("alexnet", 3, 32, 1_872_202L, 3072)]
    [DataRow("alexnet-bn", 3, 32, 1_874_122L, 3072)]
    [DataRow("vgg11", 1, 28, 9_229_962L, 512)]
    [DataRow("vgg11", 3, 32, 9_231_114L, 512)]
    [DataRow("vgg11-bn", 3, 32, 9_231_114L, 512)]
    [DataRow("resnet18", 1, 28, 11_172_810L, 512)]
    [DataRow("resnet18", 3, 32, 11_173_962L, 512)]
    [DataRow("resnet18-bn", 3, 32, 11_173_962L, 512)]
    [DataRow("resnet18-ap", 3, 32, 11_250_762L, 8192)]
    [DataRow("resnet18-bn-ap", 1, 28, 11_213_770L, 4608)]
    public void ParameterCountAndEmbeddingSizeMatchHandCounts(string spec, int channels, int side, long parameters, int embedding)
    {
        using var model = Create(spec, new ImageShape(channels, side, side));
        Assert.AreEqual(parameters, model.ParameterCount);
        Assert.AreEqual(embedding, model.EmbeddingSize);
    }

    /// <summary>Each standard network and the default ConvNet: logits, embedding, the Embed→Classifier path, and (on 3x32x32) a backward pass.</summary>
    [TestMethod]
    [DataRow("convnet-w128-d3-instancenorm-relu-avgpool")]
    [DataRow("mlp")]
    [DataRow("lenet")]
    [DataRow("alexnet")]
    [DataRow("alexnet-bn")]
    [DataRow("vgg11")]
    [DataRow("vgg11-bn")]
    [DataRow("resnet18")]
    [DataRow("resnet18-ap")]
    [DataRow("resnet18-bn")]
    [DataRow("resnet18-bn-ap")]
    public void NetworkRunsForwardAndBackwardOnMnistAndCifarShapes(string spec)
    {
        foreach (var shape in new[] { Mnist, Cifar })
        {
            using var scope = NewDisposeScope();
            using var model = Create(spec, shape);
            var x = Batch(shape);
            var logits = model.call(x);
            CollectionAssert.AreEqual(new long[] { 2, 10 }, logits.shape, $"{spec} on {shape}");
            Assert.IsTrue(isfinite(logits).all().item<bool>(), $"{spec} on {shape}: non-finite logits");

            var embedding = model.Embed(x);
            CollectionAssert.AreEqual(new long[] { 2, model.EmbeddingSize }, embedding.shape, $"{spec} on {shape}");
            Assert.IsTrue(model.Classifier.call(embedding).allclose(logits, rtol: 0, atol: 1e-6), $"{spec} on {shape}: Classifier(Embed(x)) != forward(x)");

            if (shape != Cifar) continue;  // one backward pass per network is enough to catch a broken in-place op
            logits.square().sum().backward();
            foreach (var (name, p) in model.named_parameters())
            {
                Assert.IsNotNull(p.grad, $"{spec} on {shape}: no gradient for {name}");
                Assert.IsTrue(isfinite(p.grad).all().item<bool>(), $"{spec} on {shape}: non-finite gradient for {name}");
            }
        }
    }

    /// <summary>Networks take other sizes too, with embedding sizes from the shape arithmetic (2x2 pools halve, rounding down).</summary>
    [TestMethod]
    [DataRow("convnet-w128-d3-instancenorm-relu-avgpool", 1, 16, 128 * 2 * 2)]
    [DataRow("convnet-w128-d3-instancenorm-relu-avgpool", 3, 64, 128 * 8 * 8)]
    [DataRow("convnet-w32-d4-none-relu-maxpool", 1, 16, 32)]
    [DataRow("convnet-w32-d2-layernorm-sigmoid-avgpool", 3, 21, 32 * 5 * 5)]
    [DataRow("mlp", 3, 64, 128)]
    [DataRow("lenet", 1, 16, 84)]
    [DataRow("alexnet", 1, 16, 192 * 2 * 2)]
    [DataRow("alexnet-bn", 3, 64, 192 * 8 * 8)]
    [DataRow("vgg11", 3, 64, 512 * 2 * 2)]
    [DataRow("resnet18", 1, 16, 512)]
    [DataRow("resnet18-bn", 3, 64, 512)]
    [DataRow("resnet18-bn-ap", 1, 16, 512 * 2 * 2)]
    [DataRow("resnet18-ap", 3, 64, 512 * 8 * 8)]
    public void NetworkTakesOtherImageSizes(string spec, int channels, int side, int embedding)
    {
        var shape = new ImageShape(channels, side, side);
        using var scope = NewDisposeScope();
        using var model = Create(spec, shape);
        Assert.AreEqual(embedding, model.EmbeddingSize);
        using var noGrad = no_grad();
        var logits = model.call(Batch(shape));
        CollectionAssert.AreEqual(new long[] { 2, 10 }, logits.shape);
        Assert.IsTrue(isfinite(logits).all().item<bool>());
    }

    [TestMethod]
    [DataRow("vgg11", 3, 16, "32x32")]
    [DataRow("vgg11-bn", 1, 31, "32x32")]
    [DataRow("convnet-w32-d4-instancenorm-relu-avgpool", 1, 8, "16x16")]
    [DataRow("lenet", 3, 15, "16x16")]
    [DataRow("resnet18-ap", 3, 7, "8x8")]
    public void TooSmallImagesAreRejectedWithTheMinimumSize(string spec, int channels, int side, string minimum)
    {
        var error = Assert.ThrowsExactly<CondensaException>(() => Create(spec, new ImageShape(channels, side, side)));
        Assert.Contains($"{channels}x{side}x{side}", error.Message);
        Assert.Contains($"at least {minimum}", error.Message);
    }

    [TestMethod]
    [DataRow("vgg11", 32)]
    [DataRow("lenet", 16)]
    [DataRow("alexnet", 8)]
    [DataRow("resnet18-bn-ap", 8)]
    [DataRow("resnet18", 1)]
    [DataRow("mlp", 1)]
    [DataRow("convnet-w128-d3-instancenorm-relu-avgpool", 8)]
    [DataRow("convnet-w64-d4-batchnorm-relu-maxpool", 16)]
    [DataRow("convnet-w64-d4-batchnorm-relu-none", 1)]
    public void MinimumInputSideFollowsThePoolingLayers(string spec, int side)
    {
        Assert.AreEqual(side, ModelFactory.MinimumInputSide(ArchitectureSpec.Parse(spec), 1));
        Assert.AreEqual(side, ModelFactory.MinimumInputSide(ArchitectureSpec.Parse(spec), 3));
    }

    [TestMethod]
    public void ClassCountMustBePositive()
    {
        var error = Assert.ThrowsExactly<CondensaException>(() => Create("mlp", Mnist, numClasses: 0));
        Assert.Contains("at least 1", error.Message);
    }

    [TestMethod]
    [DataRow("convnet-w128-d3-instancenorm-relu-avgpool")]
    [DataRow("convnet-w32-d2-batchnorm-leakyrelu-maxpool")]
    [DataRow("resnet18-ap")]
    public void SameSeedGivesSameParametersWhateverTheGlobalRng(string spec)
    {
        manual_seed(11);
        using var a = Create(spec, Mnist, seed: 42);
        manual_seed(12);
        using (rand(1000)) { }
        using var b = Create(spec, Mnist, seed: 42);
        using var c = Create(spec, Mnist, seed: 43);
        var pa = a.parameters().ToList();
        var pb = b.parameters().ToList();
        var pc = c.parameters().ToList();
        Assert.HasCount(pa.Count, pb);
        for (var i = 0; i < pa.Count; i++) Assert.IsTrue(pa[i].eq(pb[i]).all().item<bool>(), $"parameter {i} differs for the same seed");
        var randomized = Enumerable.Range(0, pa.Count).Where(i => pa[i].std().item<float>() > 0).ToList();
        Assert.IsNotEmpty(randomized);
        foreach (var i in randomized) Assert.IsFalse(pa[i].eq(pc[i]).all().item<bool>(), $"parameter {i} is the same for seeds 42 and 43");
    }

    /// <summary>
    /// PyTorch's default init: every conv/linear weight and bias lies in ±1/√fan_in, and a large weight fills that range
    /// uniformly (variance bound²/3).
    /// </summary>
    [TestMethod]
    public void ConvAndLinearLayersHavePyTorchsDefaultInit()
    {
        using var model = Create("convnet-w128-d3-instancenorm-relu-avgpool", Mnist, seed: 5);
        var layers = model.modules().Where(m => m is Conv2d or InputConv2d or Linear).ToList();
        Assert.HasCount(4, layers);
        Assert.HasCount(1, layers.OfType<InputConv2d>(), "the 1-channel input convolution adds its bias after it");
        foreach (var layer in layers)
        {
            var (weight, bias) = layer switch
            {
                Conv2d conv => (conv.weight, conv.bias!),
                InputConv2d conv => (conv.weight, conv.bias),
                _ => (((Linear)layer).weight, ((Linear)layer).bias!),
            };
            var bound = 1 / Math.Sqrt(weight.numel() / weight.shape[0]) * (1 + 1e-6);
            Assert.IsLessThanOrEqualTo(bound, (double)weight.abs().max().item<float>());
            Assert.IsLessThanOrEqualTo(bound, (double)bias.abs().max().item<float>());
        }
        var big = layers.OfType<Conv2d>().First(c => c.weight.shape[1] == 128).weight;  // 128·128·9 = 147,456 draws, fan_in 1,152
        var b = 1 / Math.Sqrt(1152);
        Assert.AreEqual(b, big.max().item<float>(), b * 0.01);
        Assert.AreEqual(-b, big.min().item<float>(), b * 0.01);
        Assert.AreEqual(b * b / 3, big.var().item<float>(), b * b / 3 * 0.02);
        Assert.AreEqual(0, big.mean().item<float>(), b * 0.01);
    }

    /// <summary>The draws follow PyTorch's construction order: the first conv's weight, then its bias, come first.</summary>
    [TestMethod]
    public void InitDrawsStartWithTheFirstConvWeightThenBias()
    {
        using var scope = NewDisposeScope();
        using var model = Create("convnet-w128-d3-instancenorm-relu-avgpool", Mnist, seed: 5);
        var first = model.modules().OfType<InputConv2d>().Single();
        using var generator = new Generator(5, CPU);
        var weight = empty(128, 1, 3, 3).uniform_(-1.0 / 3, 1.0 / 3, generator);
        var bias = empty(128).uniform_(-1.0 / 3, 1.0 / 3, generator);
        Assert.IsTrue(first.weight.eq(weight).all().item<bool>());
        Assert.IsTrue(first.bias.eq(bias).all().item<bool>());
    }

    /// <summary>
    /// TorchSharp leaves GroupNorm's affine parameters uninitialized; every GroupNorm the factory builds has weight 1 and
    /// bias 0, and "instancenorm" / "groupnorm" normalize over one channel / C/4 channels (checked against a hand-written
    /// normalization).
    /// </summary>
    [TestMethod]
    [DataRow("convnet-w128-d3-instancenorm-relu-avgpool", 3, 1)]
    [DataRow("convnet-w64-d2-groupnorm-sigmoid-none", 2, 16)]
    [DataRow("vgg11", 8, 1)]
    [DataRow("resnet18-ap", 20, 1)]
    public void GroupNormsStartAsIdentityAffineAndNormalizeTheRightGroups(string spec, int count, int channelsPerGroup)
    {
        using var scope = NewDisposeScope();
        using var model = Create(spec, Mnist);
        var norms = model.modules().OfType<GroupNorm>().ToList();
        Assert.HasCount(count, norms);
        foreach (var norm in norms)
        {
            Assert.IsTrue(norm.weight.eq(1).all().item<bool>());
            Assert.IsTrue(norm.bias!.eq(0).all().item<bool>());
        }
        var first = norms[0];
        var channels = first.weight.shape[0];
        var x = Batch(new ImageShape((int)channels, 5, 5));
        var grouped = x.view(2, channels / channelsPerGroup, -1);
        var mean = grouped.mean([2], keepdim: true);
        var variance = grouped.var([2], unbiased: false, keepdim: true);
        var expected = ((grouped - mean) / (variance + 1e-5).sqrt()).view_as(x);
        Assert.IsTrue(first.call(x).allclose(expected, rtol: 1e-4, atol: 1e-5));
    }

    [TestMethod]
    public void LayerNormCoversTheFeatureMapBeforePooling()
    {
        using var model = Create("convnet-w32-d2-layernorm-relu-maxpool", Mnist);
        var shapes = model.modules().OfType<LayerNorm>().Select(n => string.Join("x", n.weight.shape)).ToList();
        CollectionAssert.AreEqual(new[] { "32x32x32", "32x16x16" }, shapes);
    }
}
