using TorchSharp;
using TorchSharp.Modules;
using static Condensa.Models.FusedAutograd;
using static TorchSharp.torch;

namespace Condensa.Models;

/// <summary>
/// A ConvNet's first four layers, <see cref="InputConv2d"/> 3x3 -> instance norm (<c>GroupNorm(C, C)</c>, affine) -> ReLU
/// -> <see cref="AveragePool2x2"/>, run as one <see cref="InputBlockKernel"/> pass where it applies: on CPUs with 512-bit
/// vectors, for float32 or bfloat16 images that need no gradient (every training and evaluation pass, the real side of
/// DM, DC and DSA) and sizes the kernel takes (<see cref="InputBlockKernel.Shape.Fits"/>: an even-sided convolution
/// output and whole groups of 16 channels). Synthetic images, whose gradient flows back to the pixels, take the layers
/// one by one; a second derivative through the block (<c>create_graph</c>) recomputes them. Same parameters and function; the block
/// computes in float32 inside, and its output is stored channels-last, as the next block's convolution takes it.
/// </summary>
internal sealed class InputBlock
{
    /// <summary>How many layers of the feature stack the block replaces.</summary>
    public const int Layers = 4;

    private readonly InputConv2d _conv;
    private readonly GroupNorm _norm;
    private readonly AveragePool2x2 _pool;

    private InputBlock(InputConv2d conv, GroupNorm norm, AveragePool2x2 pool) => (_conv, _norm, _pool) = (conv, norm, pool);

    /// <summary>
    /// The block for <paramref name="features"/> if it starts with the four layers, whatever the CPU: without 512-bit
    /// vectors in hardware .NET computes the kernel's vectors in software, the same values, slower (tests use that;
    /// <see cref="SequentialClassifier"/> asks only where <see cref="Runtime.CondensaKernels.FusedKernels"/>).
    /// </summary>
    internal static InputBlock? Of(Sequential features)
    {
        if (features.Count < Layers) return null;
        return features[0] is InputConv2d conv && conv.weight.shape[2] == 3 && conv.weight.shape[3] == 3
            && features[1] is GroupNorm norm && norm.affine && norm.num_groups == conv.weight.shape[0]
            && features[2] is ReLU && features[3] is AveragePool2x2 pool
            ? new InputBlock(conv, norm, pool)
            : null;
    }

    /// <summary>The block's output for <paramref name="x"/> (N x Cin x H x W), or null when the layers must run one by one.</summary>
    public Tensor? TryForward(Tensor x)
    {
        var w = _conv.weight;
        long padding = _conv.Padding, hp = x.shape[2] + 2 * padding, wp = x.shape[3] + 2 * padding;
        if (x.requires_grad || x.dim() != 4 || x.device_type != DeviceType.CPU || w.device_type != DeviceType.CPU
            || x.dtype != w.dtype || x.dtype is not (ScalarType.Float32 or ScalarType.BFloat16) || x.shape[1] != w.shape[1]
            || x.shape[0] == 0 || !InputBlockKernel.Shape.Fits(w.shape[0], hp, wp))
            return null;
        var shape = new InputBlockKernel.Shape((int)x.shape[0], (int)x.shape[1], (int)hp, (int)wp, (int)w.shape[0], x.dtype == ScalarType.BFloat16);
        Tensor[] parameters = [w, _conv.bias, _norm.weight, _norm.bias!];
        if (is_grad_enabled() && parameters.Any(p => p.requires_grad))
            return Function.apply(x, parameters[0], parameters[1], parameters[2], parameters[3], this, shape);
        var (y, input, mean, rstd) = Forward(shape, x, parameters);
        return Alone(y, input, mean, rstd);
    }

    private (Tensor Y, Tensor Input, Tensor Mean, Tensor Rstd) Forward(InputBlockKernel.Shape s, Tensor x, Tensor[] parameters)
    {
        var p = _conv.Padding;
        var input = nn.functional.pad(x, [p, p, p, p]).to(ScalarType.Float32).contiguous();
        var f = parameters.Select(Float32).ToArray();
        var y = EmptyChannelsLast(s.N, s.C, s.Maps.Hq, s.Maps.Wq, x.dtype);
        var (mean, rstd) = (Statistics(s.N, s.C), Statistics(s.N, s.C));
        InputBlockKernel.Forward(s, input, InputBlockKernel.TapMajor(f[0]), f[1], f[2], f[3], (float)_norm.eps, y, mean, rstd);
        return (y, input, mean, rstd);
    }

    /// <summary>
    /// The four layers' function one by one in libtorch, on the parameters <paramref name="p"/> (weight, bias, γ, β),
    /// the bias added after the convolution as <see cref="InputConv2d"/> does under autograd.
    /// </summary>
    private Tensor LayerByLayer(Tensor x, Tensor[] p)
    {
        var z = nn.functional.conv2d(x, p[0], padding: [_conv.Padding, _conv.Padding]) + p[1].view(1, -1, 1, 1);
        return _pool.call(nn.functional.relu(nn.functional.group_norm(z, p[0].shape[0], p[2], p[3], _norm.eps)));
    }

    /// <summary>
    /// The block under autograd: forward saves the images, the padded float32 input and each map's μ and σ⁻¹; backward returns
    /// the four parameters' gradients from the kernel, or, when autograd records the backward pass itself (a second
    /// derivative, <c>create_graph</c>), from the layers one by one, recomputed, so the gradients carry their graph.
    /// </summary>
    private sealed class Function : autograd.SingleTensorFunction<Function>
    {
        private const string ShapeKey = "shape", BlockKey = "block";

        public override string Name => nameof(InputBlock);

        public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
        {
            var x = (Tensor)vars[0];
            Tensor[] parameters = [(Tensor)vars[1], (Tensor)vars[2], (Tensor)vars[3], (Tensor)vars[4]];
            var (block, shape) = ((InputBlock)vars[5], (InputBlockKernel.Shape)vars[6]);
            var (y, input, mean, rstd) = block.Forward(shape, x, parameters);
            ctx.save_for_backward([x, input, mean, rstd, .. parameters]);
            ctx.save_data(ShapeKey, shape);
            ctx.save_data(BlockKey, block);
            return y;
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradY)
        {
            var saved = ctx.get_saved_variables();
            var (x, input, mean, rstd, parameters) = (saved[0], saved[1], saved[2], saved[3], saved.Skip(4).ToArray());
            if (is_grad_enabled())
                return [null!, .. Recomputed(((InputBlock)ctx.get_data(BlockKey)).LayerByLayer(x, parameters), parameters, gradY), null!, null!];
            var shape = (InputBlockKernel.Shape)ctx.get_data(ShapeKey);
            var f = parameters.Select(Float32).ToArray();
            var grads = f.Select(t => empty_like(t)).ToArray();
            InputBlockKernel.Backward(shape, input, InputBlockKernel.TapMajor(f[0]), f[1], f[2], f[3], mean, rstd,
                ChannelsLast(gradY.to(shape.BFloat16 ? ScalarType.BFloat16 : ScalarType.Float32)), grads[0], grads[1], grads[2], grads[3]);
            return [null!, .. grads.Zip(parameters, (g, p) => g.to(p.dtype)), null!, null!];
        }
    }
}
