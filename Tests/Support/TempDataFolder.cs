using System.Buffers.Binary;
using System.IO.Compression;
using SkiaSharp;

namespace Condensa.Tests.Support;

/// <summary>A fresh folder under the system temp folder for hand-made data files, deleted on dispose.</summary>
internal sealed class TempDataFolder : IDisposable
{
    public TempDataFolder()
    {
        Root = Path.Combine(Path.GetTempPath(), "condensa-tests-data", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    public string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    public void Dispose() => Directory.Delete(Root, recursive: true);

    /// <summary>Writes bytes to a file under the root (creating folders), gzip-compressed when <paramref name="gzip"/>.</summary>
    public string Write(string relativePath, byte[] bytes, bool gzip = false)
    {
        var path = PathOf(relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        if (!gzip)
        {
            File.WriteAllBytes(path, bytes);
            return path;
        }
        using (var file = File.Create(path))
        using (var compressed = new GZipStream(file, CompressionLevel.Fastest))
            compressed.Write(bytes);
        return path;
    }

    /// <summary>An IDX image file: magic, N, rows, cols (big-endian), then the pixels.</summary>
    public static byte[] IdxImages(int count, int rows, int cols, byte[] pixels, int magic = 0x00000803) =>
        [.. BigEndian(magic, count, rows, cols), .. pixels];

    /// <summary>An IDX label file: magic, N (big-endian), then the labels.</summary>
    public static byte[] IdxLabels(byte[] labels, int? count = null, int magic = 0x00000801) =>
        [.. BigEndian(magic, count ?? labels.Length), .. labels];

    private static byte[] BigEndian(params int[] values)
    {
        var bytes = new byte[4 * values.Length];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 * i), values[i]);
        return bytes;
    }

    /// <summary>Writes an opaque RGB (or Gray8) PNG (or JPEG) whose pixel (x, y) is <paramref name="color"/>(x, y).</summary>
    public string WriteImage(string relativePath, int width, int height, Func<int, int, SKColor> color, bool gray = false,
        SKEncodedImageFormat format = SKEncodedImageFormat.Png)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, gray ? SKColorType.Gray8 : SKColorType.Rgba8888, SKAlphaType.Opaque));
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                bitmap.SetPixel(x, y, color(x, y));
        using var data = bitmap.Encode(format, 100);
        return Write(relativePath, data.ToArray());
    }
}
