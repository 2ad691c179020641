using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using static Condensa.Models.FeatureMapKernel;
using static TorchSharp.torch;

namespace Condensa.Models;

/// <summary>
/// Instance norm, ReLU and 2x2 average pooling over a convolution's output z (N x C x H x W), computed one feature map
/// at a time in float32 while the map is in cache, with the gradient of z: the three layers that follow the convolution
/// of each ConvNet block, which libtorch runs as three passes over the batch's feature maps forward and three more
/// backward. Per map: <c>a</c> from <c>z</c> as <see cref="FeatureMapKernel"/> normalizes, <c>y[i, j] = ¼ Σ_uv a[2i + u,
/// 2j + v]</c> (u, v in {0, 1}); backward <c>g_a = ¼ g_y[⌊i/2⌋, ⌊j/2⌋]</c> where <c>a &gt; 0</c>, else 0, then g_z, ∂γ
/// and ∂β (<see cref="FeatureMapKernel"/>). Maps keep libtorch's row-major layout: a pooling window's two rows are added
/// as vectors and its two columns by one lane shuffle per 16 pixels.
/// </summary>
internal static unsafe class NormReluPoolKernel
{
    /// <summary>
    /// Sizes of one call: N images of C maps of H x W pixels, and whether z, y and their gradients are bfloat16. The
    /// kernel takes maps of even height whose rows are whole half-vectors and whose pooled map is whole vectors
    /// (<see cref="Fits"/>): the 32x32, 16x16 and 8x8 maps of a ConvNet on 28x28 or 32x32 images.
    /// </summary>
    public readonly record struct Shape(int N, int C, int H, int W, bool BFloat16)
    {
        public int Hq => H / 2;
        public int Wq => W / 2;
        public int Pixels => H * W;
        public int Pooled => Hq * Wq;

        public static bool Fits(long h, long w) =>
            h >= 2 && h % 2 == 0 && w > 0 && w % Vector256<float>.Count == 0 && h / 2 * (w / 2) % Vector512<float>.Count == 0;
    }

    /// <summary>
    /// <paramref name="y"/> (N x C x Hq x Wq) from <paramref name="z"/> and the float32 γ and β; the per-map μ and σ⁻¹
    /// (N x C, float32) go to <paramref name="mean"/> and <paramref name="rstd"/> for backward.
    /// </summary>
    public static void Forward(Shape s, Tensor z, Tensor gamma, Tensor beta, float eps, Tensor y, Tensor mean, Tensor rstd)
    {
        nint zIn = Address(z, s.BFloat16), g = Address(gamma), b = Address(beta);
        nint outY = Address(y, s.BFloat16), outMean = Address(mean), outRstd = Address(rstd);
        ForEachChannelRange(s.C, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (c0, c1) =>
        {
            using var a = new AlignedFloats(s.Pixels);
            var ap = a.Pointer;
            for (var n = 0; n < s.N; n++)
            for (var c = c0; c < c1; c++)
            {
                var map = (long)n * s.C + c;
                LoadMap(zIn, map * s.Pixels, s.BFloat16, ap, s.Pixels);
                var (mu, r) = Moments(ap, s.Pixels, eps);
                ((float*)outMean)[map] = mu;
                ((float*)outRstd)[map] = r;
                var (scale, shift) = ScaleShift(((float*)g)[c], ((float*)b)[c], mu, r);
                NormalizeRelu(ap, s.Pixels, scale, shift);
                Pool(s, ap, outY, map * s.Pooled);
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
        nint zIn = Address(z, s.BFloat16), g = Address(gamma), b = Address(beta), mu = Address(mean), rs = Address(rstd);
        nint gy = Address(gradY, s.BFloat16), gz = Address(gradZ, s.BFloat16);
        // per channel, summed over the batch in image order; each channel has one writer
        double[] dGamma = new double[s.C], dBeta = new double[s.C];
        ForEachChannelRange(s.C, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (c0, c1) =>
        {
            using AlignedFloats zf = new(s.Pixels), ga = new(s.Pixels), rows = new(s.Hq * s.W);
            float* zp = zf.Pointer, gap = ga.Pointer, rp = rows.Pointer;
            for (var n = 0; n < s.N; n++)
            for (var c = c0; c < c1; c++)
            {
                var map = (long)n * s.C + c;
                float m = ((float*)mu)[map], r = ((float*)rs)[map];
                LoadMap(zIn, map * s.Pixels, s.BFloat16, zp, s.Pixels);
                Unpool(s, gy, map * s.Pooled, rp, gap);
                var (scale, shift) = ScaleShift(((float*)g)[c], ((float*)b)[c], m, r);
                var (sumGa, sumGaZ) = ReluNormGradient(zp, gap, s.Pixels, m, r, scale, shift);
                dGamma[c] += sumGaZ;
                dBeta[c] += sumGa;
                // g_z = γ σ⁻¹ (g_a - ∂β / M - ẑ ∂γ / M) with this map's ∂β and ∂γ, written over g_a
                Affine(gap, zp, s.Pixels, scale, -scale * sumGaZ / s.Pixels, -scale * sumGa / s.Pixels);
                SaveMap(gap, s.Pixels, gz, map * s.Pixels, s.BFloat16);
            }
        });
        KeepAlive(z, gamma, beta, mean, rstd, gradY, gradZ);
        Store(dGamma, gradGamma);
        Store(dBeta, gradBeta);
    }

    /// <summary>Pooled map <paramref name="offset"/> of <paramref name="y"/> from the activations <paramref name="a"/>, which it overwrites.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Pool(in Shape s, float* a, nint y, long offset)
    {
        int w = s.W, v = Vector256<float>.Count;
        // the windows' two rows added, r[i, j] = a[2i, j] + a[2i + 1, j], written over a's first Hq rows
        for (var i = 0; i < s.Hq; i++)
        for (var j = 0; j < w; j += v)
            (Vector256.Load(a + 2 * i * w + j) + Vector256.Load(a + (2 * i + 1) * w + j)).Store(a + i * w + j);
        // then the two columns: as W is even, pooled pixel k of the flat map is r[2k] + r[2k + 1]
        var quarter = Vector512.Create(0.25f);
        for (var k = 0; k < s.Pooled; k += Vector512<float>.Count)
        {
            var sums = Vector512.Create(PairSums(Vector512.Load(a + 2 * k)), PairSums(Vector512.Load(a + 2 * k + Vector512<float>.Count))) * quarter;
            Save(sums, y, offset + k, s.BFloat16);
        }
    }

    /// <summary>
    /// The pooling's gradient ¼ g_y[⌊i/2⌋, ⌊j/2⌋] for map <paramref name="offset"/> of <paramref name="gy"/>: each pooled
    /// value doubled along its row into <paramref name="rows"/> (Hq x W), each row then copied to two rows of <paramref name="g"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Unpool(in Shape s, nint gy, long offset, float* rows, float* g)
    {
        int w = s.W, v = Vector256<float>.Count;
        var quarter = Vector512.Create(0.25f);
        for (var k = 0; k < s.Pooled; k += Vector512<float>.Count)
        {
            var q = Load(gy, offset + k, s.BFloat16) * quarter;
            Vector512.Shuffle(q, Vector512.Create(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7)).Store(rows + 2 * k);
            Vector512.Shuffle(q, Vector512.Create(8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 15, 15)).Store(rows + 2 * k + Vector512<float>.Count);
        }
        for (var i = 0; i < s.Hq; i++)
        for (var j = 0; j < w; j += v)
        {
            var r = Vector256.Load(rows + i * w + j);
            r.Store(g + 2 * i * w + j);
            r.Store(g + (2 * i + 1) * w + j);
        }
    }

    /// <summary>x[2l] + x[2l + 1] for the eight pairs of <paramref name="x"/>: its even lanes plus its odd lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> PairSums(Vector512<float> x)
    {
        var split = Vector512.Shuffle(x, Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15));
        return split.GetLower() + split.GetUpper();
    }

    /// <summary><paramref name="count"/> values from element <paramref name="offset"/> of a float32 or bfloat16 tensor into <paramref name="to"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void LoadMap(nint from, long offset, bool bfloat16, float* to, int count)
    {
        for (var q = 0; q < count; q += Vector512<float>.Count) Load(from, offset + q, bfloat16).Store(to + q);
    }

    /// <summary><paramref name="count"/> values of <paramref name="from"/> to element <paramref name="offset"/> of a float32 or bfloat16 tensor.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SaveMap(float* from, int count, nint to, long offset, bool bfloat16)
    {
        for (var q = 0; q < count; q += Vector512<float>.Count) Save(Vector512.Load(from + q), to, offset + q, bfloat16);
    }
}
