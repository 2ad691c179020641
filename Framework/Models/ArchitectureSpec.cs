namespace Condensa.Models;

/// <summary>
/// The name of a network architecture, with a stable text form that <see cref="Parse"/> reads back:
/// <list type="bullet">
/// <item><c>convnet-w{32|64|128|256}-d{1|2|3|4}-{none|batchnorm|layernorm|instancenorm|groupnorm}-{sigmoid|relu|leakyrelu}-{none|maxpool|avgpool}</c>
/// (<see cref="ConvNetSpec"/>, the DC/DM ConvNet family; the default is <c>convnet-w128-d3-instancenorm-relu-avgpool</c>);</item>
/// <item><c>mlp</c>, <c>lenet</c>, <c>alexnet</c>, <c>alexnet-bn</c>, <c>vgg11</c>, <c>vgg11-bn</c>, <c>resnet18</c>,
/// <c>resnet18-ap</c>, <c>resnet18-bn</c>, <c>resnet18-bn-ap</c> (<see cref="StandardNetSpec"/>, DC's evaluation networks).</item>
/// </list>
/// Build a network with <see cref="ModelFactory.Create"/>.
/// </summary>
public abstract record ArchitectureSpec
{
    private protected ArchitectureSpec() { }

    /// <summary>DC's default ConvNet: width 128, depth 3, instance norm, ReLU, average pooling.</summary>
    public static ConvNetSpec Default { get; } =
        new(128, 3, NormKind.InstanceNorm, ActivationKind.ReLU, PoolingKind.AvgPool);

    /// <summary>
    /// True when the network has batch-norm layers, whose output depends on the other samples of the batch in training mode
    /// (DC freezes their statistics before matching gradients, DM embeds all classes in one forward pass).
    /// </summary>
    public abstract bool HasBatchNorm { get; }

    /// <summary>Reads the text form (case-insensitive, surrounding white space ignored).</summary>
    /// <exception cref="CondensaException">The name is unknown, or a ConvNet part is missing or not allowed (the message names the part and lists the allowed values).</exception>
    public static ArchitectureSpec Parse(string text)
    {
        var name = (text ?? "").Trim().ToLowerInvariant();
        if (name.Split('-')[0] == "convnet") return ConvNetSpec.ParseName(name);
        return StandardNetSpec.All.FirstOrDefault(s => s.ToString() == name)
            ?? throw new CondensaException(
                $"unknown architecture '{text}'; allowed: {ConvNetSpace.Grammar}, {string.Join(", ", StandardNetSpec.All)}",
                $"the default is {Default}");
    }

    /// <summary>Option validation: reports a text that does not parse as an error of config key <paramref name="key"/>.</summary>
    public static void Validate(string key, string text, Action<string, string> error)
    {
        try { Parse(text); }
        catch (CondensaException e) { error(key, e.Message); }
    }

    public sealed override string ToString() => Name;

    /// <summary>The text form.</summary>
    protected abstract string Name { get; }
}

/// <summary>
/// A ConvNet of the DC papers: <see cref="Depth"/> blocks of conv 3x3 with <see cref="Width"/> filters, then
/// <see cref="Norm"/>, <see cref="Activation"/> and <see cref="Pooling"/>, then one linear classifier. Every value is
/// checked against <see cref="ConvNetSpace"/> (also through <c>with</c>), so every spec round-trips through its text form.
/// </summary>
public sealed record ConvNetSpec : ArchitectureSpec
{
    public ConvNetSpec(int width, int depth, NormKind norm, ActivationKind activation, PoolingKind pooling)
    {
        Width = width;
        Depth = depth;
        Norm = norm;
        Activation = activation;
        Pooling = pooling;
    }

    public int Width { get; init => field = ConvNetSpace.Check(value, ConvNetSpace.Widths, ConvNetSpace.WidthToken, "width"); }

    public int Depth { get; init => field = ConvNetSpace.Check(value, ConvNetSpace.Depths, ConvNetSpace.DepthToken, "depth"); }

    public NormKind Norm { get; init => field = ConvNetSpace.Check(value, ConvNetSpace.Norms, ConvNetSpace.Token, "normalization"); }

    public ActivationKind Activation { get; init => field = ConvNetSpace.Check(value, ConvNetSpace.Activations, ConvNetSpace.Token, "activation"); }

    public PoolingKind Pooling { get; init => field = ConvNetSpace.Check(value, ConvNetSpace.Poolings, ConvNetSpace.Token, "pooling"); }

    public override bool HasBatchNorm => Norm == NormKind.BatchNorm;

    protected override string Name =>
        $"convnet-{ConvNetSpace.WidthToken(Width)}-{ConvNetSpace.DepthToken(Depth)}-{ConvNetSpace.Token(Norm)}" +
        $"-{ConvNetSpace.Token(Activation)}-{ConvNetSpace.Token(Pooling)}";

    /// <summary>Reads <c>convnet-wW-dD-norm-act-pool</c> (lower case), naming the first bad part.</summary>
    internal static ConvNetSpec ParseName(string name)
    {
        var context = $"architecture '{name}'";
        var parts = name.Split('-');
        string Part(int index, string axis) => index < parts.Length
            ? parts[index]
            : throw new CondensaException($"{context}: the {axis} part is missing; expected {ConvNetSpace.Grammar}");
        if (parts.Length > 6)
            throw new CondensaException($"{context}: unexpected part '{parts[6]}' after the pooling; expected {ConvNetSpace.Grammar}");
        return new ConvNetSpec(
            ConvNetSpace.ParseToken(Part(1, "width"), ConvNetSpace.Widths, ConvNetSpace.WidthToken, "width", context),
            ConvNetSpace.ParseToken(Part(2, "depth"), ConvNetSpace.Depths, ConvNetSpace.DepthToken, "depth", context),
            ConvNetSpace.ParseToken(Part(3, "normalization"), ConvNetSpace.Norms, ConvNetSpace.Token, "normalization", context),
            ConvNetSpace.ParseToken(Part(4, "activation"), ConvNetSpace.Activations, ConvNetSpace.Token, "activation", context),
            ConvNetSpace.ParseToken(Part(5, "pooling"), ConvNetSpace.Poolings, ConvNetSpace.Token, "pooling", context));
    }
}

/// <summary>DC's evaluation networks (<c>networks.py</c>), by their Condensa name.</summary>
public enum StandardNet
{
    /// <summary><c>mlp</c>: flatten, 128, 128 (ReLU), classifier.</summary>
    Mlp,
    /// <summary><c>lenet</c>: conv 5x5 (6), max-pool, conv 5x5 (16), max-pool, 120, 84 (ReLU), classifier.</summary>
    LeNet,
    /// <summary><c>alexnet</c>: DC's 5-conv AlexNet (128-192-256-192-192 filters, three max-pools), no normalization.</summary>
    AlexNet,
    /// <summary><c>alexnet-bn</c>: the same with batch norm after every convolution.</summary>
    AlexNetBN,
    /// <summary><c>vgg11</c>: VGG-11 with instance norm (GroupNorm(C, C)) after every convolution.</summary>
    Vgg11,
    /// <summary><c>vgg11-bn</c>: VGG-11 with batch norm.</summary>
    Vgg11BN,
    /// <summary><c>resnet18</c>: ResNet-18 with instance norm, strided downsampling, global average pooling.</summary>
    ResNet18,
    /// <summary><c>resnet18-ap</c>: ResNet-18 with instance norm that downsamples with 2x2 average pooling (DC's <c>ResNet18_AP</c>).</summary>
    ResNet18AP,
    /// <summary><c>resnet18-bn</c>: ResNet-18 with batch norm.</summary>
    ResNet18BN,
    /// <summary><c>resnet18-bn-ap</c>: ResNet-18 with batch norm and average-pooling downsampling (DC's <c>ResNet18BN_AP</c>).</summary>
    ResNet18BNAP,
}

/// <summary>One of DC's evaluation networks (<see cref="StandardNet"/>).</summary>
public sealed record StandardNetSpec : ArchitectureSpec
{
    public StandardNetSpec(StandardNet net) =>
        Net = Enum.IsDefined(net) ? net : throw new CondensaException($"unknown standard network {(int)net}; allowed: {string.Join(", ", All)}");

    public StandardNet Net { get; }

    /// <summary>Every standard network, in the order of <see cref="StandardNet"/>.</summary>
    public static IReadOnlyList<StandardNetSpec> All { get; } = [.. Enum.GetValues<StandardNet>().Select(n => new StandardNetSpec(n))];

    public override bool HasBatchNorm => Net is StandardNet.AlexNetBN or StandardNet.Vgg11BN or StandardNet.ResNet18BN or StandardNet.ResNet18BNAP;

    protected override string Name => Net switch
    {
        StandardNet.Mlp => "mlp",
        StandardNet.LeNet => "lenet",
        StandardNet.AlexNet => "alexnet",
        StandardNet.AlexNetBN => "alexnet-bn",
        StandardNet.Vgg11 => "vgg11",
        StandardNet.Vgg11BN => "vgg11-bn",
        StandardNet.ResNet18 => "resnet18",
        StandardNet.ResNet18AP => "resnet18-ap",
        StandardNet.ResNet18BN => "resnet18-bn",
        StandardNet.ResNet18BNAP => "resnet18-bn-ap",
        _ => throw new InvalidOperationException($"no name for {Net}"),
    };
}
