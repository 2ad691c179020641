using Condensa.Data;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Condensa.Models;

/// <summary>
/// The one place where Condensa builds normalization layers. Use it instead of <c>nn.GroupNorm</c>: TorchSharp 0.107's
/// GroupNorm leaves its affine weight and bias uninitialized (PyTorch sets them to ones and zeros), and DC's default
/// "instance norm" is a GroupNorm.
/// </summary>
public static class Norm
{
    /// <summary>
    /// The normalization DC's <c>_get_normlayer</c> builds for a feature map of <paramref name="shape"/> (the shape after the
    /// convolution, before any pooling), or null for <see cref="NormKind.None"/>.
    /// </summary>
    public static nn.Module<Tensor, Tensor>? Create(NormKind kind, ImageShape shape) => kind switch
    {
        NormKind.None => null,
        NormKind.BatchNorm => nn.BatchNorm2d(shape.Channels),
        NormKind.LayerNorm => nn.LayerNorm([shape.Channels, shape.Height, shape.Width]),
        NormKind.InstanceNorm => Group(shape.Channels, shape.Channels),
        NormKind.GroupNorm => Group(4, shape.Channels),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown normalization"),
    };

    /// <summary><c>GroupNorm(groups, channels)</c> with affine weight 1 and bias 0, eps 1e-5 (PyTorch's defaults).</summary>
    public static GroupNorm Group(int groups, int channels)
    {
        if (groups < 1 || channels % groups != 0)
            throw new ArgumentException($"GroupNorm needs a channel count divisible by the group count; got {channels} channels, {groups} groups");
        var norm = nn.GroupNorm(groups, channels, eps: 1e-5, affine: true);
        using (no_grad())
        {
            norm.weight.fill_(1);
            norm.bias!.zero_();
        }
        return norm;
    }
}
