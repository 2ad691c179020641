using Condensa.Data;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn.functional;

namespace Condensa.Training.Augmentation;

/// <summary>
/// One draw of a DSA op group's parameters, as tensors of <see cref="Count"/> rows: one row (Siamese: the same
/// transform for every image of every batch it is applied to, the reference's <c>theta[:] = theta[0]</c>) or one row
/// per image (non-Siamese). <see cref="Apply"/> is differentiable w.r.t. the images. The draw owns its tensors.
/// </summary>
public abstract record AugmentDraw : IDisposable
{
    public abstract DsaOp Op { get; }

    /// <summary>Parameter rows: 1 for a shared draw, else the size of the batch it was drawn for.</summary>
    public long Count => Parameters.First().shape[0];

    protected abstract IEnumerable<Tensor> Parameters { get; }

    /// <summary>Applies the op to N x C x H x W images (N any size for a shared draw, else N = <see cref="Count"/>).</summary>
    public Tensor Apply(Tensor images)
    {
        if (images.dim() != 4)
            throw new ArgumentException($"DSA needs N x C x H x W images, got shape [{string.Join(", ", images.shape)}]");
        if (Count != 1 && Count != images.shape[0])
            throw new ArgumentException($"a draw of {Count} parameter sets cannot be applied to {images.shape[0]} images: draw one shared set or one per image");
        using var scope = NewDisposeScope();
        return Transform(images).MoveToOuterDisposeScope();
    }

    /// <summary>The op itself; every tensor it creates is disposed by <see cref="Apply"/>'s scope except the result.</summary>
    protected abstract Tensor Transform(Tensor images);

    /// <summary>A per-image parameter, shaped to broadcast over N x C x H x W images on their device.</summary>
    protected static Tensor PerImage(Tensor parameter, Tensor images) => parameter.to(images.device).view(-1, 1, 1, 1);

    internal static Tensor Uniform(long count, Generator generator) => rand([count], device: generator.device, generator: generator);

    internal void MoveToOuterDisposeScope()
    {
        foreach (var p in Parameters) p.MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        foreach (var p in Parameters) p.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>
/// <c>color</c>: brightness <c>x + b</c>, then saturation <c>(x - mean_C) s + mean_C</c>, then contrast
/// <c>(x - mean_CHW) c + mean_CHW</c> (reference <c>rand_brightness</c>, <c>rand_saturation</c>, <c>rand_contrast</c>).
/// Saturation is skipped on one-channel images, where it is exactly the identity.
/// </summary>
/// <param name="Brightness">Offset b = (u - 0.5) * <see cref="DiffAugmentOptions.Brightness"/>.</param>
/// <param name="Saturation">Factor s = u * <see cref="DiffAugmentOptions.Saturation"/>.</param>
/// <param name="Contrast">Factor c = u + <see cref="DiffAugmentOptions.Contrast"/>.</param>
public sealed record ColorDraw(Tensor Brightness, Tensor Saturation, Tensor Contrast) : AugmentDraw
{
    public override DsaOp Op => DsaOp.Color;

    protected override IEnumerable<Tensor> Parameters => [Brightness, Saturation, Contrast];

    protected override Tensor Transform(Tensor images)
    {
        var x = images + PerImage(Brightness, images);
        if (x.shape[1] > 1)
        {
            var channelMean = x.mean([1], keepdim: true);
            x = (x - channelMean) * PerImage(Saturation, images) + channelMean;
        }
        var imageMean = x.mean([1, 2, 3], keepdim: true);
        return (x - imageMean) * PerImage(Contrast, images) + imageMean;
    }

    internal static ColorDraw Sample(long count, DiffAugmentOptions options, Generator generator) =>
        new((Uniform(count, generator) - 0.5) * options.Brightness,
            Uniform(count, generator) * options.Saturation,
            Uniform(count, generator) + options.Contrast);
}

/// <summary>
/// <c>crop</c> (reference <c>rand_crop</c>): an integer translation with zero fill, <c>out[y, x] = in[y - dy, x - dx]</c>
/// or 0 where that falls outside. Done as one gather from a copy zero-padded by one pixel with clamped indices, as the
/// reference. The content moves by (+dx, +dy); the reference names the opposite sign, which has the same distribution.
/// </summary>
/// <param name="ShiftX">Columns to move right, int64, ~ randint[-s, s] with s = int(W * ratio_crop_pad + 0.5).</param>
/// <param name="ShiftY">Rows to move down, int64, ~ randint[-s, s] with s = int(H * ratio_crop_pad + 0.5).</param>
public sealed record CropDraw(Tensor ShiftX, Tensor ShiftY) : AugmentDraw
{
    public override DsaOp Op => DsaOp.Crop;

    protected override IEnumerable<Tensor> Parameters => [ShiftX, ShiftY];

    protected override Tensor Transform(Tensor images)
    {
        long n = images.shape[0], c = images.shape[1], h = images.shape[2], w = images.shape[3];
        var device = images.device;
        // Source pixel (y - dy, x - dx) sits at (y - dy + 1, x - dx + 1) in the padded copy; clamping sends every
        // outside source onto the zero border.
        var rows = (arange(h, device: device).view(1, h, 1) - ShiftY.to(device).view(-1, 1, 1) + 1).clamp(0, h + 1);
        var cols = (arange(w, device: device).view(1, 1, w) - ShiftX.to(device).view(-1, 1, 1) + 1).clamp(0, w + 1);
        var index = (rows * (w + 2) + cols).view(-1, 1, h * w).expand(n, c, h * w);
        var padded = pad(images, [1, 1, 1, 1]).view(n, c, (h + 2) * (w + 2));
        return padded.gather(2, index).view(n, c, h, w);
    }

    internal static CropDraw Sample(long count, ImageShape shape, DiffAugmentOptions options, Generator generator)
    {
        long sx = (long)(shape.Width * options.RatioCropPad + 0.5), sy = (long)(shape.Height * options.RatioCropPad + 0.5);
        return new(randint(-sx, sx + 1, [count], device: generator.device, generator: generator),
            randint(-sy, sy + 1, [count], device: generator.device, generator: generator));
    }
}

/// <summary>
/// <c>cutout</c> (reference <c>rand_cutout</c>): multiplies by a mask that is zero on a <see cref="Height"/> x
/// <see cref="Width"/> square with top-left corner (cy - Height / 2, cx - Width / 2), clipped to the image.
/// </summary>
/// <param name="CentreX">Column of the square's centre, int64, ~ randint[0, W + 1 - Width % 2).</param>
/// <param name="CentreY">Row of the square's centre, int64, ~ randint[0, H + 1 - Height % 2).</param>
/// <param name="Width">Side in columns: int(W * ratio_cutout + 0.5).</param>
/// <param name="Height">Side in rows: int(H * ratio_cutout + 0.5).</param>
public sealed record CutoutDraw(Tensor CentreX, Tensor CentreY, long Width, long Height) : AugmentDraw
{
    public override DsaOp Op => DsaOp.Cutout;

    protected override IEnumerable<Tensor> Parameters => [CentreX, CentreY];

    protected override Tensor Transform(Tensor images)
    {
        var device = images.device;
        var top = CentreY.to(device).view(-1, 1) - Height / 2;
        var left = CentreX.to(device).view(-1, 1) - Width / 2;
        var rows = arange(images.shape[2], device: device).view(1, -1);
        var cols = arange(images.shape[3], device: device).view(1, -1);
        var inRows = (rows >= top).logical_and(rows < top + Height);
        var inCols = (cols >= left).logical_and(cols < left + Width);
        var keep = inRows.unsqueeze(2).logical_and(inCols.unsqueeze(1)).logical_not();
        return images * keep.unsqueeze(1).to(images.dtype);
    }

    internal static CutoutDraw Sample(long count, ImageShape shape, DiffAugmentOptions options, Generator generator)
    {
        long w = (long)(shape.Width * options.RatioCutout + 0.5), h = (long)(shape.Height * options.RatioCutout + 0.5);
        return new(randint(0, shape.Width + 1 - w % 2, [count], device: generator.device, generator: generator),
            randint(0, shape.Height + 1 - h % 2, [count], device: generator.device, generator: generator), w, h);
    }
}

/// <summary><c>flip</c> (reference <c>rand_flip</c>): <c>where(flipped, x.flip(3), x)</c>, a horizontal flip.</summary>
/// <param name="Flipped">Boolean, u &lt; <see cref="DiffAugmentOptions.ProbFlip"/>.</param>
public sealed record FlipDraw(Tensor Flipped) : AugmentDraw
{
    public override DsaOp Op => DsaOp.Flip;

    protected override IEnumerable<Tensor> Parameters => [Flipped];

    protected override Tensor Transform(Tensor images) => where(PerImage(Flipped, images), images.flip(3), images);

    internal static FlipDraw Sample(long count, DiffAugmentOptions options, Generator generator) =>
        new(Uniform(count, generator) < options.ProbFlip);
}

/// <summary>
/// <c>scale</c> and <c>rotate</c>: resampling through an affine map theta (2 x 3, output to input coordinates in
/// [-1, 1]) with <c>affine_grid</c> + <c>grid_sample</c>, bilinear, zero padding, <c>align_corners = false</c>.
/// The reference passes no align_corners, so its behaviour depends on the torch version (True up to 1.2, False from
/// 1.3); false is explicit here. A shared draw builds one grid and expands it over the batch.
/// </summary>
public abstract record AffineDraw : AugmentDraw
{
    /// <summary>Count x 2 x 3.</summary>
    protected abstract Tensor Theta();

    protected override Tensor Transform(Tensor images)
    {
        var theta = Theta().to(images.device).to_type(images.dtype);
        var grid = affine_grid(theta, [theta.shape[0], images.shape[1], images.shape[2], images.shape[3]], align_corners: false);
        if (theta.shape[0] != images.shape[0]) grid = grid.expand(images.shape[0], -1, -1, -1);
        return grid_sample(images, grid, GridSampleMode.Bilinear, GridSamplePaddingMode.Zeros, align_corners: false);
    }
}

/// <summary><c>scale</c> (reference <c>rand_scale</c>): theta = [[sx, 0, 0], [0, sy, 0]].</summary>
/// <param name="ScaleX">sx ~ U[1/r, r) with r = <see cref="DiffAugmentOptions.RatioScale"/>.</param>
/// <param name="ScaleY">sy, drawn independently of sx.</param>
public sealed record ScaleDraw(Tensor ScaleX, Tensor ScaleY) : AffineDraw
{
    public override DsaOp Op => DsaOp.Scale;

    protected override IEnumerable<Tensor> Parameters => [ScaleX, ScaleY];

    protected override Tensor Theta()
    {
        var zero = zeros_like(ScaleX);
        return stack([ScaleX, zero, zero, zero, ScaleY, zero], 1).view(-1, 2, 3);
    }

    internal static ScaleDraw Sample(long count, DiffAugmentOptions options, Generator generator)
    {
        double r = options.RatioScale;
        return new(Uniform(count, generator) * (r - 1 / r) + 1 / r, Uniform(count, generator) * (r - 1 / r) + 1 / r);
    }
}

/// <summary><c>rotate</c> (reference <c>rand_rotate</c>): theta = [[cos a, -sin a, 0], [sin a, cos a, 0]].</summary>
/// <param name="Angle">a in radians, ~ U[-r, r) degrees with r = <see cref="DiffAugmentOptions.RatioRotate"/>.</param>
public sealed record RotateDraw(Tensor Angle) : AffineDraw
{
    public override DsaOp Op => DsaOp.Rotate;

    protected override IEnumerable<Tensor> Parameters => [Angle];

    protected override Tensor Theta()
    {
        var (cos, sin, zero) = (Angle.cos(), Angle.sin(), zeros_like(Angle));
        return stack([cos, -sin, zero, sin, cos, zero], 1).view(-1, 2, 3);
    }

    internal static RotateDraw Sample(long count, DiffAugmentOptions options, Generator generator) =>
        new((Uniform(count, generator) - 0.5) * (2 * options.RatioRotate * Math.PI / 180));
}
