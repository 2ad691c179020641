using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Condensa.Models;

/// <summary>
/// <c>nn.Conv2d</c> for a network's input, whose few channels (1 or 3) make oneDNN's bfloat16 weight gradient with a
/// bias fall back to a scalar kernel, slower than float32 (measured in docs/results.md): the same function, the bias added
/// after the convolution where autograd records, so the convolution's backward pass never computes it, and inside the
/// convolution where it does not (evaluation, DM's real side), which saves a pass over the output. Parameters
/// <c>weight</c> and <c>bias</c> as <c>nn.Conv2d</c>'s, initialized the same way.
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

#pragma warning disable IDE1006, CA1051 // fields with PyTorch's parameter names: RegisterComponents names parameters after fields, so state dicts match nn.Conv2d's
    public readonly Parameter weight;
    public readonly Parameter bias;
#pragma warning restore IDE1006, CA1051

    /// <summary>Zero padding on every side.</summary>
    public long Padding => _padding;

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var y = is_grad_enabled()
            ? nn.functional.conv2d(x, weight, padding: [_padding, _padding]) + bias.view(1, -1, 1, 1)
            : nn.functional.conv2d(x, weight, bias, padding: [_padding, _padding]);
        return y.MoveToOuterDisposeScope();
    }
}

/// <summary>
/// 2x2 average pooling with stride 2 (output side <c>floor(side / 2)</c>), <c>nn.AvgPool2d(2, 2)</c>'s function in
/// formats whose fast kernels differ (timings in docs/results.md; libtorch's own pooling kernels for this layout are
/// scalar). float32: a depthwise 2x2 convolution with weights 1/4. bfloat16: the two rows of each window added
/// (<c>r = x[2i] + x[2i+1]</c>, rounded to bfloat16), then each pair of columns averaged by one matrix product with
/// <c>P[2j, j] = P[2j+1, j] = 1/4</c> (float32 accumulation, rounded again), with and without autograd; the gradient is
/// exactly 1/4 on every pooled pixel.
/// </summary>
internal sealed class AveragePool2x2() : nn.Module<Tensor, Tensor>("AveragePool2x2")
{
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        long n = x.shape[0], c = x.shape[1], h = x.shape[2] / 2, w = x.shape[3] / 2, width = x.shape[3];
        Tensor y;
        if (x.dtype == ScalarType.BFloat16)
        {
            var rows = x.contiguous().narrow(2, 0, 2 * h).view(n, c, h, 2, width);
            var summed = rows.select(3, 0) + rows.select(3, 1);
            // P: rows 2j and 2j+1 are e_j / 4; an odd width's last column meets a zero row
            var columns = nn.functional.pad(eye(w, dtype: x.dtype, device: x.device).repeat_interleave(2, dim: 0).mul_(0.25), [0, 0, 0, width - 2 * w]);
            y = summed.view(-1, width).matmul(columns).view(n, c, h, w);
        }
        else
        {
            var kernel = full([c, 1, 2, 2], 0.25f, dtype: x.dtype, device: x.device);
            y = nn.functional.conv2d(x, kernel, strides: [2, 2], groups: c);
        }
        return y.MoveToOuterDisposeScope();
    }
}
