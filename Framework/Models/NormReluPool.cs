using TorchSharp;
using TorchSharp.Modules;
using static Condensa.Models.FusedAutograd;
using static TorchSharp.torch;

namespace Condensa.Models;

/// <summary>
/// Instance norm (<c>GroupNorm(C, C)</c>, affine) -> ReLU -> <see cref="AveragePool2x2"/>, the three layers after a
/// ConvNet block's convolution, run as one <see cref="NormReluPoolKernel"/> pass where it applies: on CPUs with 512-bit
/// vectors, for float32 or bfloat16 maps in the parameters' format whose sizes the kernel takes
/// (<see cref="NormReluPoolKernel.Shape.Fits"/>). The input's gradient comes from the kernel as well, so the block's
/// convolution trains through it; a second derivative through the layers (<c>create_graph</c>) recomputes them one by
/// one. Same parameters and function; the kernel computes in float32 inside. The output and the input's gradient are
/// stored channels-last, which the convolutions before and after take without a reorder; an input stored otherwise is
/// copied to that format first.
/// </summary>
internal sealed class NormReluPool
{
    /// <summary>How many layers of the feature stack the kernel replaces.</summary>
    public const int Layers = 3;

    private readonly GroupNorm _norm;
    private readonly AveragePool2x2 _pool;

    private NormReluPool(GroupNorm norm, AveragePool2x2 pool) => (_norm, _pool) = (norm, pool);

    /// <summary>
    /// The three layers of <paramref name="features"/> from index <paramref name="at"/> if they are instance norm, ReLU
    /// and 2x2 average pooling, else null, whatever the CPU (as <see cref="InputBlock.Of"/>).
    /// </summary>
    internal static NormReluPool? Of(Sequential features, int at)
    {
        if (at + Layers > features.Count) return null;
        return features[at] is GroupNorm norm && norm.affine && norm.num_groups == norm.weight!.shape[0]
            && features[at + 1] is ReLU && features[at + 2] is AveragePool2x2 pool
            ? new NormReluPool(norm, pool)
            : null;
    }

    /// <summary>The pooled output for <paramref name="z"/> (N x C x H x W), or null when the layers must run one by one.</summary>
    public Tensor? TryForward(Tensor z)
    {
        var gamma = _norm.weight!;
        if (z.dim() != 4 || z.device_type != DeviceType.CPU || gamma.device_type != DeviceType.CPU || z.dtype != gamma.dtype
            || z.dtype is not (ScalarType.Float32 or ScalarType.BFloat16) || z.shape[1] != gamma.shape[0] || z.shape[0] == 0
            || !NormReluPoolKernel.Shape.Fits(z.shape[1], z.shape[2], z.shape[3]))
            return null;
        var shape = new NormReluPoolKernel.Shape((int)z.shape[0], (int)z.shape[1], (int)z.shape[2], (int)z.shape[3], z.dtype == ScalarType.BFloat16);
        if (is_grad_enabled() && (z.requires_grad || gamma.requires_grad || _norm.bias!.requires_grad))
            return Function.apply(z, gamma, _norm.bias!, this, shape);
        var (y, saved, mean, rstd) = Forward(shape, z, gamma, _norm.bias!);
        return Alone(y, saved, mean, rstd);
    }

    /// <summary>The output, the channels-last input backward reads, and each map's μ and σ⁻¹.</summary>
    private (Tensor Y, Tensor Z, Tensor Mean, Tensor Rstd) Forward(NormReluPoolKernel.Shape s, Tensor z, Tensor gamma, Tensor beta)
    {
        var input = ChannelsLast(z.detach());
        var y = EmptyChannelsLast(s.N, s.C, s.Maps.Hq, s.Maps.Wq, z.dtype);
        var (mean, rstd) = (Statistics(s.N, s.C), Statistics(s.N, s.C));
        using (var g = Float32(gamma))
        using (var b = Float32(beta))
            NormReluPoolKernel.Forward(s, input, g, b, (float)_norm.eps, y, mean, rstd);
        return (y, input, mean, rstd);
    }

    /// <summary>
    /// The three layers' function one by one in libtorch, on <paramref name="gamma"/> and <paramref name="beta"/>, over
    /// z stored row-major (the layout libtorch's layers are written for).
    /// </summary>
    private Tensor LayerByLayer(Tensor z, Tensor gamma, Tensor beta) =>
        _pool.call(nn.functional.relu(nn.functional.group_norm(z.contiguous(), gamma.shape[0], gamma, beta, _norm.eps)));

    /// <summary>
    /// The layers under autograd: forward saves the input, its channels-last copy and each map's μ and σ⁻¹; backward
    /// returns the gradients of the input, γ and β from the kernel, or, when autograd records the backward pass itself
    /// (a second derivative, <c>create_graph</c>), from the layers one by one, recomputed, so the gradients carry their graph.
    /// </summary>
    private sealed class Function : autograd.SingleTensorFunction<Function>
    {
        private const string ShapeKey = "shape", LayersKey = "layers";

        public override string Name => nameof(NormReluPool);

        public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
        {
            var (z, gamma, beta) = ((Tensor)vars[0], (Tensor)vars[1], (Tensor)vars[2]);
            var (layers, shape) = ((NormReluPool)vars[3], (NormReluPoolKernel.Shape)vars[4]);
            var (y, input, mean, rstd) = layers.Forward(shape, z, gamma, beta);
            ctx.save_for_backward([z, gamma, beta, input, mean, rstd]);
            ctx.save_data(ShapeKey, shape);
            ctx.save_data(LayersKey, layers);
            return y;
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradY)
        {
            var saved = ctx.get_saved_variables();
            var (z, gamma, beta, input, mean, rstd) = (saved[0], saved[1], saved[2], saved[3], saved[4], saved[5]);
            if (is_grad_enabled())
                return [.. Recomputed(((NormReluPool)ctx.get_data(LayersKey)).LayerByLayer(z, gamma, beta), [z, gamma, beta], gradY), null!, null!];
            var shape = (NormReluPoolKernel.Shape)ctx.get_data(ShapeKey);
            var (g, b) = (Float32(gamma), Float32(beta));
            var (gradZ, gradGamma, gradBeta) = (EmptyChannelsLast(shape.N, shape.C, shape.H, shape.W, input.dtype), empty_like(g), empty_like(b));
            NormReluPoolKernel.Backward(shape, input, g, b, mean, rstd, ChannelsLast(gradY.to(input.dtype)), gradZ, gradGamma, gradBeta);
            return [gradZ, gradGamma.to(gamma.dtype), gradBeta.to(beta.dtype), null!, null!];
        }
    }
}
