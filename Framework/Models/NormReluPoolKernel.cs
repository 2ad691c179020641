using System.Runtime.CompilerServices;
using static Condensa.Models.FeatureMapKernel;
using static TorchSharp.torch;

namespace Condensa.Models;

/// <summary>
/// Instance norm, ReLU and 2x2 average pooling over a convolution's output z (N x C x H x W), with the gradient of z:
/// the three layers that follow the convolution of each ConvNet block, which libtorch runs as three passes over the
/// batch's feature maps forward and three more backward. One image's group of 16 channels at a time, as
/// <see cref="FeatureMapKernel"/> describes; z, the output y and their gradients are stored channels-last.
/// </summary>
internal static unsafe class NormReluPoolKernel
{
    /// <summary>
    /// Sizes of one call: N images of C maps of H x W pixels, and whether z, y and their gradients are bfloat16. The
    /// kernel takes whole groups of 16 channels and maps of even sides (<see cref="Fits"/>).
    /// </summary>
    public readonly record struct Shape(int N, int C, int H, int W, bool BFloat16)
    {
        public Maps Maps => new(C, H, W, BFloat16);
        public int Groups => C / Lanes;

        public static bool Fits(long c, long h, long w) => c > 0 && c % Lanes == 0 && h >= 2 && h % 2 == 0 && w >= 2 && w % 2 == 0;
    }

    /// <summary>
    /// <paramref name="y"/> (N x C x H/2 x W/2) from <paramref name="z"/> and the float32 γ and β; the per-map μ and σ⁻¹
    /// (N x C, float32) go to <paramref name="mean"/> and <paramref name="rstd"/> for backward.
    /// </summary>
    public static void Forward(Shape s, Tensor z, Tensor gamma, Tensor beta, float eps, Tensor y, Tensor mean, Tensor rstd)
    {
        nint zIn = ChannelsLastAddress(z, s.BFloat16), outY = ChannelsLastAddress(y, s.BFloat16);
        float* g = (float*)Address(gamma), b = (float*)Address(beta), outMean = (float*)Address(mean), outRstd = (float*)Address(rstd);
        var maps = s.Maps;
        ForEachGroupRange(s.Groups, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (g0, g1) =>
        {
            using var a = new AlignedFloats(maps.Pixels * Lanes);
            var ap = a.Pointer;
            for (var n = 0; n < s.N; n++)
            for (var c = g0 * Lanes; c < g1 * Lanes; c += Lanes)
            {
                LoadGroup(maps, zIn, n, c, ap);
                NormalizeReluPool(maps, ap, eps, g, b, outMean, outRstd, outY, n, c);
            }
        });
        KeepAlive(z, gamma, beta, y, mean, rstd);
    }

    /// <summary>
    /// The gradient of z (<paramref name="gradZ"/>, in z's format) and of γ and β (float32, C each) from
    /// <paramref name="gradY"/> (in y's format) and what <see cref="Forward"/> saved.
    /// </summary>
    public static void Backward(Shape s, Tensor z, Tensor gamma, Tensor beta, Tensor mean, Tensor rstd, Tensor gradY,
        Tensor gradZ, Tensor gradGamma, Tensor gradBeta)
    {
        nint zIn = ChannelsLastAddress(z, s.BFloat16), gy = ChannelsLastAddress(gradY, s.BFloat16), gz = ChannelsLastAddress(gradZ, s.BFloat16);
        float* g = (float*)Address(gamma), b = (float*)Address(beta), mu = (float*)Address(mean), rs = (float*)Address(rstd);
        var maps = s.Maps;
        // per channel, summed over the batch in image order; each channel has one writer
        double[] dGamma = new double[s.C], dBeta = new double[s.C];
        ForEachGroupRange(s.Groups, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (g0, g1) =>
        {
            using AlignedFloats zf = new(maps.Pixels * Lanes), gf = new(maps.Pixels * Lanes);
            float* zp = zf.Pointer, gp = gf.Pointer;
            for (var n = 0; n < s.N; n++)
            for (var c = g0 * Lanes; c < g1 * Lanes; c += Lanes)
            {
                LoadGroup(maps, zIn, n, c, zp);
                NormGradient(maps, zp, gy, g, b, mu, rs, n, c, gp, dGamma, dBeta);
                SaveGroup(maps, gp, gz, n, c);
            }
        });
        KeepAlive(z, gamma, beta, mean, rstd, gradY, gradZ);
        Store(dGamma, gradGamma);
        Store(dBeta, gradBeta);
    }
}
