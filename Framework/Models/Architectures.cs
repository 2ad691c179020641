using Condensa.Data;

namespace Condensa.Models;

/// <summary>
/// The layer lists of the model zoo, after DC's <c>networks.py</c> (VICO-UoE/DatasetCondensation), with every size
/// computed from the input shape instead of DC's fixed 28x28 / 32x32 constants. On 1x28x28 and 3x32x32 inputs the
/// networks have DC's layers and parameter counts; departures are noted per network.
/// </summary>
internal static class Architectures
{
    public static FeatureStack Describe(ArchitectureSpec spec, ImageShape input)
    {
        var stack = new FeatureStack(input);
        switch (spec)
        {
            case ConvNetSpec convNet: ConvNet(stack, convNet); break;
            case StandardNetSpec { Net: StandardNet.Mlp }: Mlp(stack); break;
            case StandardNetSpec { Net: StandardNet.LeNet }: LeNet(stack); break;
            case StandardNetSpec { Net: StandardNet.AlexNet }: AlexNet(stack, NormKind.None); break;
            case StandardNetSpec { Net: StandardNet.AlexNetBN }: AlexNet(stack, NormKind.BatchNorm); break;
            case StandardNetSpec { Net: StandardNet.Vgg11 }: Vgg11(stack, NormKind.InstanceNorm); break;
            case StandardNetSpec { Net: StandardNet.Vgg11BN }: Vgg11(stack, NormKind.BatchNorm); break;
            case StandardNetSpec { Net: StandardNet.ResNet18 }: ResNet18(stack, NormKind.InstanceNorm, avgPoolDownsample: false); break;
            case StandardNetSpec { Net: StandardNet.ResNet18AP }: ResNet18(stack, NormKind.InstanceNorm, avgPoolDownsample: true); break;
            case StandardNetSpec { Net: StandardNet.ResNet18BN }: ResNet18(stack, NormKind.BatchNorm, avgPoolDownsample: false); break;
            case StandardNetSpec { Net: StandardNet.ResNet18BNAP }: ResNet18(stack, NormKind.BatchNorm, avgPoolDownsample: true); break;
            default: throw new ArgumentException($"no layers for architecture {spec}", nameof(spec));
        }
        return stack;
    }

    /// <summary>
    /// DC lets a 1x28x28 image (MNIST, Fashion-MNIST) enter as if it were 32x32: the first convolution pads 2 more pixels
    /// per side (ConvNet and VGG: 3 instead of 1, LeNet: 2 instead of 0, AlexNet: 4 instead of 2). DC keys this on one
    /// channel alone (it only meets 28x28 one-channel data); Condensa applies it to exactly 1x28x28.
    /// </summary>
    private static int PadTo32(ImageShape input) => input is { Channels: 1, Height: 28, Width: 28 } ? 2 : 0;

    /// <summary>DC's <c>ConvNet</c>: per block conv 3x3 (padding 1, bias) -> norm -> activation -> pooling.</summary>
    private static void ConvNet(FeatureStack s, ConvNetSpec spec)
    {
        for (var d = 0; d < spec.Depth; d++)
        {
            s.Conv2d(spec.Width, 3, padding: d == 0 ? 1 + PadTo32(s.Input) : 1);
            s.Norm(spec.Norm);
            s.Act(spec.Activation);
            s.Pool(spec.Pooling);
        }
    }

    /// <summary>DC's <c>MLP</c>: C·H·W -> 128 -> 128 (ReLU); the embedding is the second hidden layer.</summary>
    private static void Mlp(FeatureStack s)
    {
        s.Linear(128);
        s.Act(ActivationKind.ReLU);
        s.Linear(128);
        s.Act(ActivationKind.ReLU);
    }

    /// <summary>DC's <c>LeNet</c>; the embedding is the 84-unit layer (DC has no <c>embed</c> for LeNet).</summary>
    private static void LeNet(FeatureStack s)
    {
        s.Conv2d(6, 5, padding: PadTo32(s.Input));
        s.Act(ActivationKind.ReLU);
        s.Pool(PoolingKind.MaxPool);
        s.Conv2d(16, 5, padding: 0);
        s.Act(ActivationKind.ReLU);
        s.Pool(PoolingKind.MaxPool);
        s.Linear(120);
        s.Act(ActivationKind.ReLU);
        s.Linear(84);
        s.Act(ActivationKind.ReLU);
    }

    /// <summary>DC's <c>AlexNet</c> / <c>AlexNetBN</c> (conv -> [batch norm] -> ReLU).</summary>
    private static void AlexNet(FeatureStack s, NormKind norm)
    {
        void Conv(int filters, int kernel, int padding)
        {
            s.Conv2d(filters, kernel, padding);
            s.Norm(norm);
            s.Act(ActivationKind.ReLU);
        }
        Conv(128, 5, 2 + PadTo32(s.Input));
        s.Pool(PoolingKind.MaxPool);
        Conv(192, 5, 2);
        s.Pool(PoolingKind.MaxPool);
        Conv(256, 3, 1);
        Conv(192, 3, 1);
        Conv(192, 3, 1);
        s.Pool(PoolingKind.MaxPool);
    }

    /// <summary>
    /// DC's <c>VGG('VGG11')</c>: conv 3x3 -> norm -> ReLU per entry of 64, M, 128, M, 256, 256, M, 512, 512, M, 512, 512, M
    /// (M = 2x2 max-pool). DC's trailing <c>AvgPool2d(1, 1)</c> is the identity and is left out.
    /// </summary>
    private static void Vgg11(FeatureStack s, NormKind norm)
    {
        int[] config = [64, 0, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0];
        for (var i = 0; i < config.Length; i++)
        {
            if (config[i] == 0)
            {
                s.Pool(PoolingKind.MaxPool);
                continue;
            }
            s.Conv2d(config[i], 3, padding: i == 0 ? 1 + PadTo32(s.Input) : 1);
            s.Norm(norm);
            s.Act(ActivationKind.ReLU);
        }
    }

    /// <summary>
    /// DC's <c>ResNet18</c> / <c>ResNet18BN</c> (<paramref name="avgPoolDownsample"/> false) and <c>ResNet18_AP</c> /
    /// <c>ResNet18BN_AP</c> (true): conv 3x3 (64, no bias) -> norm -> ReLU, then two basic blocks each of 64, 128, 256
    /// and 512 planes. The strided network ends with a global average pooling (DC: <c>avg_pool2d(out, 4)</c>, which is
    /// the same on the 4x4 map of 28x28 and 32x32 inputs); the "_AP" network flattens its last map (3x3 for 28x28,
    /// 4x4 for 32x32), as DC.
    /// </summary>
    private static void ResNet18(FeatureStack s, NormKind norm, bool avgPoolDownsample)
    {
        s.Conv2d(64, 3, padding: 1, bias: false);
        s.Norm(norm);
        s.Act(ActivationKind.ReLU);
        foreach (var planes in (int[])[64, 128, 256, 512])
        {
            s.BasicBlock(planes, planes == 64 ? 1 : 2, norm, avgPoolDownsample);
            s.BasicBlock(planes, 1, norm, avgPoolDownsample);
        }
        if (!avgPoolDownsample) s.GlobalAvgPool();
    }
}
