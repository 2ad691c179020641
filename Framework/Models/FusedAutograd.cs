using TorchSharp;
using static TorchSharp.torch;

namespace Condensa.Models;

/// <summary>What the autograd functions of the fused blocks (<see cref="InputBlock"/>, <see cref="NormReluPool"/>) share.</summary>
internal static class FusedAutograd
{
    /// <summary>A contiguous float32 copy of <paramref name="t"/>'s values, outside autograd: how the kernels read parameters.</summary>
    public static Tensor Float32(Tensor t) => t.detach().to(ScalarType.Float32).contiguous();

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
