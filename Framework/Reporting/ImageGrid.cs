using SkiaSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace Condensa.Reporting;

/// <summary>Writes images (N x C x H x W in [0, 1]) as one PNG grid, one row per class.</summary>
public static class ImageGrid
{
    /// <param name="pixels01">Images in [0, 1] (denormalize first).</param>
    /// <param name="rows">Image indices per row (e.g. one row per class).</param>
    public static void Save(string path, Tensor pixels01, IReadOnlyList<int[]> rows, int scale = 2, int gap = 2)
    {
        int c = (int)pixels01.shape[1], h = (int)pixels01.shape[2], w = (int)pixels01.shape[3];
        int cols = Math.Max(1, rows.Max(r => r.Length));
        int cellW = w * scale + gap, cellH = h * scale + gap;
        using var bytes = (pixels01.detach().cpu().clamp(0, 1) * 255).round().to_type(ScalarType.Byte).permute(0, 2, 3, 1).contiguous();
        var data = bytes.data<byte>().ToArray();
        using var bitmap = new SKBitmap(cols * cellW + gap, rows.Count * cellH + gap, SKColorType.Rgba8888, SKAlphaType.Opaque);
        bitmap.Erase(SKColors.White);
        int per = h * w * c;
        for (int r = 0; r < rows.Count; r++)
            for (int k = 0; k < rows[r].Length; k++)
            {
                int baseOffset = rows[r][k] * per;
                for (int y = 0; y < h * scale; y++)
                    for (int x = 0; x < w * scale; x++)
                    {
                        int p = baseOffset + ((y / scale) * w + x / scale) * c;
                        var color = c == 1 ? new SKColor(data[p], data[p], data[p]) : new SKColor(data[p], data[p + 1], data[p + 2]);
                        bitmap.SetPixel(gap + k * cellW + x, gap + r * cellH + y, color);
                    }
            }
        using var image = SKImage.FromBitmap(bitmap);
        using var encoded = image.Encode(SKEncodedImageFormat.Png, 100);
        var tmp = path + ".tmp";
        using (var f = File.Create(tmp)) encoded.SaveTo(f);
        File.Move(tmp, path, overwrite: true);
    }
}
