using Condensa.Data;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Condensa.Models;

/// <summary>
/// Describes a feature extractor layer by layer while tracking the C x H x W shape of its output, so every size that
/// depends on the input (LayerNorm shapes, the embedding size) comes from the actual input shape. Layers are recorded
/// as constructors and only created by <see cref="Build"/>: describing a network is pure shape arithmetic, which lets
/// the factory report the smallest input a network takes without building anything.
/// </summary>
internal sealed class FeatureStack(ImageShape input)
{
    private readonly List<Func<nn.Module<Tensor, Tensor>>> _layers = [];
    private bool _flat;

    public ImageShape Input { get; } = input;

    /// <summary>Shape of the output so far (C x 1 x 1 after a fully connected layer).</summary>
    public ImageShape Shape { get; private set; } = input;

    /// <summary>Why the input is too small (the first layer that shrank the feature map below 1x1), or null.</summary>
    public string? Problem { get; private set; }

    /// <summary>Size of the flattened output: the embedding size.</summary>
    public int FlatSize => Shape.Channels * Shape.Height * Shape.Width;

    /// <summary>
    /// Floating-point operations of one image's forward pass through the convolutions and linear layers described so
    /// far, two per multiply-add (norms, activations and pooling, a few per element, are left out).
    /// </summary>
    public double ForwardFlops { get; private set; }

    /// <summary>The part of <see cref="ForwardFlops"/> in the first layer, whose input needs no gradient in training.</summary>
    public double FirstLayerFlops { get; private set; }

    private void Count(double flops)
    {
        if (_layers.Count == 0) FirstLayerFlops = flops;
        ForwardFlops += flops;
    }

    /// <summary>Conv2d with a square kernel; output side <c>floor((side + 2 padding - kernel) / stride) + 1</c>.</summary>
    public void Conv2d(int outChannels, int kernel, int padding, int stride = 1, bool bias = true)
    {
        var inChannels = Shape.Channels;
        Resize(outChannels, Slide(Shape.Height, kernel, padding, stride), Slide(Shape.Width, kernel, padding, stride), $"conv {kernel}x{kernel}");
        Count(2.0 * inChannels * kernel * kernel * outChannels * Shape.Height * Shape.Width);
        _layers.Add(_layers.Count == 0 && inChannels <= 3 && stride == 1 && bias && Runtime.CondensaKernels.Enabled
            ? () => new InputConv2d(inChannels, outChannels, kernel, padding)
            : () => nn.Conv2d(inChannels, outChannels, kernel, stride: stride, padding: padding, bias: bias));
    }

    /// <summary>The normalization of <see cref="Models.Norm.Create"/> for the current shape (nothing for none).</summary>
    public void Norm(NormKind kind)
    {
        var shape = Shape;
        if (kind != NormKind.None) _layers.Add(() => Models.Norm.Create(kind, shape)!);
    }

    /// <summary>DC's activations: Sigmoid, ReLU (in place, as DC), LeakyReLU(0.01).</summary>
    public void Act(ActivationKind kind) => _layers.Add(kind switch
    {
        ActivationKind.Sigmoid => () => nn.Sigmoid(),
        ActivationKind.ReLU => () => nn.ReLU(inplace: true),
        ActivationKind.LeakyReLU => () => nn.LeakyReLU(0.01),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown activation"),
    });

    /// <summary>2x2 pooling with stride 2 (output side <c>floor(side / 2)</c>), or nothing for none.</summary>
    public void Pool(PoolingKind kind)
    {
        if (kind == PoolingKind.None) return;
        Resize(Shape.Channels, Slide(Shape.Height, 2, 0, 2), Slide(Shape.Width, 2, 0, 2), $"{ConvNetSpace.Token(kind)} 2x2");
        _layers.Add(kind == PoolingKind.MaxPool ? () => nn.MaxPool2d(2, 2)
            : Runtime.CondensaKernels.Enabled ? () => new AveragePool2x2()
            : () => nn.AvgPool2d(2, 2));
    }

    /// <summary>Average over the whole feature map (C x 1 x 1).</summary>
    public void GlobalAvgPool()
    {
        Resize(Shape.Channels, 1, 1, "global average pooling");
        _layers.Add(() => nn.AdaptiveAvgPool2d(1));
    }

    /// <summary>A fully connected layer (flattening first if needed).</summary>
    public void Linear(int outFeatures)
    {
        var inFeatures = FlatSize;
        Flatten();
        Resize(outFeatures, 1, 1, "linear");
        Count(2.0 * inFeatures * outFeatures);
        _layers.Add(() => nn.Linear(inFeatures, outFeatures));
    }

    /// <summary>A ResNet basic block (<see cref="BasicBlock"/>) with <paramref name="planes"/> output channels.</summary>
    public void BasicBlock(int planes, int stride, NormKind norm, bool avgPoolDownsample)
    {
        var inShape = Shape;
        // A strided conv 3x3 (padding 1) gives ceil(side / 2), the 2x2 average pool of the "_AP" variant floor(side / 2).
        int Down(int side) => stride == 1 ? side : avgPoolDownsample ? Slide(side, 2, 0, 2) : Slide(side, 3, 1, stride);
        Resize(planes, Down(Shape.Height), Down(Shape.Width), $"residual block ({(avgPoolDownsample ? "average-pool" : "strided")} downsampling)");
        var outShape = Shape;
        // conv 3x3 (in -> planes), conv 3x3 (planes -> planes), and a 1x1 projection when the shape changes
        double pixels = (double)outShape.Height * outShape.Width;
        Count(2.0 * pixels * planes * 9 * (inShape.Channels + planes) + (inShape != outShape ? 2.0 * pixels * planes * inShape.Channels : 0));
        _layers.Add(() => new BasicBlock(inShape, outShape, stride, norm, avgPoolDownsample));
    }

    /// <summary>Creates the layers, ending with a flatten: the output is N x <see cref="FlatSize"/>.</summary>
    public Sequential Build()
    {
        if (Problem is not null) throw new InvalidOperationException(Problem);
        var layers = _layers.Select(make => make()).ToList();
        if (!_flat) layers.Add(nn.Flatten());
        return nn.Sequential(layers);
    }

    private void Flatten()
    {
        if (_flat) return;
        _layers.Add(() => nn.Flatten());
        _flat = true;
    }

    private static int Slide(int side, int kernel, int padding, int stride)
    {
        var span = side + 2 * padding - kernel;
        return span < 0 ? 0 : span / stride + 1;
    }

    private void Resize(int channels, int height, int width, string layer)
    {
        if (Problem is null && (height < 1 || width < 1))
            Problem = $"layer {_layers.Count + 1} ({layer}) turns the {Shape.Height}x{Shape.Width} feature map into {height}x{width}";
        Shape = new ImageShape(channels, Math.Max(height, 1), Math.Max(width, 1));
    }
}
