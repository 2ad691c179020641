using Condensa.Data;
using Condensa.Tests.Support;
using SkiaSharp;
using TorchSharp;

namespace Condensa.Tests.Framework.Data;

[TestClass]
public sealed class ImageFolderReaderTests
{
    /// <summary>Color of pixel (x, y) of image <paramref name="i"/>: every channel differs and depends on i, x and y.</summary>
    private static SKColor Color(int i, int x, int y) => new((byte)(40 * i + 10 * x), (byte)(200 - 30 * y), (byte)(7 * i + x + y + 1));

    private static byte Gray(int i, int x, int y) => (byte)(30 * i + 5 * x + 11 * y);

    /// <summary>Classes "cat" and "ant" (sorted: ant = 0, cat = 1), 3 RGB PNGs each, 4 wide and 3 high.</summary>
    private static void WriteColorFolder(TempDataFolder dir, string prefix = "")
    {
        for (int i = 0; i < 6; i++)
        {
            var image = i;
            dir.WriteImage($"{prefix}{(i < 3 ? "cat" : "ant")}/img{i}.png", 4, 3, (x, y) => Color(image, x, y));
        }
    }

    [TestMethod]
    public void RgbPngsRoundTripExactly()
    {
        using var dir = new TempDataFolder();
        WriteColorFolder(dir);
        dir.Write("ant/notes.txt", "not an image"u8.ToArray());
        var (data, test) = ImageFolderReader.Read(dir.Root);
        using (data)
        {
            Assert.IsNull(test);
            CollectionAssert.AreEqual(new[] { "ant", "cat" }, data.ClassNames.ToArray());
            Assert.AreEqual(new ImageShape(3, 3, 4), data.Shape);
            // ant/img3..5 first (class 0), then cat/img0..2 (class 1).
            CollectionAssert.AreEqual(new long[] { 0, 0, 0, 1, 1, 1 }, data.LabelArray.ToArray());
            int[] sourceImage = [3, 4, 5, 0, 1, 2];
            var expected = new List<float>();
            foreach (var i in sourceImage)
                for (int c = 0; c < 3; c++)
                    for (int y = 0; y < 3; y++)
                        for (int x = 0; x < 4; x++)
                        {
                            var color = Color(i, x, y);
                            expected.Add((c == 0 ? color.Red : c == 1 ? color.Green : color.Blue) / 255f);
                        }
            CollectionAssert.AreEqual(expected, data.Images.data<float>().ToArray());
        }
    }

    [TestMethod]
    public void ForcedGrayscaleUsesBt601Luma()
    {
        using var dir = new TempDataFolder();
        WriteColorFolder(dir);
        var (data, _) = ImageFolderReader.Read(dir.Root, channels: 1);
        using (data)
        {
            Assert.AreEqual(new ImageShape(1, 3, 4), data.Shape);
            var color = Color(3, 2, 1);
            var luma = 0.299f * color.Red / 255f + 0.587f * color.Green / 255f + 0.114f * color.Blue / 255f;
            Assert.AreEqual(luma, data.Images[0, 0, 1, 2].item<float>(), 1e-6f);
        }
    }

    [TestMethod]
    public void AllGrayImagesGiveOneChannelWithExactValues()
    {
        using var dir = new TempDataFolder();
        for (int i = 0; i < 4; i++)
        {
            var image = i;
            dir.WriteImage($"train/{(i % 2 == 0 ? "a" : "b")}/{i}.png", 3, 2, (x, y) => new SKColor(Gray(image, x, y), Gray(image, x, y), Gray(image, x, y)), gray: true);
        }
        // The test split holds an RGB-encoded PNG whose channels are equal: still gray.
        dir.WriteImage("test/a/t.png", 3, 2, (x, y) => new SKColor(Gray(5, x, y), Gray(5, x, y), Gray(5, x, y)));
        dir.WriteImage("test/b/t.png", 3, 2, (x, y) => new SKColor(Gray(6, x, y), Gray(6, x, y), Gray(6, x, y)));
        var (train, test) = ImageFolderReader.Read(dir.Root, name: "g");
        using (train)
        using (test)
        {
            Assert.AreEqual(new ImageShape(1, 2, 3), train.Shape);
            Assert.AreEqual("g/train", train.Name);
            CollectionAssert.AreEqual(new long[] { 0, 0, 1, 1 }, train.LabelArray.ToArray());
            int[] sourceImage = [0, 2, 1, 3];
            var expected = sourceImage.SelectMany(i => Enumerable.Range(0, 6).Select(k => Gray(i, k % 3, k / 3) / 255f)).ToArray();
            CollectionAssert.AreEqual(expected, train.Images.data<float>().ToArray());
            Assert.AreEqual(new ImageShape(1, 2, 3), test!.Shape);
            Assert.AreEqual(Gray(6, 2, 1) / 255f, test.Images[1, 0, 1, 2].item<float>());
        }
    }

    [TestMethod]
    public void ImagesOfOtherSizesAreResizedToTheMostFrequentSize()
    {
        using var dir = new TempDataFolder();
        WriteColorFolder(dir);
        dir.WriteImage("cat/big.png", 8, 6, (_, _) => new SKColor(10, 20, 30));
        var (data, _) = ImageFolderReader.Read(dir.Root);
        using (data)
        {
            Assert.AreEqual(new ImageShape(3, 3, 4), data.Shape);
            Assert.AreEqual(7, data.Count);
            // A constant image stays constant under bilinear resizing; it sorts first in class "cat" (index 3).
            var big = data.Images[3];
            Assert.AreEqual(10 / 255f, big[0].min().item<float>(), 1e-6f);
            Assert.AreEqual(10 / 255f, big[0].max().item<float>(), 1e-6f);
            Assert.AreEqual(30 / 255f, big[2].mean().item<float>(), 1e-6f);
        }
        var (resized, _) = ImageFolderReader.Read(dir.Root, size: 5);
        using (resized)
            Assert.AreEqual(new ImageShape(3, 5, 5), resized.Shape);
    }

    [TestMethod]
    public void JpegImagesAreDecoded()
    {
        using var dir = new TempDataFolder();
        dir.WriteImage("red/a.jpg", 8, 8, (_, _) => new SKColor(200, 30, 60), format: SKEncodedImageFormat.Jpeg);
        dir.WriteImage("blue/b.JPEG", 8, 8, (_, _) => new SKColor(20, 40, 220), format: SKEncodedImageFormat.Jpeg);
        var (data, _) = ImageFolderReader.Read(dir.Root);
        using (data)
        {
            Assert.AreEqual(new ImageShape(3, 8, 8), data.Shape);
            CollectionAssert.AreEqual(new[] { "blue", "red" }, data.ClassNames.ToArray());
            // Lossy, but a flat color survives within a few levels.
            Assert.AreEqual(220 / 255f, data.Images[0, 2].mean().item<float>(), 4 / 255f);
            Assert.AreEqual(200 / 255f, data.Images[1, 0].mean().item<float>(), 4 / 255f);
        }
    }

    [TestMethod]
    public void EmptyClassFolderIsNamed()
    {
        using var dir = new TempDataFolder();
        WriteColorFolder(dir);
        Directory.CreateDirectory(dir.PathOf("bee"));
        var e = Assert.ThrowsExactly<CondensaException>(() => ImageFolderReader.Read(dir.Root));
        StringAssert.Contains(e.Message, dir.PathOf("bee"));
        StringAssert.Contains(e.Message, "empty class folder");
    }

    [TestMethod]
    public void UndecodableImageIsNamed()
    {
        using var dir = new TempDataFolder();
        WriteColorFolder(dir);
        var bad = dir.Write("cat/broken.png", "this is not a png"u8.ToArray());
        var e = Assert.ThrowsExactly<CondensaException>(() => ImageFolderReader.Read(dir.Root));
        StringAssert.Contains(e.Message, $"{bad}: cannot decode image");
    }

    [TestMethod]
    public void TestClassesMustMatchTrainClasses()
    {
        using var dir = new TempDataFolder();
        WriteColorFolder(dir, "train/");
        dir.WriteImage("test/ant/x.png", 4, 3, (x, y) => Color(0, x, y));
        var e = Assert.ThrowsExactly<CondensaException>(() => ImageFolderReader.Read(dir.Root));
        StringAssert.Contains(e.Message, $"{dir.PathOf("test")}: class folders [ant] differ");
    }

    [TestMethod]
    public void MissingFolderIsNamed()
    {
        using var dir = new TempDataFolder();
        var e = Assert.ThrowsExactly<CondensaException>(() => ImageFolderReader.Read(dir.PathOf("nothing")));
        StringAssert.Contains(e.Message, $"not found: {dir.PathOf("nothing")}");
    }
}
