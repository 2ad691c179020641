using Condensa.Training.Augmentation;

namespace Condensa.Tests.Augmentation;

[TestClass]
public sealed class DsaStrategyTests
{
    [TestMethod]
    public void ReferenceStrategyParsesToAllSixOpGroupsInOrder()
    {
        var strategy = DsaStrategy.Parse("color_crop_cutout_flip_scale_rotate");
        CollectionAssert.AreEqual(new[] { DsaOp.Color, DsaOp.Crop, DsaOp.Cutout, DsaOp.Flip, DsaOp.Scale, DsaOp.Rotate }, strategy.Ops.ToArray());
        Assert.AreEqual("color_crop_cutout_flip_scale_rotate", strategy.ToString());
        Assert.AreEqual(strategy.ToString(), DsaStrategy.Default.ToString());
    }

    [TestMethod]
    public void ParsingIgnoresCaseAndSurroundingSpaceAndKeepsRepeats()
    {
        var strategy = DsaStrategy.Parse("  Crop_SCALE_crop ");
        CollectionAssert.AreEqual(new[] { DsaOp.Crop, DsaOp.Scale, DsaOp.Crop }, strategy.Ops.ToArray());
    }

    [TestMethod]
    public void UnknownTokenNamesTheTokenTheSourceAndEveryAllowedToken()
    {
        var e = Assert.ThrowsExactly<CondensaException>(() => DsaStrategy.Parse("color_blur_crop", "dsa.strategy"));
        StringAssert.Contains(e.Message, "'blur'");
        StringAssert.Contains(e.Message, "dsa.strategy");
        foreach (var token in new[] { "color", "crop", "cutout", "flip", "scale", "rotate" })
            StringAssert.Contains(e.Message, token);
    }

    [TestMethod]
    public void EmptyStrategyAndEmptyTokenAreRejected()
    {
        StringAssert.Contains(Assert.ThrowsExactly<CondensaException>(() => DsaStrategy.Parse(" ")).Message, "empty");
        StringAssert.Contains(Assert.ThrowsExactly<CondensaException>(() => DsaStrategy.Parse("crop__flip")).Message, "unknown DSA augmentation ''");
    }

    [TestMethod]
    public void WithoutFlipDropsOnlyFlip()
    {
        Assert.AreEqual("color_crop_cutout_scale_rotate", DsaStrategy.Default.WithoutFlip().ToString());
        Assert.AreEqual("color_crop_cutout_flip_scale_rotate", DsaStrategy.Default.ToString());
        Assert.ThrowsExactly<CondensaException>(() => DsaStrategy.Parse("flip").WithoutFlip());
    }

    [TestMethod]
    public void OptionsOutOfRangeNameTheOption()
    {
        var e = Assert.ThrowsExactly<CondensaException>(() => new DiffAugment(DsaStrategy.Default, new DiffAugmentOptions(RatioScale: 0.8)));
        StringAssert.Contains(e.Message, "RatioScale = 0.8");
        Assert.ThrowsExactly<CondensaException>(() => new DiffAugment(DsaStrategy.Default, new DiffAugmentOptions(ProbFlip: 1.5)));
    }
}

[TestClass]
public sealed class AugmentationOptionTests
{
    [TestMethod]
    [DataRow("mnist/train", true)]
    [DataRow("mnist", true)]
    [DataRow("svhn/test", true)]
    [DataRow("fashion-mnist/train", false)]
    [DataRow("cifar10/train", false)]
    public void DigitDataIsRecognizedFromTheCatalogName(string name, bool digits)
    {
        Assert.AreEqual(digits, Condensa.Training.Augmentation.AugmentationOption.IsDigitData(name));
        bool flips = Condensa.Training.Augmentation.AugmentationOption.DefaultStrategy(name).Ops.Contains(Condensa.Training.Augmentation.DsaOp.Flip);
        Assert.AreEqual(!digits, flips, "the thesis' strategy drops flip for digit data");
    }
}
