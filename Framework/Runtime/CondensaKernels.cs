using System.Runtime.Intrinsics;

namespace Condensa.Runtime;

/// <summary>
/// Whether Condensa's own CPU kernels run: the fused blocks of the ConvNet (on CPUs with 512-bit vectors: the first
/// block's conv, instance norm, ReLU and average pooling in one pass per feature map, and the instance norm, ReLU and
/// pooling after each of the other convolutions (and after the first where the images need a gradient) in another,
/// where the map sizes allow), the input convolution that keeps its bias out of the convolution's backward pass, and the
/// 2x2 average pooling as a convolution or a matrix product. <c>plain</c> runs the same functions as libtorch's own
/// layers (<c>nn.Conv2d</c>, <c>nn.AvgPool2d</c>), which is how the benchmarks measure what the kernels add over the
/// same libtorch build. Set by the <c>CONDENSA_KERNELS</c> environment variable (<c>condensa</c>, the default, or
/// <c>plain</c>); read when a network is built.
/// </summary>
internal static class CondensaKernels
{
    /// <summary>The environment variable that switches the kernels.</summary>
    public const string Variable = "CONDENSA_KERNELS";

    private static bool? _enabled;

    /// <summary>True unless <c>CONDENSA_KERNELS=plain</c>; tests set it to compare both paths in one process.</summary>
    public static bool Enabled
    {
        get => _enabled ??= Parse(Environment.GetEnvironmentVariable(Variable));
        set => _enabled = value;
    }

    /// <summary>Whether the fused blocks run: the kernels are on and the CPU has 512-bit vectors in hardware.</summary>
    public static bool FusedKernels => Enabled && Vector512.IsHardwareAccelerated;

    /// <summary>
    /// The kernels' part of the execution settings' identity on a device of type <paramref name="deviceType"/>: which
    /// code computes the floats (<c>+plain</c> for libtorch's layers, <c>+fused-cl</c> where the fused blocks run on
    /// channels-last maps, which is on CPUs only, nothing otherwise).
    /// </summary>
    public static string Key(string deviceType) => !Enabled ? "+plain" : deviceType == "cpu" && FusedKernels ? "+fused-cl" : "";

    /// <summary>The value of <c>CONDENSA_KERNELS</c>: unset, empty or <c>condensa</c> for the kernels, <c>plain</c> for libtorch's layers.</summary>
    internal static bool Parse(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" or "condensa" => true,
        "plain" => false,
        _ => throw new CondensaException($"The environment variable {Variable} is '{value}'; allowed: condensa (the default) or plain."),
    };
}
