using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Condensa.Models;

/// <summary>
/// <c>nn.Conv2d</c> for a network's input, whose few channels (1 or 3) make oneDNN's bfloat16 weight gradient with a
/// bias fall back to a scalar kernel, slower than float32 (measured in docs/results.md): the same function, the bias added
/// after the convolution, so the convolution's backward pass never computes it. Parameters <c>weight</c> and
/// <c>bias</c> as <c>nn.Conv2d</c>'s, initialized the same way.
/// </summary>
internal sealed class InputConv2d : nn.Module<Tensor, Tensor>
{
    private readonly long _padding;

    public InputConv2d(long inChannels, long outChannels, long kernel, long padding) : base("InputConv2d")
    {
        _padding = padding;
        weight = new Parameter(empty(outChannels, inChannels, kernel, kernel));
        bias = new Parameter(empty(outChannels));
        RegisterComponents();
    }

#pragma warning disable IDE1006 // PyTorch's parameter names, so state dicts match nn.Conv2d's
    public Parameter weight { get; }
    public Parameter bias { get; }
#pragma warning restore IDE1006

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var y = nn.functional.conv2d(x, weight, padding: [_padding, _padding]) + bias.view(1, -1, 1, 1);
        return y.MoveToOuterDisposeScope();
    }
}

/// <summary>
/// 2x2 average pooling with stride 2, computed as a depthwise 2x2 convolution with weights 1/4: the same function as
/// <c>nn.AvgPool2d(2, 2)</c> up to rounding, and faster in float32 and in bfloat16, whose own pooling kernels for this
/// layout are scalar. Where autograd records the pass, a bfloat16 input is pooled in float32 and cast back (the bfloat16
/// depthwise convolution's backward pass is slow); without autograd (evaluation, DM's real side) it is pooled in
/// bfloat16 directly, which oneDNN accumulates in float32 too (timings in docs/results.md).
/// </summary>
internal sealed class AveragePool2x2() : nn.Module<Tensor, Tensor>("AveragePool2x2")
{
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var format = x.dtype == ScalarType.BFloat16 && x.requires_grad ? ScalarType.Float32 : x.dtype;
        var kernel = full([x.shape[1], 1, 2, 2], 0.25f, dtype: format, device: x.device);
        var y = nn.functional.conv2d(x.to(format), kernel, strides: [2, 2], groups: x.shape[1]).to(x.dtype);
        return y.MoveToOuterDisposeScope();
    }
}
