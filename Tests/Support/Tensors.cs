using TorchSharp;
using static TorchSharp.torch;

namespace Condensa.Tests.Support;

internal static class Tensors
{
    /// <summary>Same shape, same dtype, every element equal (TorchSharp's <c>equal</c> is element-wise).</summary>
    public static bool Identical(Tensor a, Tensor b) =>
        a.shape.SequenceEqual(b.shape) && a.dtype == b.dtype && a.equal(b).all().item<bool>();

    /// <summary>The largest magnitude of <paramref name="t"/>: the scale rounding errors of a sum are measured against.</summary>
    public static double Scale(Tensor t) => t.abs().max().to(ScalarType.Float64).item<double>();

    /// <summary>Every element of <paramref name="actual"/> within <c>relative · |expected| + absolute</c> of <paramref name="expected"/>.</summary>
    public static bool Within(Tensor actual, Tensor expected, double relative, double absolute) =>
        (actual.to(ScalarType.Float64) - expected).abs().le(expected.abs() * relative + absolute).all().item<bool>();
}
