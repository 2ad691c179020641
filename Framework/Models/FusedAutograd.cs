using TorchSharp;
using static TorchSharp.torch;

namespace Condensa.Models;

/// <summary>What the autograd functions of the fused blocks (<see cref="InputBlock"/>, <see cref="NormReluPool"/>) share.</summary>
internal static class FusedAutograd
{
    /// <summary>A contiguous float32 copy of <paramref name="t"/>'s values, outside autograd: how the kernels read parameters.</summary>
    public static Tensor Float32(Tensor t) => t.detach().to(ScalarType.Float32).contiguous();

    /// <summary>
    /// Whether <paramref name="t"/> (N x C x H x W) stores its values as N x H x W x C, libtorch's channels-last format:
    /// the layout oneDNN's convolutions read and write without reordering it into their blocked one. Element (n, c, h, w)
    /// is at ((n H + h) W + w) C + c; the stride of a dimension of size 1 does not matter.
    /// </summary>
    public static bool IsChannelsLast(Tensor t)
    {
        if (t.dim() != 4) return false;
        var (n, c, h, w) = (t.shape[0], t.shape[1], t.shape[2], t.shape[3]);
        return (c == 1 || t.stride(1) == 1) && (w == 1 || t.stride(3) == c) && (h == 1 || t.stride(2) == w * c) && (n == 1 || t.stride(0) == h * w * c);
    }

    /// <summary><paramref name="t"/> (N x C x H x W) in the channels-last format: itself if stored so, else a copy.</summary>
    public static Tensor ChannelsLast(Tensor t) => IsChannelsLast(t) ? t : t.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);

    /// <summary>An uninitialized N x C x H x W tensor in the channels-last format.</summary>
    public static Tensor EmptyChannelsLast(long n, long c, long h, long w, ScalarType dtype) => empty([n, h, w, c], dtype: dtype).permute(0, 3, 1, 2);

    /// <summary>Per-map statistics (N x C), float32 whatever torch's default format.</summary>
    public static Tensor Statistics(int n, int c) => empty(n, c, dtype: ScalarType.Float32);

    /// <summary>The output of a pass without autograd: what backward would have read is released at once.</summary>
    public static Tensor Alone(Tensor y, params Tensor[] saved)
    {
        foreach (var t in saved) t.Dispose();
        return y;
    }

    /// <summary>
    /// The gradients of <paramref name="recomputed"/> (the layers run again one by one under autograd) with respect to
    /// each of <paramref name="inputs"/> for <paramref name="gradOutput"/>, carrying their own graph: what a fused
    /// function's backward returns when autograd records the backward pass (a second derivative, <c>create_graph</c>).
    /// Null for an input that needs no gradient.
    /// </summary>
    public static Tensor[] Recomputed(Tensor recomputed, Tensor[] inputs, Tensor gradOutput)
    {
        var grads = autograd.grad([recomputed], inputs.Where(t => t.requires_grad).ToArray(), [gradOutput], retain_graph: true, create_graph: true);
        var next = 0;
        return inputs.Select(t => t.requires_grad ? grads[next++] : null!).ToArray();
    }
}
