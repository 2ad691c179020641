using Condensa.Data;
using Condensa.Tests.Support;
using SkiaSharp;
using TorchSharp;

namespace Condensa.Tests.Framework.Data;

[TestClass]
public sealed class DatasetCatalogTests
{
    /// <summary>
    /// An IDX dataset folder: train has <paramref name="trainPerClass"/> 6 x 6 images of each of 3 classes, t10k 2 per
    /// class; image i is filled with the value (17 i + 3) mod 256 plus a position ramp.
    /// </summary>
    private static void WriteIdxFolder(TempDataFolder dir, int trainPerClass = 8)
    {
        foreach (var (split, perClass) in new[] { ("train", trainPerClass), ("t10k", 2) })
        {
            var labels = Enumerable.Range(0, 3 * perClass).Select(i => (byte)(i % 3)).ToArray();
            var pixels = Enumerable.Range(0, labels.Length * 36).Select(k => (byte)((17 * (k / 36) + 3 + 2 * (k % 36)) % 256)).ToArray();
            dir.Write($"{split}-images-idx3-ubyte.gz", TempDataFolder.IdxImages(labels.Length, 6, 6, pixels), gzip: true);
            dir.Write($"{split}-labels-idx1-ubyte", TempDataFolder.IdxLabels(labels));
        }
    }

    [TestMethod]
    public void IdxDatasetIsNormalizedWithItsTrainingStatistics()
    {
        using var dir = new TempDataFolder();
        WriteIdxFolder(dir);
        using var splits = DatasetCatalog.Load(new DatasetOptions { Name = "idx", Path = dir.Root }, seed: 0);
        Assert.AreEqual(24, splits.Train.Count);
        Assert.AreEqual(6, splits.Test.Count);
        Assert.IsNull(splits.Validation);
        Assert.AreEqual(new ImageShape(1, 6, 6), splits.Shape);
        CollectionAssert.AreEqual(new[] { "0", "1", "2" }, splits.ClassNames.ToArray());
        Assert.AreEqual(0f, splits.Train.Images.mean().item<float>(), 1e-5f);
        Assert.AreEqual(1f, splits.Train.Images.std(unbiased: false).item<float>(), 1e-5f);
        Assert.AreSame(splits.Train.Normalization, splits.Test.Normalization);
        Assert.AreEqual("idx/test", splits.Test.Name);
    }

    [TestMethod]
    public void TransformsAndSplitsComposeInTheDocumentedOrder()
    {
        using var dir = new TempDataFolder();
        WriteIdxFolder(dir, trainPerClass: 10);
        var options = new DatasetOptions
        {
            Name = "idx", Path = dir.Root, Resize = 8, Pad = 2, Classes = [0, 2], ValidationFraction = 0.2, TrainPerClass = 5,
        };
        using var splits = DatasetCatalog.Load(options, seed: 3);
        Assert.AreEqual(new ImageShape(1, 12, 12), splits.Train.Shape);
        Assert.AreEqual(new ImageShape(1, 12, 12), splits.Test.Shape);
        Assert.AreEqual(3, splits.Train.NumClasses, "the class space stays whole");
        // 10 per class -> 2 held out for validation -> 8 left, limited to 5; test keeps its 2 per kept class.
        CollectionAssert.AreEqual(new[] { 5, 0, 5 }, Enumerable.Range(0, 3).Select(c => splits.Train.IndicesOfClass(c).Length).ToArray());
        CollectionAssert.AreEqual(new[] { 2, 0, 2 }, Enumerable.Range(0, 3).Select(c => splits.Validation!.IndicesOfClass(c).Length).ToArray());
        CollectionAssert.AreEqual(new[] { 2, 0, 2 }, Enumerable.Range(0, 3).Select(c => splits.Test.IndicesOfClass(c).Length).ToArray());
        // The pad ring is black in pixel space.
        var black = (0f - splits.Normalization.Mean[0]) / splits.Normalization.Std[0];
        Assert.AreEqual(black, splits.Train.Images[.., .., ..2].max().item<float>(), 1e-6f);
        // Same seed, same splits; the validation images are not among the training images.
        using var again = DatasetCatalog.Load(options, seed: 3);
        Assert.IsTrue(again.Train.Images.allclose(splits.Train.Images, rtol: 0, atol: 0));
        Assert.IsTrue(again.Validation!.Images.allclose(splits.Validation!.Images, rtol: 0, atol: 0));
        var trainFirstPixels = splits.Train.Images[.., 0, 2, 2].data<float>().ToArray();
        Assert.IsFalse(splits.Validation.Images[.., 0, 2, 2].data<float>().ToArray().Any(trainFirstPixels.Contains));
    }

    [TestMethod]
    public void FolderWithoutTestSplitHoldsOutAFixedTestSet()
    {
        using var dir = new TempDataFolder();
        for (int i = 0; i < 10; i++)
        {
            var value = (byte)(20 * i);
            dir.WriteImage($"{(i % 2 == 0 ? "even" : "odd")}/{i}.png", 3, 3, (x, y) => new SKColor(value, (byte)(x * 50), (byte)(y * 60)));
        }
        var options = new DatasetOptions { Name = "folder", Path = dir.Root, TestFraction = 0.4 };
        using var a = DatasetCatalog.Load(options, seed: 1);
        using var b = DatasetCatalog.Load(options, seed: 2);
        Assert.AreEqual(new ImageShape(3, 3, 3), a.Shape);
        Assert.AreEqual(6, a.Train.Count);
        Assert.AreEqual(4, a.Test.Count);
        Assert.IsTrue(a.Test.Images.allclose(b.Test.Images, rtol: 0, atol: 0), "the test set does not depend on the run seed");
        CollectionAssert.AreEqual(new[] { "even", "odd" }, a.ClassNames.ToArray());
        // Per-channel statistics of the (train) pixels: every channel normalized to mean 0.
        var channelMeans = a.Train.Images.mean([0L, 2L, 3L]).data<float>().ToArray();
        foreach (var m in channelMeans) Assert.AreEqual(0f, m, 1e-5f);
    }

    [TestMethod]
    public void NormalizeFalseKeepsPixelsInUnitRange()
    {
        using var dir = new TempDataFolder();
        WriteIdxFolder(dir);
        using var splits = DatasetCatalog.Load(new DatasetOptions { Name = "idx", Path = dir.Root, Normalize = false }, seed: 0);
        Assert.AreEqual(3 / 255f, splits.Train.Images[0, 0, 0, 0].item<float>());
        CollectionAssert.AreEqual(new[] { 1f }, splits.Normalization.Std);
    }

    [TestMethod]
    public void PublishedConstantsComeFromTheDcCode()
    {
        CollectionAssert.AreEqual(new[] { 0.2861f }, DatasetCatalog.PublishedNormalization("fashion-mnist")!.Mean);
        CollectionAssert.AreEqual(new[] { 0.3081f }, DatasetCatalog.PublishedNormalization("mnist")!.Std);
        CollectionAssert.AreEqual(new[] { 0.2023f, 0.1994f, 0.2010f }, DatasetCatalog.PublishedNormalization("cifar10")!.Std);
        CollectionAssert.AreEqual(new[] { 0.5071f, 0.4866f, 0.4409f }, DatasetCatalog.PublishedNormalization("cifar100")!.Mean);
        Assert.IsNull(DatasetCatalog.PublishedNormalization("folder"));
        Assert.AreEqual("/usr/share/datasets/fashion-mnist", DatasetCatalog.DefaultPath("fashion-mnist"));
    }

    [TestMethod]
    [DataRow("svhn", "dataset.name = svhn is invalid: allowed values are fashion-mnist, mnist")]
    [DataRow("validation", "dataset.validation_fraction = 1 is invalid: must be in [0, 1)")]
    [DataRow("per-class", "dataset.train_per_class = 0 is invalid")]
    [DataRow("channels", "dataset.channels = 2 is invalid: allowed values are (empty), 1, 3")]
    [DataRow("channels-cifar", "dataset.channels applies only to the 'folder' dataset")]
    [DataRow("no-path", "dataset.path is required for dataset 'cifar10'")]
    [DataRow("class", "dataset.classes contains 3; the classes of 'idx' are 0..2")]
    public void BadOptionsNameTheKeyAndTheProblem(string problem, string message)
    {
        using var dir = new TempDataFolder();
        WriteIdxFolder(dir);
        var options = problem switch
        {
            "svhn" => new DatasetOptions { Name = "svhn" },
            "validation" => new DatasetOptions { ValidationFraction = 1 },
            "per-class" => new DatasetOptions { TrainPerClass = 0 },
            "channels" => new DatasetOptions { Name = "folder", Path = dir.Root, Channels = 2 },
            "channels-cifar" => new DatasetOptions { Name = "cifar10", Path = dir.Root, Channels = 1 },
            "no-path" => new DatasetOptions { Name = "cifar10" },
            _ => new DatasetOptions { Name = "idx", Path = dir.Root, Classes = [0, 3] },
        };
        var e = Assert.ThrowsExactly<CondensaException>(() => DatasetCatalog.Load(options, seed: 0));
        StringAssert.Contains(e.Message, message);
    }

    [TestMethod]
    public void FashionMnistFromTheDebianPackage()
    {
        if (!Directory.Exists("/usr/share/datasets/fashion-mnist"))
            Assert.Inconclusive("dataset-fashion-mnist is not installed");
        using var splits = DatasetCatalog.Load(new DatasetOptions(), seed: 0);
        Assert.AreEqual(60_000, splits.Train.Count);
        Assert.AreEqual(10_000, splits.Test.Count);
        Assert.AreEqual(10, splits.Train.NumClasses);
        Assert.AreEqual("Ankle boot", splits.ClassNames[9]);
        Assert.AreEqual(new ImageShape(1, 28, 28), splits.Shape);
        CollectionAssert.AreEqual(Enumerable.Repeat(6000, 10).ToArray(),
            Enumerable.Range(0, 10).Select(c => splits.Train.IndicesOfClass(c).Length).ToArray());
        Assert.AreEqual(0f, splits.Train.Images.mean().item<float>(), 0.01f);
        Assert.AreEqual(1f, splits.Train.Images.std().item<float>(), 0.01f);
    }
}
