using Condensa.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Condensa.Models;

/// <summary>
/// The ResNet basic block (He et al., 2016) as DC's <c>networks.py</c> builds it:
/// <c>relu(norm2(conv2(relu(norm1(conv1(x))))) + shortcut(x))</c> with bias-free 3x3 convolutions, and a shortcut
/// <c>norm(conv1x1(x))</c> when the block changes the shape (identity otherwise). With <c>avgPoolDownsample</c> (DC's
/// <c>BasicBlock_AP</c>) a stride-2 block keeps its convolutions at stride 1 and downsamples with 2x2 average pooling
/// instead: after <c>relu(norm1(conv1(x)))</c>, and in the shortcut between the 1x1 convolution and its norm.
/// </summary>
internal sealed class BasicBlock : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> conv1;
    private readonly nn.Module<Tensor, Tensor> norm1;
    private readonly nn.Module<Tensor, Tensor> conv2;
    private readonly nn.Module<Tensor, Tensor> norm2;
    private readonly nn.Module<Tensor, Tensor>? shortcut;
    private readonly bool poolAfterConv1;

    public BasicBlock(ImageShape input, ImageShape output, int stride, NormKind norm, bool avgPoolDownsample) : base(nameof(BasicBlock))
    {
        var planes = output.Channels;
        var convStride = avgPoolDownsample ? 1 : stride;
        poolAfterConv1 = avgPoolDownsample && stride != 1;
        var shapeAfterConv1 = poolAfterConv1 ? input with { Channels = planes } : output;
        conv1 = nn.Conv2d(input.Channels, planes, 3, stride: convStride, padding: 1, bias: false);
        norm1 = Norm.Create(norm, shapeAfterConv1) ?? throw new ArgumentException("a ResNet block needs a normalization", nameof(norm));
        conv2 = nn.Conv2d(planes, planes, 3, stride: 1, padding: 1, bias: false);
        norm2 = Norm.Create(norm, output)!;
        if (stride != 1 || input.Channels != planes)
        {
            var projection = nn.Conv2d(input.Channels, planes, 1, stride: convStride, bias: false);
            shortcut = poolAfterConv1
                ? nn.Sequential(projection, nn.AvgPool2d(2, 2), Norm.Create(norm, output)!)
                : nn.Sequential(projection, Norm.Create(norm, output)!);
        }
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var h = norm1.call(conv1.call(x)).relu_();
        if (poolAfterConv1) h = nn.functional.avg_pool2d(h, 2, 2);
        h = norm2.call(conv2.call(h));
        return h.add_(shortcut is null ? x : shortcut.call(x)).relu_();
    }
}
