using Condensa.Models;

namespace Condensa.Tests.Framework.Models;

[TestClass]
public sealed class ArchitectureSpecTests
{
    [TestMethod]
    public void DefaultIsDcsConvNet()
    {
        Assert.AreEqual("convnet-w128-d3-instancenorm-relu-avgpool", ArchitectureSpec.Default.ToString());
        Assert.AreEqual(new ConvNetSpec(128, 3, NormKind.InstanceNorm, ActivationKind.ReLU, PoolingKind.AvgPool), ArchitectureSpec.Default);
        Assert.AreEqual(ArchitectureSpec.Default, ArchitectureSpec.Parse("convnet-w128-d3-instancenorm-relu-avgpool"));
    }

    [TestMethod]
    public void SpaceHas720DistinctSpecsThatRoundTrip()
    {
        var all = ConvNetSpace.All();
        Assert.HasCount(720, all);
        Assert.HasCount(720, all.Select(s => s.ToString()).Distinct());
        foreach (var spec in all)
        {
            var text = spec.ToString();
            var parsed = ArchitectureSpec.Parse(text);
            Assert.AreEqual(spec, parsed, text);
            Assert.AreEqual(text, parsed.ToString());
        }
    }

    [TestMethod]
    public void SpaceOrderIsWidthDepthNormActivationPooling()
    {
        var all = ConvNetSpace.All();
        Assert.AreEqual("convnet-w32-d1-none-sigmoid-none", all[0].ToString());
        Assert.AreEqual("convnet-w32-d1-none-sigmoid-maxpool", all[1].ToString());
        Assert.AreEqual("convnet-w32-d1-none-relu-none", all[3].ToString());
        Assert.AreEqual("convnet-w32-d1-batchnorm-sigmoid-none", all[9].ToString());
        Assert.AreEqual("convnet-w32-d2-none-sigmoid-none", all[45].ToString());
        Assert.AreEqual("convnet-w64-d1-none-sigmoid-none", all[180].ToString());
        Assert.AreEqual("convnet-w256-d4-groupnorm-leakyrelu-avgpool", all[719].ToString());
        // width 128 (2·180) + depth 3 (2·45) + instancenorm (3·9) + relu (1·3) + avgpool (2) = 482
        Assert.AreEqual(ArchitectureSpec.Default, all[482]);
    }

    [TestMethod]
    public void EnumerateRestrictsAxesAndKeepsTheDocumentedOrder()
    {
        var sub = ConvNetSpace.Enumerate(widths: [256, 32, 32], norms: [NormKind.InstanceNorm], poolings: [PoolingKind.AvgPool, PoolingKind.None]);
        Assert.HasCount(2 * 4 * 1 * 3 * 2, sub);
        var expected = ConvNetSpace.All()
            .Where(s => s.Width is 32 or 256 && s.Norm == NormKind.InstanceNorm && s.Pooling != PoolingKind.MaxPool)
            .ToList();
        CollectionAssert.AreEqual(expected, sub.ToList());
    }

    [TestMethod]
    public void EnumerateRejectsValuesOutsideTheSpace()
    {
        var error = Assert.ThrowsExactly<CondensaException>(() => ConvNetSpace.Enumerate(widths: [48]));
        Assert.Contains("'w48'", error.Message);
        Assert.Contains("w32, w64, w128, w256", error.Message);
    }

    [TestMethod]
    public void StandardNetsRoundTrip()
    {
        string[] names = ["mlp", "lenet", "alexnet", "alexnet-bn", "vgg11", "vgg11-bn", "resnet18", "resnet18-ap", "resnet18-bn", "resnet18-bn-ap"];
        CollectionAssert.AreEqual(names, StandardNetSpec.All.Select(s => s.ToString()).ToArray());
        foreach (var name in names)
        {
            var spec = ArchitectureSpec.Parse(name);
            Assert.IsInstanceOfType<StandardNetSpec>(spec);
            Assert.AreEqual(name, spec.ToString());
        }
        Assert.AreEqual(new StandardNetSpec(StandardNet.ResNet18BNAP), ArchitectureSpec.Parse("resnet18-bn-ap"));
    }

    [TestMethod]
    public void ParseIgnoresCaseAndSurroundingSpace()
    {
        Assert.AreEqual(ArchitectureSpec.Default, ArchitectureSpec.Parse("  ConvNet-W128-D3-InstanceNorm-ReLU-AvgPool\t"));
        Assert.AreEqual(new StandardNetSpec(StandardNet.Vgg11BN), ArchitectureSpec.Parse(" VGG11-BN "));
    }

    [TestMethod]
    [DataRow("convnet-w100-d3-instancenorm-relu-avgpool", "width 'w100'", "w32, w64, w128, w256")]
    [DataRow("convnet-w128-d5-instancenorm-relu-avgpool", "depth 'd5'", "d1, d2, d3, d4")]
    [DataRow("convnet-w128-d3-batchnorm2d-relu-avgpool", "normalization 'batchnorm2d'", "none, batchnorm, layernorm, instancenorm, groupnorm")]
    [DataRow("convnet-w128-d3-instancenorm-tanh-avgpool", "activation 'tanh'", "sigmoid, relu, leakyrelu")]
    [DataRow("convnet-w128-d3-instancenorm-relu-avgpooling", "pooling 'avgpooling'", "none, maxpool, avgpool")]
    [DataRow("convnet-w128-d3-instancenorm-relu", "the pooling part is missing", "{none|maxpool|avgpool}")]
    [DataRow("convnet", "the width part is missing", "convnet-w{32|64|128|256}-d{1|2|3|4}-")]
    [DataRow("convnet-w128-d3-instancenorm-relu-avgpool-x", "unexpected part 'x'", "{sigmoid|relu|leakyrelu}")]
    [DataRow("resnet50", "unknown architecture 'resnet50'", "mlp, lenet, alexnet, alexnet-bn, vgg11, vgg11-bn, resnet18, resnet18-ap, resnet18-bn, resnet18-bn-ap")]
    [DataRow("", "unknown architecture ''", "convnet-w{32|64|128|256}-d{1|2|3|4}-{none|batchnorm|layernorm|instancenorm|groupnorm}-{sigmoid|relu|leakyrelu}-{none|maxpool|avgpool}")]
    public void BadNamesAreRejectedWithTheAllowedValues(string text, string badPart, string allowed)
    {
        var error = Assert.ThrowsExactly<CondensaException>(() => ArchitectureSpec.Parse(text));
        Assert.Contains(badPart, error.Message);
        Assert.Contains(allowed, error.Message);
    }

    [TestMethod]
    public void SpecsOutsideTheSpaceCannotBeMade()
    {
        var width = Assert.ThrowsExactly<CondensaException>(() => new ConvNetSpec(100, 3, NormKind.None, ActivationKind.ReLU, PoolingKind.None));
        Assert.Contains("w32, w64, w128, w256", width.Message);
        var depth = Assert.ThrowsExactly<CondensaException>(() => ArchitectureSpec.Default with { Depth = 5 });
        Assert.Contains("d1, d2, d3, d4", depth.Message);
        Assert.ThrowsExactly<CondensaException>(() => ArchitectureSpec.Default with { Norm = (NormKind)17 });
        Assert.ThrowsExactly<CondensaException>(() => new StandardNetSpec((StandardNet)17));
        Assert.AreEqual("convnet-w128-d3-batchnorm-relu-avgpool", (ArchitectureSpec.Default with { Norm = NormKind.BatchNorm }).ToString());
    }

    [TestMethod]
    public void AxisTokensParse()
    {
        Assert.AreEqual(NormKind.InstanceNorm, ConvNetSpace.ParseNorm("InstanceNorm"));
        Assert.AreEqual(ActivationKind.LeakyReLU, ConvNetSpace.ParseActivation("leakyrelu"));
        Assert.AreEqual(PoolingKind.MaxPool, ConvNetSpace.ParsePooling("maxpool"));
        var error = Assert.ThrowsExactly<CondensaException>(() => ConvNetSpace.ParsePooling("avg"));
        Assert.Contains("none, maxpool, avgpool", error.Message);
    }

    [TestMethod]
    public void BatchNormIsFlagged()
    {
        Assert.IsFalse(ArchitectureSpec.Default.HasBatchNorm);
        Assert.IsTrue(ArchitectureSpec.Parse("convnet-w32-d1-batchnorm-relu-none").HasBatchNorm);
        string[] withBatchNorm = ["alexnet-bn", "vgg11-bn", "resnet18-bn", "resnet18-bn-ap"];
        foreach (var spec in StandardNetSpec.All)
            Assert.AreEqual(withBatchNorm.Contains(spec.ToString()), spec.HasBatchNorm, spec.ToString());
    }
}
