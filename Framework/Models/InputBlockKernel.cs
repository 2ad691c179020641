using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using static Condensa.Models.FeatureMapKernel;
using static TorchSharp.torch;

namespace Condensa.Models;

/// <summary>
/// The first block of DC's ConvNet, <c>conv 3x3 (bias) -> instance norm -> ReLU -> 2x2 average pooling</c>, computed one
/// feature map (image n, channel c) at a time in float32 while the map is in cache. libtorch runs the block as separate
/// passes over a C x H x W output per image (the convolution writes it; bias, norm, ReLU and pooling read and write it
/// again; backward does the same in reverse), and with the one to three input channels of a network's input
/// (<see cref="InputConv2d"/>) those passes cost more than the convolution (docs/results.md, Layers and kernels). Here
/// only the pooled map is written, and backward recomputes the convolution from the input (9 Cin multiply-adds per pixel).
/// <para>
/// Per map, with <c>z = w * x + b</c> over its M pixels: the normalization and ReLU of <see cref="FeatureMapKernel"/>,
/// then <c>y[i, j] = ¼ Σ_uv a[2i + u, 2j + v]</c> (u, v in {0, 1}). Backward: <c>g_a = ¼ g_y[⌊i/2⌋, ⌊j/2⌋]</c> where
/// <c>a &gt; 0</c>, else 0, through the normalization to g_z (<see cref="FeatureMapKernel"/>); <c>∂b = Σ g_z</c> and
/// <c>∂w[ci, u, t] = Σ_ij g_z[i, j] x[ci, i + u, j + t]</c> (u, t in {0, 1, 2}), each summed over the batch.
/// </para>
/// Maps are stored as their even and their odd columns, so a pooling window is the same lane of four vectors and no
/// lane is shuffled. The pooled output and its gradient are float32 or bfloat16.
/// </summary>
internal static unsafe class InputBlockKernel
{
    /// <summary>
    /// Sizes of one call: N images of Cin channels padded to Hp x Wp, C output channels, and whether the pooled output
    /// and its gradient are bfloat16. The convolution's output, Ho x Wo = (Hp - 2) x (Wp - 2), has even sides, and a
    /// pooled row (Wq = Wo / 2) is a whole number of vectors (<see cref="Fits"/>).
    /// </summary>
    public readonly record struct Shape(int N, int InChannels, int Hp, int Wp, int C, bool BFloat16)
    {
        public int Ho => Hp - 2;
        public int Wo => Wp - 2;
        public int Hq => Ho / 2;
        public int Wq => Wo / 2;
        /// <summary>Width of one column-parity plane of the padded input (its even or its odd columns).</summary>
        public int Wh => Wp / 2;
        public int Pixels => Ho * Wo;
        public int InputImage => InChannels * 2 * Hp * Wh;
        public int Taps => InChannels * 9;
        public long PooledMap => Hq * Wq;

        public static bool Fits(long hp, long wp) =>
            hp > 2 && hp % 2 == 0 && wp > 2 && wp % 2 == 0 && (wp - 2) / 2 % Vector512<float>.Count == 0;
    }

    /// <summary>The padded input (N x Cin x Hp x Wp) split by column parity: N x Cin x 2 x Hp x Wh, float32.</summary>
    public static Tensor SplitColumns(Tensor padded)
    {
        long n = padded.shape[0], cin = padded.shape[1], hp = padded.shape[2], wp = padded.shape[3];
        return padded.to(ScalarType.Float32).view(n, cin, hp, wp / 2, 2).permute(0, 1, 4, 2, 3).contiguous();
    }

    /// <summary>
    /// <paramref name="y"/> (N x C x Hq x Wq) from the split input (<see cref="SplitColumns"/>) and the float32 parameters;
    /// the per-map μ and σ⁻¹ (N x C, float32) go to <paramref name="mean"/> and <paramref name="rstd"/> for backward.
    /// </summary>
    public static void Forward(Shape s, Tensor input, Tensor weight, Tensor bias, Tensor gamma, Tensor beta, float eps,
        Tensor y, Tensor mean, Tensor rstd)
    {
        nint x = Address(input), w = Address(weight), b = Address(bias), g = Address(gamma), bt = Address(beta);
        nint outY = Address(y, s.BFloat16), outMean = Address(mean), outRstd = Address(rstd);
        ForEachChannelRange(s.C, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (c0, c1) =>
        {
            using var z = new AlignedFloats(s.Pixels);
            var zp = z.Pointer;
            for (var n = 0; n < s.N; n++)
            {
                var xn = (float*)x + (long)n * s.InputImage;
                for (var c = c0; c < c1; c++)
                {
                    var map = (long)n * s.C + c;
                    Convolve(s, xn, (float*)w + c * s.Taps, ((float*)b)[c], zp);
                    var (mu, r) = Moments(zp, s.Pixels, eps);
                    ((float*)outMean)[map] = mu;
                    ((float*)outRstd)[map] = r;
                    var (scale, shift) = ScaleShift(((float*)g)[c], ((float*)bt)[c], mu, r);
                    NormalizeRelu(zp, s.Pixels, scale, shift);
                    Pool(s, zp, outY, map * s.PooledMap);
                }
            }
        });
        KeepAlive(input, weight, bias, gamma, beta, y, mean, rstd);
    }

    /// <summary>
    /// The parameter gradients (float32: C x Cin x 3 x 3 and three of C) from <paramref name="gradY"/> (N x C x Hq x Wq,
    /// in the output's format) and what <see cref="Forward"/> saved.
    /// </summary>
    public static void Backward(Shape s, Tensor input, Tensor weight, Tensor bias, Tensor gamma, Tensor beta,
        Tensor mean, Tensor rstd, Tensor gradY, Tensor gradWeight, Tensor gradBias, Tensor gradGamma, Tensor gradBeta)
    {
        nint x = Address(input), w = Address(weight), b = Address(bias), g = Address(gamma), bt = Address(beta);
        nint mu = Address(mean), rs = Address(rstd), gy = Address(gradY, s.BFloat16);
        // per channel, summed over the batch in image order; each channel has one writer
        double[] dw = new double[s.C * s.Taps], db = new double[s.C], dGamma = new double[s.C], dBeta = new double[s.C];
        ForEachChannelRange(s.C, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (c0, c1) =>
        {
            using AlignedFloats z = new(s.Pixels), ga = new(s.Pixels), taps = new(s.Taps);
            float* zp = z.Pointer, gap = ga.Pointer, tp = taps.Pointer;
            for (var n = 0; n < s.N; n++)
            {
                var xn = (float*)x + (long)n * s.InputImage;
                for (var c = c0; c < c1; c++)
                {
                    var map = (long)n * s.C + c;
                    float m = ((float*)mu)[map], r = ((float*)rs)[map];
                    Convolve(s, xn, (float*)w + c * s.Taps, ((float*)b)[c], zp);
                    Unpool(s, gy, map * s.PooledMap, gap);
                    var (scale, shift) = ScaleShift(((float*)g)[c], ((float*)bt)[c], m, r);
                    var (sumGa, sumGaZ) = ReluNormGradient(zp, gap, s.Pixels, m, r, scale, shift);
                    dGamma[c] += sumGaZ;
                    dBeta[c] += sumGa;
                    // g_z = γ σ⁻¹ (g_a - ∂β / M - ẑ ∂γ / M) with this map's ∂β and ∂γ, written over g_a
                    db[c] += Affine(gap, zp, s.Pixels, scale, -scale * sumGaZ / s.Pixels, -scale * sumGa / s.Pixels);
                    Correlate(s, gap, xn, tp);
                    for (var t = 0; t < s.Taps; t++) dw[c * s.Taps + t] += tp[t];
                }
            }
        });
        KeepAlive(input, weight, bias, gamma, beta, mean, rstd, gradY);
        Store(dw, gradWeight);
        Store(db, gradBias);
        Store(dGamma, gradGamma);
        Store(dBeta, gradBeta);
    }

    /// <summary>
    /// z = w * x + b for one output channel, as its even-column and odd-column planes (2 x Ho x Wq): output column
    /// 2j + p takes input columns 2j + p + t, t = 0..2, i.e. even[j], odd[j], even[j + 1], odd[j + 1].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Convolve(in Shape s, float* x, float* w, float bias, float* z)
    {
        int wq = s.Wq, wh = s.Wh, plane = s.Hp * wh, v = Vector512<float>.Count;
        var vb = Vector512.Create(bias);
        var zo = z + s.Ho * wq;
        for (var i = 0; i < s.Ho; i++)
        for (var j = 0; j < wq; j += v)
        {
            Vector512<float> even = vb, odd = vb;
            for (var ci = 0; ci < s.InChannels; ci++)
            {
                var xe = x + 2 * ci * plane + i * wh + j;
                var xo = xe + plane;
                var wc = w + 9 * ci;
                for (var u = 0; u < 3; u++, xe += wh, xo += wh)
                {
                    Vector512<float> e0 = Vector512.Load(xe), o0 = Vector512.Load(xo), e1 = Vector512.Load(xe + 1), o1 = Vector512.Load(xo + 1);
                    Vector512<float> w0 = Vector512.Create(wc[3 * u]), w1 = Vector512.Create(wc[3 * u + 1]), w2 = Vector512.Create(wc[3 * u + 2]);
                    even = Vector512.FusedMultiplyAdd(e0, w0, Vector512.FusedMultiplyAdd(o0, w1, Vector512.FusedMultiplyAdd(e1, w2, even)));
                    odd = Vector512.FusedMultiplyAdd(o0, w0, Vector512.FusedMultiplyAdd(e1, w1, Vector512.FusedMultiplyAdd(o1, w2, odd)));
                }
            }
            even.Store(z + i * wq + j);
            odd.Store(zo + i * wq + j);
        }
    }

    /// <summary>Σ_ij g_z[i, j] x[ci, i + u, j + t] for every tap (ci, u, t), from g_z's two column-parity planes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Correlate(in Shape s, float* gz, float* x, float* taps)
    {
        int wq = s.Wq, wh = s.Wh, plane = s.Hp * wh, v = Vector512<float>.Count;
        var go = gz + s.Ho * wq;
        for (var ci = 0; ci < s.InChannels; ci++)
        {
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default, a8 = default;
            for (var i = 0; i < s.Ho; i++)
            for (var j = 0; j < wq; j += v)
            {
                Vector512<float> ge = Vector512.Load(gz + i * wq + j), gO = Vector512.Load(go + i * wq + j);
                var xe = x + 2 * ci * plane + i * wh + j;
                var xo = xe + plane;
                Vector512<float> e0 = Vector512.Load(xe), o0 = Vector512.Load(xo), e1 = Vector512.Load(xe + 1), o1 = Vector512.Load(xo + 1);
                a0 = Vector512.FusedMultiplyAdd(ge, e0, Vector512.FusedMultiplyAdd(gO, o0, a0));
                a1 = Vector512.FusedMultiplyAdd(ge, o0, Vector512.FusedMultiplyAdd(gO, e1, a1));
                a2 = Vector512.FusedMultiplyAdd(ge, e1, Vector512.FusedMultiplyAdd(gO, o1, a2));
                xe += wh; xo += wh;
                e0 = Vector512.Load(xe); o0 = Vector512.Load(xo); e1 = Vector512.Load(xe + 1); o1 = Vector512.Load(xo + 1);
                a3 = Vector512.FusedMultiplyAdd(ge, e0, Vector512.FusedMultiplyAdd(gO, o0, a3));
                a4 = Vector512.FusedMultiplyAdd(ge, o0, Vector512.FusedMultiplyAdd(gO, e1, a4));
                a5 = Vector512.FusedMultiplyAdd(ge, e1, Vector512.FusedMultiplyAdd(gO, o1, a5));
                xe += wh; xo += wh;
                e0 = Vector512.Load(xe); o0 = Vector512.Load(xo); e1 = Vector512.Load(xe + 1); o1 = Vector512.Load(xo + 1);
                a6 = Vector512.FusedMultiplyAdd(ge, e0, Vector512.FusedMultiplyAdd(gO, o0, a6));
                a7 = Vector512.FusedMultiplyAdd(ge, o0, Vector512.FusedMultiplyAdd(gO, e1, a7));
                a8 = Vector512.FusedMultiplyAdd(ge, e1, Vector512.FusedMultiplyAdd(gO, o1, a8));
            }
            var t = taps + 9 * ci;
            t[0] = Vector512.Sum(a0); t[1] = Vector512.Sum(a1); t[2] = Vector512.Sum(a2);
            t[3] = Vector512.Sum(a3); t[4] = Vector512.Sum(a4); t[5] = Vector512.Sum(a5);
            t[6] = Vector512.Sum(a6); t[7] = Vector512.Sum(a7); t[8] = Vector512.Sum(a8);
        }
    }

    /// <summary>Pooled map <paramref name="offset"/> of <paramref name="y"/> from the activations' two column-parity planes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Pool(in Shape s, float* a, nint y, long offset)
    {
        int wq = s.Wq;
        var odd = a + s.Ho * wq;
        var quarter = Vector512.Create(0.25f);
        for (var i = 0; i < s.Hq; i++)
        for (var j = 0; j < wq; j += Vector512<float>.Count)
        {
            int r0 = 2 * i * wq + j, r1 = r0 + wq;
            var v = (Vector512.Load(a + r0) + Vector512.Load(odd + r0) + (Vector512.Load(a + r1) + Vector512.Load(odd + r1))) * quarter;
            Save(v, y, offset + i * wq + j, s.BFloat16);
        }
    }

    /// <summary>The pooling's gradient ¼ g_y[⌊i/2⌋, ⌊j/2⌋] (map <paramref name="offset"/> of <paramref name="gy"/>), in both column-parity planes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Unpool(in Shape s, nint gy, long offset, float* g)
    {
        int wq = s.Wq;
        var odd = g + s.Ho * wq;
        var quarter = Vector512.Create(0.25f);
        for (var i = 0; i < s.Ho; i++)
        for (var j = 0; j < wq; j += Vector512<float>.Count)
        {
            var v = Load(gy, offset + i / 2 * wq + j, s.BFloat16) * quarter;
            v.Store(g + i * wq + j);
            v.Store(odd + i * wq + j);
        }
    }
}
