using System.Buffers.Binary;
using TorchSharp;
using static TorchSharp.torch;

namespace Condensa.Data;

/// <summary>
/// Reader for IDX files (the MNIST format, also used by Fashion-MNIST and KMNIST), raw or gzip-compressed. An IDX file
/// is a big-endian header, magic <c>0x00000803</c> then N, rows, cols for unsigned-byte images, or magic
/// <c>0x00000801</c> then N for unsigned-byte labels, followed by one byte per pixel or label.
/// </summary>
internal static class IdxReader
{
    public const int ImagesMagic = 0x00000803;
    public const int LabelsMagic = 0x00000801;

    /// <summary>
    /// Reads <c>{split}-images-idx3-ubyte[.gz]</c> and <c>{split}-labels-idx1-ubyte[.gz]</c> from <paramref name="folder"/>
    /// (split is <c>train</c> or <c>t10k</c> in the MNIST family). <paramref name="missingHint"/> is attached to the
    /// error when the folder or a file is missing.
    /// </summary>
    public static LabeledDataset ReadSplit(string folder, string split, string name, IReadOnlyList<string>? classNames = null,
        Normalization? normalization = null, string? missingHint = null)
    {
        DataFiles.RequireFolder(folder, "IDX dataset", missingHint);
        var images = DataFiles.FindFile(folder, [$"{split}-images-idx3-ubyte", $"{split}-images-idx3-ubyte.gz"], "IDX images", missingHint);
        var labels = DataFiles.FindFile(folder, [$"{split}-labels-idx1-ubyte", $"{split}-labels-idx1-ubyte.gz"], "IDX labels", missingHint);
        return Read(images, labels, name, classNames, normalization);
    }

    /// <summary>
    /// Reads an IDX image file and its label file into a dataset of N x 1 x rows x cols images, normalized with
    /// <paramref name="normalization"/> (pixels in [0, 1] when null). Without <paramref name="classNames"/> the classes
    /// are "0".."K-1" with K = 1 + the largest label.
    /// </summary>
    public static LabeledDataset Read(string imagesPath, string labelsPath, string name, IReadOnlyList<string>? classNames = null,
        Normalization? normalization = null)
    {
        normalization ??= Normalization.Identity(1);
        if (normalization.Mean.Length != 1)
            throw new ArgumentException($"IDX images have one channel; the normalization has {normalization.Mean.Length}", nameof(normalization));

        var (pixels, pixelsLength) = DataFiles.ReadBytes(imagesPath);
        var imageDims = ReadHeader(imagesPath, pixels, pixelsLength, ImagesMagic, "image");
        var (labelBytes, labelsLength) = DataFiles.ReadBytes(labelsPath);
        var labelDims = ReadHeader(labelsPath, labelBytes, labelsLength, LabelsMagic, "label");
        int n = imageDims[0], rows = imageDims[1], cols = imageDims[2];
        if (labelDims[0] != n)
            throw new CondensaException($"{labelsPath}: holds {labelDims[0]} labels but {imagesPath} holds {n} images");

        var labelSpan = labelBytes.AsSpan(HeaderLength(1), n);
        classNames ??= NumberedClasses(labelSpan);
        CheckLabels(labelsPath, labelSpan, classNames.Count);

        using var scope = NewDisposeScope();
        var bytes = frombuffer(pixels, ScalarType.Byte, count: (long)n * rows * cols, offset: HeaderLength(3)).view(n, 1, rows, cols);
        var labels = frombuffer(labelBytes, ScalarType.Byte, count: n, offset: HeaderLength(1)).to_type(ScalarType.Int64);
        return new LabeledDataset(name, normalization.NormalizeBytes(bytes), labels, classNames, normalization);
    }

    private static int HeaderLength(int dims) => 4 + 4 * dims;

    /// <summary>Checks the magic number and that the data length matches the sizes in the header; returns the sizes.</summary>
    private static int[] ReadHeader(string path, byte[] bytes, int length, int magic, string kind)
    {
        int dims = magic & 0xff;
        if (length < 4)
            throw new CondensaException($"{path}: truncated: {length} bytes, too short for an IDX {kind} file");
        var found = BinaryPrimitives.ReadInt32BigEndian(bytes);
        if (found != magic)
        {
            var what = found switch { ImagesMagic => " (an IDX image file)", LabelsMagic => " (an IDX label file)", _ => "" };
            throw new CondensaException($"{path}: wrong magic number 0x{found:X8}{what}; an IDX {kind} file starts with 0x{magic:X8}");
        }
        if (length < HeaderLength(dims))
            throw new CondensaException($"{path}: truncated header: {length} bytes, an IDX {kind} header has {HeaderLength(dims)}");

        var sizes = new int[dims];
        for (int d = 0; d < dims; d++) sizes[d] = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4 + 4 * d));
        if (sizes.Any(s => s <= 0))
            throw new CondensaException($"{path}: the header announces sizes {string.Join(" x ", sizes)}; every size must be positive");

        long expected = sizes.Aggregate(1L, (p, s) => p * s);
        long data = length - HeaderLength(dims);
        var announced = dims == 1 ? $"{sizes[0]} {kind}s" : $"{sizes[0]} {kind}s of {string.Join("x", sizes.Skip(1))}";
        if (data < expected)
            throw new CondensaException($"{path}: truncated: the header announces {announced} ({expected} bytes) but the file holds only {data} bytes of data");
        if (data > expected)
            throw new CondensaException($"{path}: {data - expected} bytes more than the header announces ({announced}, {expected} bytes)");
        return sizes;
    }

    private static string[] NumberedClasses(ReadOnlySpan<byte> labels)
    {
        int max = 0;
        foreach (var l in labels) max = Math.Max(max, l);
        return Enumerable.Range(0, max + 1).Select(c => c.ToString()).ToArray();
    }

    private static void CheckLabels(string path, ReadOnlySpan<byte> labels, int classes)
    {
        for (int i = 0; i < labels.Length; i++)
            if (labels[i] >= classes)
                throw new CondensaException($"{path}: label {labels[i]} of item {i} is out of range 0..{classes - 1} ({classes} classes)");
    }
}
