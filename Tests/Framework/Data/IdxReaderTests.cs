using Condensa.Data;
using Condensa.Tests.Support;
using TorchSharp;

namespace Condensa.Tests.Framework.Data;

[TestClass]
public sealed class IdxReaderTests
{
    // Three 2 x 3 images, pixel values chosen by hand, labels 2, 0, 1.
    private static readonly byte[] Pixels =
    [
        0, 255, 128, 1, 2, 3,
        10, 20, 30, 40, 50, 60,
        255, 254, 253, 0, 7, 100,
    ];

    private static readonly byte[] Labels = [2, 0, 1];

    private static readonly Normalization Norm = new([0.25f], [0.5f]);

    private static void AssertImagesAndLabels(LabeledDataset data)
    {
        Assert.AreEqual(3, data.Count);
        Assert.AreEqual(new ImageShape(1, 2, 3), data.Shape);
        CollectionAssert.AreEqual(new long[] { 2, 0, 1 }, data.LabelArray.ToArray());
        var values = data.Images.data<float>().ToArray();
        // Hand-computed in float32, the same order of operations as the documented formula (p / 255 - mean) / std.
        var expected = Pixels.Select(p => (p / 255f - 0.25f) / 0.5f).ToArray();
        CollectionAssert.AreEqual(expected, values);
        Assert.AreEqual(-0.5f, values[0]);
        Assert.AreEqual(1.5f, values[1]);
    }

    [TestMethod]
    public void RawFilesGiveExactNormalizedPixelsAndLabels()
    {
        using var dir = new TempDataFolder();
        var images = dir.Write("imgs", TempDataFolder.IdxImages(3, 2, 3, Pixels));
        var labels = dir.Write("lbls", TempDataFolder.IdxLabels(Labels));
        using var data = IdxReader.Read(images, labels, "tiny", ["a", "b", "c"], Norm);
        AssertImagesAndLabels(data);
        Assert.AreEqual(Norm, data.Normalization);
        CollectionAssert.AreEqual(new[] { "a", "b", "c" }, data.ClassNames.ToArray());
    }

    [TestMethod]
    public void GzipFilesReadLikeRawOnes()
    {
        using var dir = new TempDataFolder();
        dir.Write("train-images-idx3-ubyte.gz", TempDataFolder.IdxImages(3, 2, 3, Pixels), gzip: true);
        dir.Write("train-labels-idx1-ubyte.gz", TempDataFolder.IdxLabels(Labels), gzip: true);
        using var data = IdxReader.ReadSplit(dir.Root, "train", "tiny", normalization: Norm);
        AssertImagesAndLabels(data);
        // Without class names the classes are "0".."max label".
        CollectionAssert.AreEqual(new[] { "0", "1", "2" }, data.ClassNames.ToArray());
    }

    [TestMethod]
    public void WithoutNormalizationPixelsAreInUnitRange()
    {
        using var dir = new TempDataFolder();
        var images = dir.Write("imgs", TempDataFolder.IdxImages(3, 2, 3, Pixels));
        var labels = dir.Write("lbls", TempDataFolder.IdxLabels(Labels));
        using var data = IdxReader.Read(images, labels, "tiny");
        CollectionAssert.AreEqual(Pixels.Select(p => p / 255f).ToArray(), data.Images.data<float>().ToArray());
        CollectionAssert.AreEqual(new[] { 0f }, data.Normalization.Mean);
        CollectionAssert.AreEqual(new[] { 1f }, data.Normalization.Std);
    }

    private static CondensaException ReadBroken(byte[] imageFile, byte[] labelFile, out string imagesPath, out string labelsPath,
        IReadOnlyList<string>? classes = null)
    {
        using var dir = new TempDataFolder();
        var (i, l) = (dir.Write("train-images-idx3-ubyte", imageFile), dir.Write("train-labels-idx1-ubyte", labelFile));
        (imagesPath, labelsPath) = (i, l);
        return Assert.ThrowsExactly<CondensaException>(() => IdxReader.Read(i, l, "broken", classes));
    }

    [TestMethod]
    public void WrongMagicNumberNamesTheFileAndBothMagics()
    {
        // A label file given as the image file.
        var e = ReadBroken(TempDataFolder.IdxLabels(Labels), TempDataFolder.IdxLabels(Labels), out var images, out _);
        StringAssert.Contains(e.Message, images);
        StringAssert.Contains(e.Message, "wrong magic number 0x00000801 (an IDX label file)");
        StringAssert.Contains(e.Message, "0x00000803");
    }

    [TestMethod]
    public void TruncatedImageFileNamesTheFileAndTheAnnouncedCount()
    {
        var e = ReadBroken(TempDataFolder.IdxImages(3, 2, 3, Pixels[..^2]), TempDataFolder.IdxLabels(Labels), out var images, out _);
        StringAssert.Contains(e.Message, images);
        StringAssert.Contains(e.Message, "truncated");
        StringAssert.Contains(e.Message, "3 images of 2x3 (18 bytes)");
        StringAssert.Contains(e.Message, "only 16 bytes");
    }

    [TestMethod]
    public void TruncatedLabelFileIsReported()
    {
        var e = ReadBroken(TempDataFolder.IdxImages(3, 2, 3, Pixels), TempDataFolder.IdxLabels([2, 0], count: 3), out _, out var labels);
        StringAssert.Contains(e.Message, labels);
        StringAssert.Contains(e.Message, "truncated: the header announces 3 labels");
    }

    [TestMethod]
    public void ImageAndLabelCountMismatchNamesBothFiles()
    {
        var e = ReadBroken(TempDataFolder.IdxImages(3, 2, 3, Pixels), TempDataFolder.IdxLabels([2, 0]), out var images, out var labels);
        StringAssert.Contains(e.Message, $"{labels}: holds 2 labels but {images} holds 3 images");
    }

    [TestMethod]
    public void LabelOutOfRangeNamesTheFileTheLabelAndTheRange()
    {
        var e = ReadBroken(TempDataFolder.IdxImages(3, 2, 3, Pixels), TempDataFolder.IdxLabels([2, 3, 1]), out _, out var labels, ["a", "b", "c"]);
        StringAssert.Contains(e.Message, labels);
        StringAssert.Contains(e.Message, "label 3 of item 1 is out of range 0..2");
    }

    [TestMethod]
    public void CorruptGzipIsReported()
    {
        using var dir = new TempDataFolder();
        var images = dir.Write("imgs.gz", [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6]);
        var labels = dir.Write("lbls", TempDataFolder.IdxLabels(Labels));
        var e = Assert.ThrowsExactly<CondensaException>(() => IdxReader.Read(images, labels, "broken"));
        StringAssert.Contains(e.Message, images);
    }

    [TestMethod]
    public void MissingFileInTheFolderIsNamed()
    {
        using var dir = new TempDataFolder();
        dir.Write("t10k-images-idx3-ubyte", TempDataFolder.IdxImages(3, 2, 3, Pixels));
        var e = Assert.ThrowsExactly<CondensaException>(() => IdxReader.ReadSplit(dir.Root, "t10k", "tiny", missingHint: "install it"));
        StringAssert.Contains(e.Message, Path.Combine(dir.Root, "t10k-labels-idx1-ubyte"));
        StringAssert.Contains(e.Message, "not found");
        Assert.AreEqual("install it", e.Hint);
    }

    [TestMethod]
    public void MissingFashionMnistFolderGivesTheAptHint()
    {
        using var dir = new TempDataFolder();
        var missing = dir.PathOf("no-such-folder");
        var e = Assert.ThrowsExactly<CondensaException>(() => DatasetCatalog.Load(new DatasetOptions { Path = missing }, seed: 0));
        StringAssert.Contains(e.Message, missing);
        StringAssert.Contains(e.Message, "not found");
        StringAssert.Contains(e.Hint!, "apt-get install dataset-fashion-mnist");
    }
}
