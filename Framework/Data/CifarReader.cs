using TorchSharp;
using static TorchSharp.torch;

namespace Condensa.Data;

/// <summary>
/// Reader for the binary versions of CIFAR-10 and CIFAR-100: files of fixed-size records, each the label byte(s)
/// followed by a 32 x 32 RGB image stored channel by channel (1024 red, 1024 green, 1024 blue bytes, rows in order).
/// CIFAR-10 records have one label byte; CIFAR-100 records have two (coarse, then fine) and the fine label is used.
/// </summary>
internal static class CifarReader
{
    public const int Side = 32;
    private const int ImageBytes = 3 * Side * Side;

    /// <summary>
    /// Reads CIFAR-10 from <paramref name="folder"/> or its <c>cifar-10-batches-bin</c> sub-folder: <c>data_batch_1.bin</c>
    /// to <c>data_batch_5.bin</c> (train) and <c>test_batch.bin</c> (test); class names from <c>batches.meta.txt</c>
    /// when present, else "0".."9".
    /// </summary>
    public static (LabeledDataset Train, LabeledDataset Test) ReadCifar10(string folder, string name = "cifar10", Normalization? normalization = null)
    {
        folder = Locate(folder, "cifar-10-batches-bin", "data_batch_1.bin", "CIFAR-10");
        var classes = ClassNames(folder, "batches.meta.txt", 10);
        var train = Enumerable.Range(1, 5).Select(i => DataFiles.FindFile(folder, [$"data_batch_{i}.bin"], "CIFAR-10")).ToArray();
        var test = DataFiles.FindFile(folder, ["test_batch.bin"], "CIFAR-10");
        return (ReadRecords(train, 1, classes, $"{name}/train", normalization),
                ReadRecords([test], 1, classes, $"{name}/test", normalization));
    }

    /// <summary>
    /// Reads CIFAR-100 (fine labels) from <paramref name="folder"/> or its <c>cifar-100-binary</c> sub-folder:
    /// <c>train.bin</c> and <c>test.bin</c>; class names from <c>fine_label_names.txt</c> when present, else "0".."99".
    /// </summary>
    public static (LabeledDataset Train, LabeledDataset Test) ReadCifar100(string folder, string name = "cifar100", Normalization? normalization = null)
    {
        folder = Locate(folder, "cifar-100-binary", "train.bin", "CIFAR-100");
        var classes = ClassNames(folder, "fine_label_names.txt", 100);
        var train = DataFiles.FindFile(folder, ["train.bin"], "CIFAR-100");
        var test = DataFiles.FindFile(folder, ["test.bin"], "CIFAR-100");
        return (ReadRecords([train], 2, classes, $"{name}/train", normalization),
                ReadRecords([test], 2, classes, $"{name}/test", normalization));
    }

    /// <summary>
    /// Reads files of records <c>labelBytes</c> label bytes + 3072 image bytes; the last label byte is the class.
    /// </summary>
    public static LabeledDataset ReadRecords(IReadOnlyList<string> files, int labelBytes, IReadOnlyList<string> classNames, string name,
        Normalization? normalization = null)
    {
        normalization ??= Normalization.Identity(3);
        if (normalization.Mean.Length != 3)
            throw new ArgumentException($"CIFAR images have three channels; the normalization has {normalization.Mean.Length}", nameof(normalization));
        int recordBytes = labelBytes + ImageBytes;

        using var scope = NewDisposeScope();
        var parts = new List<Tensor>();
        foreach (var file in files)
        {
            var (bytes, length) = DataFiles.ReadBytes(file);
            if (length == 0 || length % recordBytes != 0)
                throw new CondensaException($"{file}: truncated or not a CIFAR file: {length} bytes is not a whole number of {recordBytes}-byte records " +
                                            $"({labelBytes} label byte{(labelBytes > 1 ? "s" : "")} + {ImageBytes} image bytes)");
            int n = length / recordBytes;
            for (int i = 0; i < n; i++)
            {
                var label = bytes[i * recordBytes + labelBytes - 1];
                if (label >= classNames.Count)
                    throw new CondensaException($"{file}: label {label} of record {i} is out of range 0..{classNames.Count - 1} ({classNames.Count} classes)");
            }
            parts.Add(frombuffer(bytes, ScalarType.Byte, count: length).view(n, recordBytes));
        }
        var records = parts.Count == 1 ? parts[0] : cat(parts, 0);
        var labels = records[.., labelBytes - 1].to_type(ScalarType.Int64);
        var images = normalization.NormalizeBytes(records[.., labelBytes..].reshape(-1, 3, Side, Side));
        return new LabeledDataset(name, images, labels, classNames, normalization);
    }

    /// <summary>The folder holding <paramref name="marker"/>: <paramref name="folder"/> itself or its standard sub-folder.</summary>
    private static string Locate(string folder, string subfolder, string marker, string what)
    {
        DataFiles.RequireFolder(folder, what);
        var nested = Path.Combine(folder, subfolder);
        return !File.Exists(Path.Combine(folder, marker)) && Directory.Exists(nested) ? nested : folder;
    }

    /// <summary>One class name per non-empty line of <paramref name="file"/> when it exists, else "0".."count-1".</summary>
    private static string[] ClassNames(string folder, string file, int count)
    {
        var path = Path.Combine(folder, file);
        if (!File.Exists(path)) return Enumerable.Range(0, count).Select(c => c.ToString()).ToArray();
        var names = File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
        return names.Length == count ? names
            : throw new CondensaException($"{path}: {names.Length} class names, expected {count} (one per line)");
    }
}
