using System.Globalization;

namespace Condensa.Models;

/// <summary>Normalization after each convolution (DC's <c>net_norm</c>).</summary>
public enum NormKind
{
    None,
    /// <summary><c>BatchNorm2d(C)</c>.</summary>
    BatchNorm,
    /// <summary><c>LayerNorm([C, H, W])</c> over the feature map the layer sees (before pooling).</summary>
    LayerNorm,
    /// <summary>DC's "instance norm": <c>GroupNorm(C, C)</c>, one group per channel, with affine parameters.</summary>
    InstanceNorm,
    /// <summary><c>GroupNorm(4, C)</c>.</summary>
    GroupNorm,
}

/// <summary>Activation after each normalization (DC's <c>net_act</c>).</summary>
public enum ActivationKind
{
    Sigmoid,
    ReLU,
    /// <summary>Leaky ReLU with negative slope 0.01.</summary>
    LeakyReLU,
}

/// <summary>Pooling closing each ConvNet block (DC's <c>net_pooling</c>): none, or a 2x2 window with stride 2.</summary>
public enum PoolingKind
{
    None,
    MaxPool,
    AvgPool,
}

/// <summary>
/// The 720 ConvNets of the DC/DM architecture-search space: 4 widths x 4 depths x 5 norms x 3 activations x 3 poolings.
/// Enumeration order is fixed: width (32, 64, 128, 256) outermost, then depth (1..4), norm (none, batchnorm, layernorm,
/// instancenorm, groupnorm), activation (sigmoid, relu, leakyrelu), and pooling (none, maxpool, avgpool) innermost.
/// So index 0 is <c>convnet-w32-d1-none-sigmoid-none</c> and index 719 is <c>convnet-w256-d4-groupnorm-leakyrelu-avgpool</c>.
/// </summary>
public static class ConvNetSpace
{
    public static IReadOnlyList<int> Widths { get; } = [32, 64, 128, 256];
    public static IReadOnlyList<int> Depths { get; } = [1, 2, 3, 4];
    public static IReadOnlyList<NormKind> Norms { get; } =
        [NormKind.None, NormKind.BatchNorm, NormKind.LayerNorm, NormKind.InstanceNorm, NormKind.GroupNorm];
    public static IReadOnlyList<ActivationKind> Activations { get; } = [ActivationKind.Sigmoid, ActivationKind.ReLU, ActivationKind.LeakyReLU];
    public static IReadOnlyList<PoolingKind> Poolings { get; } = [PoolingKind.None, PoolingKind.MaxPool, PoolingKind.AvgPool];

    /// <summary>The text form <c>convnet-w{32|64|128|256}-d{1|2|3|4}-{norm}-{activation}-{pooling}</c> with every allowed value.</summary>
    public static string Grammar { get; } =
        $"convnet-w{{{Alternatives(Widths, WidthToken, "w")}}}-d{{{Alternatives(Depths, DepthToken, "d")}}}" +
        $"-{{{Alternatives(Norms, Token)}}}-{{{Alternatives(Activations, Token)}}}-{{{Alternatives(Poolings, Token)}}}";

    /// <summary>All 720 specs in the documented order.</summary>
    public static IReadOnlyList<ConvNetSpec> All() => Enumerate();

    /// <summary>
    /// The specs of a sub-space: each argument restricts one axis (null keeps the whole axis). The result follows the
    /// documented order whatever order the values are given in; duplicates are ignored; a value outside the axis throws.
    /// </summary>
    public static IReadOnlyList<ConvNetSpec> Enumerate(
        IEnumerable<int>? widths = null, IEnumerable<int>? depths = null, IEnumerable<NormKind>? norms = null,
        IEnumerable<ActivationKind>? activations = null, IEnumerable<PoolingKind>? poolings = null)
    {
        var ws = Restrict(Widths, widths, WidthToken, "width");
        var ds = Restrict(Depths, depths, DepthToken, "depth");
        var ns = Restrict(Norms, norms, Token, "normalization");
        var acts = Restrict(Activations, activations, Token, "activation");
        var ps = Restrict(Poolings, poolings, Token, "pooling");
        return [.. from w in ws from d in ds from n in ns from a in acts from p in ps select new ConvNetSpec(w, d, n, a, p)];
    }

    public static string Token(NormKind norm) => norm switch
    {
        NormKind.None => "none",
        NormKind.BatchNorm => "batchnorm",
        NormKind.LayerNorm => "layernorm",
        NormKind.InstanceNorm => "instancenorm",
        NormKind.GroupNorm => "groupnorm",
        _ => ((int)norm).ToString(CultureInfo.InvariantCulture),
    };

    public static string Token(ActivationKind activation) => activation switch
    {
        ActivationKind.Sigmoid => "sigmoid",
        ActivationKind.ReLU => "relu",
        ActivationKind.LeakyReLU => "leakyrelu",
        _ => ((int)activation).ToString(CultureInfo.InvariantCulture),
    };

    public static string Token(PoolingKind pooling) => pooling switch
    {
        PoolingKind.None => "none",
        PoolingKind.MaxPool => "maxpool",
        PoolingKind.AvgPool => "avgpool",
        _ => ((int)pooling).ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>Parses a norm token (<c>instancenorm</c>...), e.g. for a config that restricts the search space.</summary>
    public static NormKind ParseNorm(string token) => ParseToken(token, Norms, Token, "normalization", "ConvNet");

    public static ActivationKind ParseActivation(string token) => ParseToken(token, Activations, Token, "activation", "ConvNet");

    public static PoolingKind ParsePooling(string token) => ParseToken(token, Poolings, Token, "pooling", "ConvNet");

    internal static string WidthToken(int width) => $"w{width.ToString(CultureInfo.InvariantCulture)}";

    internal static string DepthToken(int depth) => $"d{depth.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The value of <paramref name="allowed"/> whose token is <paramref name="token"/> (case-insensitive).</summary>
    internal static T ParseToken<T>(string token, IReadOnlyList<T> allowed, Func<T, string> format, string axis, string context)
    {
        var t = token.Trim().ToLowerInvariant();
        foreach (var value in allowed)
            if (format(value) == t) return value;
        throw new CondensaException(
            $"{context}: {axis} '{token}' is not allowed; allowed values: {string.Join(", ", allowed.Select(format))}",
            $"ConvNet names have the form {Grammar}, e.g. {ArchitectureSpec.Default}");
    }

    /// <summary>Returns <paramref name="value"/> when it is on the axis, else throws naming the allowed values.</summary>
    internal static T Check<T>(T value, IReadOnlyList<T> allowed, Func<T, string> format, string axis) =>
        allowed.Contains(value) ? value : ParseToken(format(value), allowed, format, axis, "ConvNet");

    private static List<T> Restrict<T>(IReadOnlyList<T> axis, IEnumerable<T>? values, Func<T, string> format, string name)
    {
        if (values is null) return [.. axis];
        var chosen = values.Select(v => Check(v, axis, format, name)).ToHashSet();
        return [.. axis.Where(chosen.Contains)];
    }

    private static string Alternatives<T>(IReadOnlyList<T> axis, Func<T, string> format, string prefix = "") =>
        string.Join("|", axis.Select(v => format(v)[prefix.Length..]));
}
