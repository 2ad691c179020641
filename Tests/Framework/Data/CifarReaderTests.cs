using Condensa.Data;
using Condensa.Tests.Support;
using TorchSharp;

namespace Condensa.Tests.Framework.Data;

[TestClass]
public sealed class CifarReaderTests
{
    private const int ImageBytes = 3 * 32 * 32;

    /// <summary>A record: label bytes, then image bytes (seed * 7 + k) mod 251, distinct per record.</summary>
    private static byte[] Record(int seed, params byte[] labels) =>
        [.. labels, .. Enumerable.Range(0, ImageBytes).Select(k => (byte)((seed * 7 + k) % 251))];

    private static float[] ExpectedPixels(params int[] seeds) =>
        seeds.SelectMany(s => Record(s).Select(b => b / 255f)).ToArray();

    [TestMethod]
    public void Cifar10ReadsFiveTrainBatchesTestBatchAndClassNames()
    {
        using var dir = new TempDataFolder();
        for (int b = 1; b <= 5; b++)
            dir.Write($"cifar-10-batches-bin/data_batch_{b}.bin", [.. Record(2 * b, (byte)(2 * b - 2)), .. Record(2 * b + 1, (byte)(2 * b - 1))]);
        dir.Write("cifar-10-batches-bin/test_batch.bin", Record(99, 9));
        var names = new[] { "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck" };
        dir.Write("cifar-10-batches-bin/batches.meta.txt", System.Text.Encoding.ASCII.GetBytes(string.Join("\n", names) + "\n\n"));

        var (train, test) = CifarReader.ReadCifar10(dir.Root);
        using (train)
        using (test)
        {
            Assert.AreEqual(10, train.Count);
            Assert.AreEqual(new ImageShape(3, 32, 32), train.Shape);
            CollectionAssert.AreEqual(Enumerable.Range(0, 10).Select(i => (long)i).ToArray(), train.LabelArray.ToArray());
            CollectionAssert.AreEqual(ExpectedPixels(2, 3, 4, 5, 6, 7, 8, 9, 10, 11), train.Images.data<float>().ToArray());
            CollectionAssert.AreEqual(names, train.ClassNames.ToArray());
            Assert.AreEqual(1, test.Count);
            Assert.AreEqual(9L, test.LabelArray[0]);
            CollectionAssert.AreEqual(ExpectedPixels(99), test.Images.data<float>().ToArray());
            // Channel-major layout: image byte 1024 is the green value of pixel (0, 0).
            Assert.AreEqual(Record(99)[1024] / 255f, test.Images[0, 1, 0, 0].item<float>());
            Assert.AreEqual("cifar10/train", train.Name);
        }
    }

    [TestMethod]
    public void Cifar100UsesTheFineLabelAndNumberedClassesWithoutNameFile()
    {
        using var dir = new TempDataFolder();
        dir.Write("train.bin", [.. Record(1, 3, 42), .. Record(2, 19, 99), .. Record(3, 0, 7)]);
        dir.Write("test.bin", Record(4, 5, 13));
        var normalization = new Normalization([0.5f, 0.5f, 0.5f], [0.25f, 0.5f, 1f]);
        var (train, test) = CifarReader.ReadCifar100(dir.Root, normalization: normalization);
        using (train)
        using (test)
        {
            CollectionAssert.AreEqual(new long[] { 42, 99, 7 }, train.LabelArray.ToArray());
            CollectionAssert.AreEqual(new long[] { 13 }, test.LabelArray.ToArray());
            Assert.AreEqual(100, train.NumClasses);
            Assert.AreEqual("99", train.ClassNames[99]);
            var std = new[] { 0.25f, 0.5f, 1f };
            var expected = Record(1, 3, 42)[2..].Select((b, k) => (b / 255f - 0.5f) / std[k / 1024]).ToArray();
            CollectionAssert.AreEqual(expected, train.Images[0].data<float>().ToArray());
        }
    }

    [TestMethod]
    public void TruncatedBatchNamesTheFileAndTheRecordSize()
    {
        using var dir = new TempDataFolder();
        var file = dir.Write("test.bin", [.. Record(1, 0, 1), .. Record(2, 0, 2)[..^5]]);
        var e = Assert.ThrowsExactly<CondensaException>(() => CifarReader.ReadRecords([file], 2, Enumerable.Range(0, 100).Select(c => $"{c}").ToArray(), "x"));
        StringAssert.Contains(e.Message, file);
        StringAssert.Contains(e.Message, $"{2 * 3074 - 5} bytes is not a whole number of 3074-byte records");
    }

    [TestMethod]
    public void LabelOutOfRangeNamesTheFileAndTheRecord()
    {
        using var dir = new TempDataFolder();
        var file = dir.Write("data_batch_1.bin", [.. Record(1, 3), .. Record(2, 10)]);
        var e = Assert.ThrowsExactly<CondensaException>(() => CifarReader.ReadRecords([file], 1, Enumerable.Range(0, 10).Select(c => $"{c}").ToArray(), "x"));
        StringAssert.Contains(e.Message, $"{file}: label 10 of record 1 is out of range 0..9");
    }

    [TestMethod]
    public void MissingBatchIsNamed()
    {
        using var dir = new TempDataFolder();
        dir.Write("data_batch_1.bin", Record(1, 3));
        var e = Assert.ThrowsExactly<CondensaException>(() => CifarReader.ReadCifar10(dir.Root));
        StringAssert.Contains(e.Message, Path.Combine(dir.Root, "data_batch_2.bin"));
    }

    [TestMethod]
    public void WrongNumberOfClassNamesIsReported()
    {
        using var dir = new TempDataFolder();
        dir.Write("train.bin", Record(1, 0, 1));
        dir.Write("test.bin", Record(1, 0, 1));
        var names = dir.Write("fine_label_names.txt", "apple\nbanana\n"u8.ToArray());
        var e = Assert.ThrowsExactly<CondensaException>(() => CifarReader.ReadCifar100(dir.Root));
        StringAssert.Contains(e.Message, $"{names}: 2 class names, expected 100");
    }
}
