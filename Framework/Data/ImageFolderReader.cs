using SkiaSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace Condensa.Data;

/// <summary>
/// Reader for a folder of class sub-folders holding PNG or JPEG images, decoded with SkiaSharp. Two layouts:
/// <c>root/train/&lt;class&gt;/*</c> plus <c>root/test/&lt;class&gt;/*</c>, or <c>root/&lt;class&gt;/*</c> (one set, split later).
/// Classes are the sub-folder names in ordinal order; images are read in ordinal file-name order. Images come out in
/// pixel space ([0, 1], identity normalization): the catalog computes the statistics and normalizes.
/// </summary>
internal static class ImageFolderReader
{
    public static readonly IReadOnlyList<string> ImageExtensions = [".png", ".jpg", ".jpeg"];

    /// <summary>ITU-R BT.601 luma weights, the usual RGB to grayscale conversion (PIL's <c>convert("L")</c>).</summary>
    private static readonly float[] Luma = [0.299f, 0.587f, 0.114f];

    /// <summary>
    /// Reads the folder. <paramref name="channels"/> is 1 (grayscale) or 3 (RGB); when null it is 1 if every image is
    /// gray (R = G = B everywhere) and 3 otherwise. Images are resized (bilinear) to <paramref name="size"/> x
    /// <paramref name="size"/> when given, else to the most frequent image size when sizes differ.
    /// <c>Test</c> is null for the single-set layout. <paramref name="note"/> hears of every resize that the images'
    /// own sizes forced (how many images, from which sizes, to which).
    /// </summary>
    public static (LabeledDataset Train, LabeledDataset? Test) Read(string root, int? channels = null, int? size = null, string name = "folder",
        Action<string>? note = null)
    {
        if (channels is not (null or 1 or 3)) throw new CondensaException($"channels must be 1 or 3, got {channels}");
        DataFiles.RequireFolder(root, "image dataset");
        var trainFolder = Path.Combine(root, "train");
        var testFolder = Path.Combine(root, "test");
        bool hasTrain = Directory.Exists(trainFolder), hasTest = Directory.Exists(testFolder);
        if (hasTrain != hasTest)
            throw new CondensaException($"{root}: has a {(hasTrain ? "train" : "test")}/ folder but no {(hasTrain ? "test" : "train")}/ folder; " +
                                        "use both, or put the class folders directly under the root");
        string[] folders = hasTrain ? [trainFolder, testFolder] : [root];

        var classNames = ClassFolders(folders[0]);
        foreach (var folder in folders.Skip(1))
        {
            var other = ClassFolders(folder);
            if (!other.SequenceEqual(classNames))
                throw new CondensaException($"{folder}: class folders [{string.Join(", ", other)}] differ from those of {folders[0]} [{string.Join(", ", classNames)}]");
        }

        using var scope = NewDisposeScope();
        var splits = folders.Select(f => DecodeSplit(f, classNames)).ToArray();
        var (height, width) = size is int s ? (s, s) : MostFrequentSize(splits.SelectMany(x => x.Groups));
        var odd = splits.SelectMany(x => x.Groups).Where(g => g.Height != height || g.Width != width).ToList();
        if (size is null && odd.Count > 0)
            note?.Invoke($"{odd.Sum(g => g.Positions.Length)} images of other sizes ({string.Join(", ", odd.Select(g => $"{g.Width}x{g.Height}").Distinct())}) " +
                         $"were resized (bilinear) to {width}x{height}, the most frequent size; set dataset.resize to choose the size");
        bool allGray = splits.All(x => x.Groups.All(g => g.IsGray));
        int c = channels ?? (allGray ? 1 : 3);

        var datasets = splits.Select((split, i) => new LabeledDataset(
            folders.Length == 1 ? name : $"{name}/{(i == 0 ? "train" : "test")}",
            Assemble(split, c, allGray, height, width), tensor(split.Labels), classNames, Normalization.Identity(c))).ToArray();
        return (datasets[0], datasets.Length > 1 ? datasets[1] : null);
    }

    /// <summary>The images of one size inside a split: N_g x 3 x H x W bytes and their positions in the split.</summary>
    private sealed record SizeGroup(Tensor Rgb, long[] Positions, bool IsGray)
    {
        public int Height => (int)Rgb.shape[2];
        public int Width => (int)Rgb.shape[3];
    }

    private sealed record DecodedSplit(long[] Labels, SizeGroup[] Groups);

    private static string[] ClassFolders(string folder)
    {
        var names = Directory.GetDirectories(folder).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToArray();
        return names.Length > 0 ? names
            : throw new CondensaException($"{folder}: no class sub-folders",
                "an image dataset is a folder of class folders of PNG or JPEG images: ROOT/<class>/*.png, or ROOT/train/<class>/*.png with ROOT/test/<class>/*.png");
    }

    /// <summary>Decodes every image of a split and groups the pixels by image size (one tensor per size).</summary>
    private static DecodedSplit DecodeSplit(string folder, string[] classNames)
    {
        var labels = new List<long>();
        var bySize = new Dictionary<(int H, int W), (List<byte[]> Pixels, List<long> Positions)>();
        for (int label = 0; label < classNames.Length; label++)
        {
            var classFolder = Path.Combine(folder, classNames[label]);
            var files = Directory.GetFiles(classFolder)
                .Where(f => ImageExtensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
                .Order(StringComparer.Ordinal).ToArray();
            if (files.Length == 0)
                throw new CondensaException($"{classFolder}: empty class folder: no {string.Join("/", ImageExtensions)} images");
            foreach (var file in files)
            {
                var (rgba, h, w) = DecodeRgba(file);
                if (!bySize.TryGetValue((h, w), out var group)) bySize[(h, w)] = group = ([], []);
                group.Pixels.Add(rgba);
                group.Positions.Add(labels.Count);
                labels.Add(label);
            }
        }
        var groups = bySize.Select(kv =>
        {
            var ((h, w), (pixels, positions)) = (kv.Key, kv.Value);
            var bytes = new byte[pixels.Count * h * w * 4];
            for (int i = 0; i < pixels.Count; i++) pixels[i].CopyTo(bytes, i * h * w * 4);
            var rgb = tensor(bytes).view(pixels.Count, h, w, 4)[.., .., .., ..3].permute(0, 3, 1, 2);
            var gray = (rgb[.., 0].eq(rgb[.., 1]) & rgb[.., 1].eq(rgb[.., 2])).all().item<bool>();
            return new SizeGroup(rgb, positions.ToArray(), gray);
        }).ToArray();
        return new DecodedSplit(labels.ToArray(), groups);
    }

    /// <summary>Decodes one PNG/JPEG to unpremultiplied RGBA bytes (alpha is ignored afterwards).</summary>
    private static (byte[] Rgba, int Height, int Width) DecodeRgba(string file)
    {
        var bounds = SKBitmap.DecodeBounds(file);
        using var bitmap = bounds.Width > 0 && bounds.Height > 0
            ? SKBitmap.Decode(file, new SKImageInfo(bounds.Width, bounds.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul))
            : null;
        if (bitmap is null) throw new CondensaException($"{file}: cannot decode image (not a valid PNG or JPEG file)");
        return (bitmap.Bytes, bitmap.Height, bitmap.Width);
    }

    private static (int Height, int Width) MostFrequentSize(IEnumerable<SizeGroup> groups) =>
        groups.GroupBy(g => (g.Height, g.Width), g => g.Positions.Length)
            .Select(s => (Size: s.Key, Count: s.Sum()))
            .OrderByDescending(s => s.Count).ThenByDescending(s => s.Size.Height * s.Size.Width)
            .First().Size;

    /// <summary>N x C x H x W pixels in [0, 1], in split order: grayscale or RGB, each size group resized to H x W.</summary>
    private static Tensor Assemble(DecodedSplit split, int channels, bool allGray, int height, int width)
    {
        var images = empty(split.Labels.Length, channels, height, width);
        foreach (var group in split.Groups)
        {
            var pixels = group.Rgb.to_type(ScalarType.Float32).div_(255f);
            if (channels == 1)
                pixels = allGray ? pixels[.., ..1] : (pixels * tensor(Luma).view(1, 3, 1, 1)).sum(1, keepdim: true);
            if (group.Height != height || group.Width != width)
                pixels = ImageTransforms.Resize(pixels, height, width);
            images.index_copy_(0, tensor(group.Positions), pixels);
        }
        return images;
    }
}
