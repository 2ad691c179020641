using Condensa.Data;
using Condensa.Memory;
using Condensa.Models;
using Condensa.Training;
using Condensa.Training.Augmentation;
using Condensa.Tests.Support;
using SkiaSharp;
using TorchSharp;

namespace Condensa.Tests.Framework.Training.Augmentation;

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
    [DataRow("mnist", null, true)]
    [DataRow("mnist", false, false)]
    [DataRow("fashion-mnist", null, false)]
    [DataRow("cifar10", null, false)]
    [DataRow("folder", null, false)]
    [DataRow("folder", true, true)]
    [DataRow("idx", true, true)]
    public void DigitsIsADatasetPropertyDefaultingFromTheName(string name, bool? digits, bool expected)
    {
        var options = new DatasetOptions { Name = name, Digits = digits };
        Assert.AreEqual(expected, options.IsDigits);
        bool flips = AugmentationOption.DefaultStrategy(options.IsDigits).Ops.Contains(DsaOp.Flip);
        Assert.AreEqual(!expected, flips, "the thesis' strategy drops flip for digits");
    }

    [TestMethod]
    public void AFolderOfDigitsKeepsTheFlagThroughEveryDerivedSet()
    {
        using var dir = new TempDataFolder();
        for (int i = 0; i < 8; i++)
            dir.WriteImage($"{i % 2}/{i}.png", 4, 4, (x, y) => new SKColor((byte)(30 * i + 10 * x), (byte)(20 * y), 0));
        using var digits = DatasetCatalog.Load(new DatasetOptions { Name = "folder", Path = dir.Root, TestFraction = 0.25, Digits = true }, seed: 0);
        using var images = DatasetCatalog.Load(new DatasetOptions { Name = "folder", Path = dir.Root, TestFraction = 0.25 }, seed: 0);
        Assert.IsTrue(digits.Train.Digits && digits.Test.Digits);
        Assert.IsFalse(images.Train.Digits || images.Test.Digits);
        using var subset = digits.Train.Subset([0, 1]);
        using var joined = LabeledDataset.Concat("joined", images.Test, subset);
        using var reimaged = digits.Train.WithImages(digits.Train.Images.clone(), digits.Train.Normalization);
        using var synthetic = new SyntheticMemory(torch.zeros(2, 3, 4, 4), torch.tensor(new long[] { 0, 1 }));
        using var materialized = synthetic.Materialize(digits.Train);
        Assert.IsTrue(subset.Digits && joined.Digits && reimaged.Digits && materialized.Digits);
    }

    /// <summary>
    /// <c>augmentation: dsa</c> is decided by the data: on digits a training sees exactly the batches of the strategy
    /// without flip, on other images those of the full strategy (same seed, same augmentation draws).
    /// </summary>
    [TestMethod]
    public void TrainingWithDsaOnDigitsNeverFlips()
    {
        using var plain = Condensa.Tests.Framework.Training.TinyData.Halves(8, seed: 4);
        using var marked = new LabeledDataset("digits", plain.Images.clone(), plain.Labels.clone(), plain.ClassNames, plain.Normalization) { Digits = true };
        float[] Batches(LabeledDataset data, string augmentation)
        {
            var arch = ArchitectureSpec.Parse("convnet-w32-d1-instancenorm-relu-avgpool");
            using var model = ModelFactory.Create(arch, data.Shape, 2, seed: 1);
            var seen = new List<float>();
            new Trainer(new TrainOptions { Epochs = 2, BatchSize = 8, Augmentation = augmentation }).Train(model, data, 3, CancellationToken.None,
                extraLoss: (x, logits) => { seen.AddRange(x.detach().cpu().data<float>().ToArray()); return torch.tensor(0f); });
            return seen.ToArray();
        }
        var withoutFlip = AugmentationOption.DefaultStrategy(digits: true).ToString();
        Assert.AreEqual("color_crop_cutout_scale_rotate", withoutFlip);
        CollectionAssert.AreEqual(Batches(plain, withoutFlip), Batches(marked, "dsa"));
        CollectionAssert.AreEqual(Batches(plain, DsaStrategy.Default.ToString()), Batches(plain, "dsa"));
        CollectionAssert.AreNotEqual(Batches(plain, "dsa"), Batches(marked, "dsa"));
    }
}
