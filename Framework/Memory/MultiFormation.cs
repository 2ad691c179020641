using Condensa.Config;
using Condensa.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Condensa.Memory;

/// <summary>
/// Multi-formation (Kim et al., ICML 2022, "Dataset Condensation via Efficient Synthetic-Data Parameterization", §3.1):
/// a stored H x W image holds K x K smaller images of H/K x W/K pixels; decoding splits it into its K² tiles and
/// upsamples each to H x W (bilinear, corners not aligned, as the authors' <c>decode_zoom</c>), so a memory of N stored
/// images trains on N·K² images. Decoded images are image-major (the K² tiles of stored image 0, row by row, then those
/// of image 1, ...), so each keeps its stored image's label. K must divide the height and the width: the authors pad
/// other sizes with grey, which would spend part of the storage on padding. Encoding (the initialization from real
/// images) shrinks K² images by K x K area averaging and tiles them.
/// </summary>
public static class MultiFormation
{
    /// <summary>The factor K of the memory <paramref name="builder"/> builds: its options' (<see cref="IMultiFormationOptions"/>), or 1.</summary>
    public static int FactorOf(MethodSpec builder) => builder.Options is IMultiFormationOptions m ? m.Factor : 1;

    /// <summary>An error unless <paramref name="factor"/> divides both sides of <paramref name="shape"/>.</summary>
    public static void Check(ImageShape shape, int factor, string key = "factor")
    {
        if (factor < 1) throw new CondensaException($"{key} = {factor}: the multi-formation factor must be at least 1");
        if (shape.Height % factor != 0 || shape.Width % factor != 0)
            throw new CondensaException($"{key} = {factor} does not divide the {shape.Width}x{shape.Height} images into equal tiles",
                $"give a factor that divides {shape.Height} and {shape.Width}{(Divisors(shape).Length > 0 ? $" ({string.Join(", ", Divisors(shape))})" : "")}, or resize the images (dataset.resize)");
    }

    private static int[] Divisors(ImageShape shape) => Enumerable.Range(2, Math.Min(shape.Height, shape.Width) / 2).Where(k => shape.Height % k == 0 && shape.Width % k == 0).Take(4).ToArray();

    /// <summary>N x C x H x W stored images → N·K² x C x H x W decoded ones (differentiable w.r.t. the stored pixels).</summary>
    public static Tensor Decode(Tensor stored, int factor)
    {
        if (factor == 1) return stored.alias();
        long n = stored.shape[0], c = stored.shape[1], h = stored.shape[2], w = stored.shape[3];
        Check(new ImageShape((int)c, (int)h, (int)w), factor);
        long th = h / factor, tw = w / factor;
        using var scope = NewDisposeScope();
        var tiles = stored.reshape(n, c, factor, th, factor, tw).permute(0, 2, 4, 1, 3, 5).reshape(n * factor * factor, c, th, tw);
        return nn.functional.interpolate(tiles, [h, w], mode: InterpolationMode.Bilinear, align_corners: false).MoveToOuterDisposeScope();
    }

    /// <summary>N·K² x C x H x W images → N stored images: image i·K² + k becomes tile k (row-major) of stored image i, shrunk by K x K averaging.</summary>
    public static Tensor Encode(Tensor images, int factor)
    {
        if (factor == 1) return images.alias();
        long m = images.shape[0], c = images.shape[1], h = images.shape[2], w = images.shape[3];
        Check(new ImageShape((int)c, (int)h, (int)w), factor);
        if (m % (factor * factor) != 0) throw new ArgumentException($"{m} images do not fill stored images of {factor * factor} tiles");
        using var scope = NewDisposeScope();
        long n = m / (factor * factor), th = h / factor, tw = w / factor;
        var small = nn.functional.avg_pool2d(images, factor);
        return small.reshape(n, factor, factor, c, th, tw).permute(0, 3, 1, 4, 2, 5).reshape(n, c, h, w).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Full-size images at the resolution of a tile: each shrunk by K x K averaging and upsampled as <see cref="Decode(Tensor, int)"/>
    /// does, so image by image the round trip of <see cref="Encode"/> and <see cref="Decode(Tensor, int)"/>. Both maps are
    /// linear with weights summing to 1, so they commute with the per-channel normalization.
    /// </summary>
    public static Tensor AtTileResolution(Tensor images, int factor)
    {
        if (factor == 1) return images.alias();
        long c = images.shape[1], h = images.shape[2], w = images.shape[3];
        Check(new ImageShape((int)c, (int)h, (int)w), factor);
        using var scope = NewDisposeScope();
        return nn.functional.interpolate(nn.functional.avg_pool2d(images, factor), [h, w], mode: InterpolationMode.Bilinear, align_corners: false)
            .MoveToOuterDisposeScope();
    }

    /// <summary>The decoded dataset of a dataset of stored images: every label repeated K² times, image-major.</summary>
    public static LabeledDataset Decode(LabeledDataset stored, int factor, string? name = null)
    {
        using var scope = NewDisposeScope();
        var images = Decode(stored.Images, factor).MoveToOuterDisposeScope();
        var labels = stored.Labels.repeat_interleave(factor * factor).MoveToOuterDisposeScope();
        return new LabeledDataset(name ?? stored.Name, images, labels, stored.ClassNames, stored.Normalization) { Digits = stored.Digits };
    }
}
