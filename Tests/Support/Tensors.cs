using TorchSharp;
using static TorchSharp.torch;

namespace Condensa.Tests.Support;

internal static class Tensors
{
    /// <summary>Same shape, same dtype, every element equal (TorchSharp's <c>equal</c> is element-wise).</summary>
    public static bool Identical(Tensor a, Tensor b) =>
        a.shape.SequenceEqual(b.shape) && a.dtype == b.dtype && a.equal(b).all().item<bool>();
}
