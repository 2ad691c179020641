using Condensa.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Condensa.Training.Augmentation;

/// <summary>
/// Differentiable Siamese augmentation (Zhao and Bilen, ICML 2021, eq. 4.3; the reference's <c>DiffAugment</c> in
/// mode 'S'): each call draws one op group of the strategy uniformly and applies it, differentiably w.r.t. the images.
/// <list type="bullet">
/// <item>Siamese (condensation steps, A_omega): <see cref="DrawShared"/> once, then <see cref="AugmentDraw.Apply"/> the
/// same draw to the real and to the synthetic batch: same op, one parameter set for every image of both.</item>
/// <item>Non-Siamese (training a network, the reference's <c>seed = -1</c>): <see cref="Augment"/>, one op per batch
/// with per-image parameters.</item>
/// </list>
/// Departure from the reference: numbers come from the caller's <see cref="Generator"/> (same seed, same output)
/// instead of reseeding the global torch RNG with seed, seed + 1, ... before each draw; the distributions are the
/// same, the streams are not.
/// </summary>
public sealed class DiffAugment
{
    public DiffAugment(DsaStrategy strategy, DiffAugmentOptions? options = null)
    {
        Strategy = strategy;
        Options = options ?? new DiffAugmentOptions();
        Options.Validate();
    }

    public DsaStrategy Strategy { get; }
    public DiffAugmentOptions Options { get; }

    /// <summary>A Siamese draw: one op group and one parameter set, to apply to any number of batches of this shape.</summary>
    public AugmentDraw DrawShared(ImageShape shape, Generator generator) => Draw(1, shape, generator);

    /// <summary>A non-Siamese draw: one op group, and one parameter set per image of a batch of <paramref name="count"/>.</summary>
    public AugmentDraw DrawPerImage(long count, ImageShape shape, Generator generator) => Draw(count, shape, generator);

    /// <summary>Non-Siamese augmentation of one batch: one op drawn for the batch, its parameters drawn per image.</summary>
    public Tensor Augment(Tensor images, Generator generator)
    {
        if (images.dim() != 4)
            throw new ArgumentException($"DSA needs N x C x H x W images, got shape [{string.Join(", ", images.shape)}]");
        var shape = new ImageShape((int)images.shape[1], (int)images.shape[2], (int)images.shape[3]);
        using var draw = DrawPerImage(images.shape[0], shape, generator);
        return draw.Apply(images);
    }

    private AugmentDraw Draw(long count, ImageShape shape, Generator generator)
    {
        using var scope = NewDisposeScope();
        var pick = randint(0, Strategy.Ops.Count, [1], device: generator.device, generator: generator).item<long>();
        AugmentDraw draw = Strategy.Ops[(int)pick] switch
        {
            DsaOp.Color => ColorDraw.Sample(count, Options, generator),
            DsaOp.Crop => CropDraw.Sample(count, shape, Options, generator),
            DsaOp.Cutout => CutoutDraw.Sample(count, shape, Options, generator),
            DsaOp.Flip => FlipDraw.Sample(count, Options, generator),
            DsaOp.Scale => ScaleDraw.Sample(count, Options, generator),
            DsaOp.Rotate => RotateDraw.Sample(count, Options, generator),
            var op => throw new ArgumentOutOfRangeException(nameof(Strategy), op, "unknown DSA op"),
        };
        draw.MoveToOuterDisposeScope();
        return draw;
    }
}
