using TorchSharp;
using static TorchSharp.torch;

namespace Condensa.Data;

/// <summary>
/// Whole-dataset image transforms. Each is defined in pixel space and gives the same images whether it runs before
/// or after normalization: padding adds black pixels (0 in pixel space, stored as <c>-mean / std</c> per channel), and
/// bilinear resizing mixes the pixels of a channel with non-negative weights summing to 1, which commutes with the
/// per-channel affine normalization. Each returns a new dataset; the input is left untouched.
/// </summary>
public static class ImageTransforms
{
    /// <summary>
    /// Bilinear resize of N x C x H x W images (half-pixel centers, <c>align_corners = false</c>, antialiased when
    /// shrinking, like torchvision's <c>Resize</c> on tensors).
    /// </summary>
    public static Tensor Resize(Tensor images, int height, int width) =>
        nn.functional.interpolate(images, [height, width], mode: InterpolationMode.Bilinear, align_corners: false, antialias: true);

    /// <summary>The dataset with every image resized to <paramref name="size"/> x <paramref name="size"/> (bilinear).</summary>
    public static LabeledDataset Resize(LabeledDataset dataset, int size)
    {
        using var scope = NewDisposeScope();
        return dataset.WithImages(Resize(dataset.Images, size, size), dataset.Normalization);
    }

    /// <summary>The dataset with <paramref name="pad"/> black pixels added on every side of every image.</summary>
    public static LabeledDataset Pad(LabeledDataset dataset, int pad)
    {
        using var scope = NewDisposeScope();
        var images = dataset.Images;
        var (n, c, h, w) = (images.shape[0], images.shape[1], images.shape[2], images.shape[3]);
        var black = dataset.Normalization.Normalize(zeros(1, c, 1, 1, device: images.device));
        var padded = black.expand(n, c, h + 2 * pad, w + 2 * pad).contiguous();
        padded.narrow(2, pad, h).narrow(3, pad, w).copy_(images);
        return dataset.WithImages(padded, dataset.Normalization);
    }

    /// <summary>The same images expressed under another normalization: <c>((x * std + mean) - mean') / std'</c>.</summary>
    public static LabeledDataset Renormalize(LabeledDataset dataset, Normalization target)
    {
        if (target.Mean.Length != dataset.Shape.Channels)
            throw new ArgumentException($"normalization for {target.Mean.Length} channels, dataset '{dataset.Name}' has {dataset.Shape.Channels}");
        using var scope = NewDisposeScope();
        var c = dataset.Shape.Channels;
        var source = dataset.Normalization;
        var pixels = dataset.Images * tensor(source.Std, device: dataset.Device).view(1, c, 1, 1) + tensor(source.Mean, device: dataset.Device).view(1, c, 1, 1);
        return dataset.WithImages(target.Normalize(pixels), target);
    }

    /// <summary>
    /// Per-channel mean and (population) standard deviation of the pixel values in [0, 1], over all images and
    /// positions: the statistics the published normalization constants were computed with. A constant channel gets
    /// std 1 (no scaling) instead of 0.
    /// </summary>
    public static Normalization ComputeNormalization(LabeledDataset dataset)
    {
        using var scope = NewDisposeScope();
        // Statistics of the stored (normalized) values mapped back through x -> x * std + mean: no pixel-space copy.
        var (std, mean) = std_mean(dataset.Images, [0, 2, 3], unbiased: false);
        var source = dataset.Normalization;
        var pixelMean = mean.to_type(ScalarType.Float64).data<double>().ToArray();
        var pixelStd = std.to_type(ScalarType.Float64).data<double>().ToArray();
        return new Normalization(
            pixelMean.Select((m, ch) => (float)(m * source.Std[ch] + source.Mean[ch])).ToArray(),
            pixelStd.Select((s, ch) => s > 0 ? (float)(s * source.Std[ch]) : 1f).ToArray());
    }
}
