using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using static Condensa.Models.FeatureMapKernel;
using static TorchSharp.torch;

namespace Condensa.Models;

/// <summary>
/// The first block of DC's ConvNet, <c>conv 3x3 (bias) -> instance norm -> ReLU -> 2x2 average pooling</c>, computed for
/// one image's group of 16 output channels at a time in float32 while its maps are in cache. libtorch runs the block as
/// separate passes over a C x H x W output per image (the convolution writes it; bias, norm, ReLU and pooling read and
/// write it again; backward does the same in reverse), and with the one to three input channels of a network's input
/// (<see cref="InputConv2d"/>) those passes cost more than the convolution (docs/results.md, Layers and kernels). Here
/// only the pooled maps are written, channels-last as the next block's convolution takes them, and backward recomputes
/// the convolution from the input.
/// <para>
/// Per group, with <c>z[i, j] = b + Σ_(ci, u, t) x[ci, i + u, j + t] w[ci, u, t]</c> (u, t in {0, 1, 2}; one vector of
/// 16 channels per pixel, each input pixel broadcast to all 16): the normalization, ReLU and pooling of
/// <see cref="FeatureMapKernel"/>. Backward: g_z as there, then <c>∂b = Σ g_z</c> and
/// <c>∂w[ci, u, t] = Σ_ij g_z[i, j] x[ci, i + u, j + t]</c>, each summed over the batch. The pooled output and its
/// gradient are float32 or bfloat16.
/// </para>
/// </summary>
internal static unsafe class InputBlockKernel
{
    /// <summary>
    /// Sizes of one call: N images of Cin channels padded to Hp x Wp, C output channels, and whether the pooled output
    /// and its gradient are bfloat16. The convolution's output, (Hp - 2) x (Wp - 2), has even sides, and the output
    /// channels are whole groups of 16 (<see cref="Fits"/>).
    /// </summary>
    public readonly record struct Shape(int N, int InChannels, int Hp, int Wp, int C, bool BFloat16)
    {
        /// <summary>The convolution's output maps, before the pooling.</summary>
        public Maps Maps => new(C, Hp - 2, Wp - 2, BFloat16);
        public int Groups => C / Lanes;
        public int InputImage => InChannels * Hp * Wp;
        public int Taps => InChannels * 9;

        public static bool Fits(long c, long hp, long wp) =>
            c > 0 && c % Lanes == 0 && hp > 2 && hp % 2 == 0 && wp > 2 && wp % 2 == 0;
    }

    /// <summary>The float32 weights (C x Cin x 3 x 3) tap-major, Cin·9 x C: a tap's weights for 16 channels are one vector.</summary>
    public static Tensor TapMajor(Tensor weight) => weight.view(weight.shape[0], -1).t().contiguous();

    /// <summary>
    /// <paramref name="y"/> (N x C x Hq x Wq, channels-last) from the padded float32 input (N x Cin x Hp x Wp), the
    /// weights tap-major (<paramref name="weightByTap"/>: Cin·9 x C, float32) and the float32 bias, γ and β; the per-map
    /// μ and σ⁻¹ (N x C, float32) go to <paramref name="mean"/> and <paramref name="rstd"/> for backward.
    /// </summary>
    public static void Forward(Shape s, Tensor input, Tensor weightByTap, Tensor bias, Tensor gamma, Tensor beta, float eps,
        Tensor y, Tensor mean, Tensor rstd)
    {
        float* x = (float*)Address(input), w = (float*)Address(weightByTap), b = (float*)Address(bias), g = (float*)Address(gamma), bt = (float*)Address(beta);
        float* outMean = (float*)Address(mean), outRstd = (float*)Address(rstd);
        nint outY = ChannelsLastAddress(y, s.BFloat16);
        var maps = s.Maps;
        ForEachGroupRange(s.Groups, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (g0, g1) =>
        {
            using var z = new AlignedFloats(maps.Pixels * Lanes);
            var zp = z.Pointer;
            for (var n = 0; n < s.N; n++)
            for (var c = g0 * Lanes; c < g1 * Lanes; c += Lanes)
            {
                Convolve(s, x + (long)n * s.InputImage, w + c, Vector512.Load(b + c), zp);
                NormalizeReluPool(maps, zp, eps, g, bt, outMean, outRstd, outY, n, c);
            }
        });
        KeepAlive(input, weightByTap, bias, gamma, beta, y, mean, rstd);
    }

    /// <summary>
    /// The parameter gradients (float32: C x Cin x 3 x 3 and three of C) from <paramref name="gradY"/> (N x C x Hq x Wq,
    /// channels-last, in the output's format) and what <see cref="Forward"/> saved.
    /// </summary>
    public static void Backward(Shape s, Tensor input, Tensor weightByTap, Tensor bias, Tensor gamma, Tensor beta,
        Tensor mean, Tensor rstd, Tensor gradY, Tensor gradWeight, Tensor gradBias, Tensor gradGamma, Tensor gradBeta)
    {
        float* x = (float*)Address(input), w = (float*)Address(weightByTap), b = (float*)Address(bias), g = (float*)Address(gamma), bt = (float*)Address(beta);
        float* mu = (float*)Address(mean), rs = (float*)Address(rstd);
        nint gy = ChannelsLastAddress(gradY, s.BFloat16);
        var maps = s.Maps;
        // per channel, summed over the batch in image order; each channel has one writer
        double[] dw = new double[s.C * s.Taps], db = new double[s.C], dGamma = new double[s.C], dBeta = new double[s.C];
        ForEachGroupRange(s.Groups, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (g0, g1) =>
        {
            using AlignedFloats z = new(maps.Pixels * Lanes), gz = new(maps.Pixels * Lanes);
            float* zp = z.Pointer, gp = gz.Pointer;
            for (var n = 0; n < s.N; n++)
            for (var c = g0 * Lanes; c < g1 * Lanes; c += Lanes)
            {
                var xn = x + (long)n * s.InputImage;
                Convolve(s, xn, w + c, Vector512.Load(b + c), zp);
                NormGradient(maps, zp, gy, g, bt, mu, rs, n, c, gp, dGamma, dBeta).AddTo(db, c);
                Correlate(s, gp, xn, c, dw);
            }
        });
        KeepAlive(input, weightByTap, bias, gamma, beta, mean, rstd, gradY);
        Store(dw, gradWeight);
        Store(db, gradBias);
        Store(dGamma, gradGamma);
        Store(dBeta, gradBeta);
    }

    /// <summary>
    /// z = w * x + b for one image's group of 16 output channels (<paramref name="w"/> points at the group's column of
    /// the tap-major weights), one vector per output pixel, two pixels at a time with one accumulator per kernel row
    /// each, so that six multiply-add chains run side by side.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Convolve(in Shape s, float* x, float* w, Vector512<float> bias, float* z)
    {
        int ho = s.Hp - 2, wo = s.Wp - 2, plane = s.Hp * s.Wp, c = s.C;
        for (var i = 0; i < ho; i++)
        for (var j = 0; j < wo; j += 2)
        {
            Vector512<float> e0 = bias, e1 = default, e2 = default, o0 = bias, o1 = default, o2 = default;
            for (var ci = 0; ci < s.InChannels; ci++)
            {
                var xs = x + ci * plane + i * s.Wp + j;
                var wc = w + ci * 9 * c;
                Row(xs, wc, ref e0, ref o0);
                Row(xs + s.Wp, wc + 3 * c, ref e1, ref o1);
                Row(xs + 2 * s.Wp, wc + 6 * c, ref e2, ref o2);
            }
            (e0 + e1 + e2).Store(z + (i * wo + j) * Lanes);
            (o0 + o1 + o2).Store(z + (i * wo + j + 1) * Lanes);
        }

        // one kernel row for the output pixels j (even) and j + 1 (odd), which read input columns j..j + 3
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        void Row(float* xs, float* wr, ref Vector512<float> even, ref Vector512<float> odd)
        {
            Vector512<float> w0 = Vector512.Load(wr), w1 = Vector512.Load(wr + c), w2 = Vector512.Load(wr + 2 * c);
            Vector512<float> x0 = Vector512.Create(xs[0]), x1 = Vector512.Create(xs[1]), x2 = Vector512.Create(xs[2]), x3 = Vector512.Create(xs[3]);
            even = Vector512.FusedMultiplyAdd(x2, w2, Vector512.FusedMultiplyAdd(x1, w1, Vector512.FusedMultiplyAdd(x0, w0, even)));
            odd = Vector512.FusedMultiplyAdd(x3, w2, Vector512.FusedMultiplyAdd(x2, w1, Vector512.FusedMultiplyAdd(x1, w0, odd)));
        }
    }

    /// <summary>
    /// Adds Σ_ij g_z[i, j] x[ci, i + u, j + t] for every tap (ci, u, t) of the 16 channels from <paramref name="c"/> to
    /// <paramref name="dw"/> (C x Cin·9), from g_z's vectors: nine float32 accumulators per input channel and output
    /// row, added by rows in float64.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Correlate(in Shape s, float* gz, float* x, int c, double[] dw)
    {
        int ho = s.Hp - 2, wo = s.Wp - 2, wp = s.Wp;
        Span<Float64Lanes> taps = stackalloc Float64Lanes[9];
        for (var ci = 0; ci < s.InChannels; ci++)
        {
            taps.Clear();
            for (var i = 0; i < ho; i++)
            {
                Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default, a8 = default;
                for (var j = 0; j < wo; j++)
                {
                    var g = Vector512.Load(gz + (i * wo + j) * Lanes);
                    var xs = x + (ci * s.Hp + i) * wp + j;
                    a0 = Vector512.FusedMultiplyAdd(g, Vector512.Create(xs[0]), a0);
                    a1 = Vector512.FusedMultiplyAdd(g, Vector512.Create(xs[1]), a1);
                    a2 = Vector512.FusedMultiplyAdd(g, Vector512.Create(xs[2]), a2);
                    a3 = Vector512.FusedMultiplyAdd(g, Vector512.Create(xs[wp]), a3);
                    a4 = Vector512.FusedMultiplyAdd(g, Vector512.Create(xs[wp + 1]), a4);
                    a5 = Vector512.FusedMultiplyAdd(g, Vector512.Create(xs[wp + 2]), a5);
                    a6 = Vector512.FusedMultiplyAdd(g, Vector512.Create(xs[2 * wp]), a6);
                    a7 = Vector512.FusedMultiplyAdd(g, Vector512.Create(xs[2 * wp + 1]), a7);
                    a8 = Vector512.FusedMultiplyAdd(g, Vector512.Create(xs[2 * wp + 2]), a8);
                }
                taps[0].Add(a0); taps[1].Add(a1); taps[2].Add(a2);
                taps[3].Add(a3); taps[4].Add(a4); taps[5].Add(a5);
                taps[6].Add(a6); taps[7].Add(a7); taps[8].Add(a8);
            }
            for (var t = 0; t < 9; t++) taps[t].AddTo(dw, c * s.Taps + ci * 9 + t, s.Taps);
        }
    }
}
