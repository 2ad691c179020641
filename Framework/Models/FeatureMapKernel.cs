using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using TorchSharp;
using static TorchSharp.torch;

namespace Condensa.Models;

/// <summary>
/// What the fused ConvNet kernels (<see cref="InputBlockKernel"/>, <see cref="NormReluPoolKernel"/>) do to the feature
/// maps of one image, and how they split the work. Maps are stored channels-last (N x H x W x C,
/// <see cref="FusedAutograd.IsChannelsLast"/>, the format oneDNN's convolutions take without a reorder), so one 512-bit
/// vector holds one pixel of a group of 16 channels, and a group's H x W vectors are worked on in float32 while they are
/// in cache. A map of M pixels is normalized as instance norm (GroupNorm with one channel per group, Wu and He 2018):
/// <c>μ = Σz / M</c>, <c>σ⁻¹ = (Σ(z - μ)² / M + ε)^-1/2</c>, <c>ẑ = (z - μ) σ⁻¹</c>, <c>a = max(0, γ ẑ + β)</c>, then
/// pooled, <c>y[i, j] = ¼ Σ_uv a[2i + u, 2j + v]</c> (u, v in {0, 1}); backward takes <c>g_a = ¼ g_y[⌊i/2⌋, ⌊j/2⌋]</c>
/// where <c>a &gt; 0</c>, else 0, and the normalization gradient of Ioffe and Szegedy (2015, Section 3) over the map:
/// <c>∂γ = Σ g_a ẑ</c>, <c>∂β = Σ g_a</c>, <c>g_z = γ σ⁻¹ (g_a - ∂β / M - ẑ ∂γ / M)</c>. The channel groups are split
/// into fixed ranges, one per libtorch thread (<c>get_num_threads</c>), each run on a .NET thread: every gradient has
/// one writer and sums over the batch in image order, whatever the thread count. bfloat16 values are rounded to nearest
/// even, as libtorch does. The loops are compiled fully optimized at their first call (<c>AggressiveOptimization</c>)
/// rather than after .NET's tiers.
/// </summary>
internal static unsafe class FeatureMapKernel
{
    /// <summary>
    /// The kernel holds only addresses: the tensors behind them (some are fresh float32 copies that nothing else
    /// references) must not be finalized before it ends.
    /// </summary>
    internal static void KeepAlive(params Tensor[] tensors) => GC.KeepAlive(tensors);

    /// <summary>Per-channel sums, accumulated in float64, written to the float32 tensor <paramref name="t"/>.</summary>
    internal static void Store(double[] sums, Tensor t)
    {
        var p = (float*)Address(t);
        for (var i = 0; i < sums.Length; i++) p[i] = (float)sums[i];
        GC.KeepAlive(t);
    }

    /// <summary>The address of the first element of a contiguous float32 (or bfloat16) CPU tensor.</summary>
    internal static nint Address(Tensor t, bool bfloat16 = false)
    {
        if (!t.is_contiguous()) throw new ArgumentException($"expected a contiguous tensor, got strides {string.Join(", ", t.stride())}");
        return First(t, bfloat16);
    }

    /// <summary>
    /// The address of the first element of a float32 (or bfloat16) CPU tensor in the channels-last format
    /// (<see cref="FusedAutograd.IsChannelsLast"/>), whose element (n, c, h, w) is at ((n H + h) W + w) C + c.
    /// </summary>
    internal static nint ChannelsLastAddress(Tensor t, bool bfloat16)
    {
        if (!FusedAutograd.IsChannelsLast(t)) throw new ArgumentException($"expected a channels-last tensor, got strides {string.Join(", ", t.stride())}");
        using var stored = t.permute(0, 2, 3, 1);
        return First(stored, bfloat16);
    }

    private static nint First(Tensor t, bool bfloat16)
    {
        var dtype = bfloat16 ? ScalarType.BFloat16 : ScalarType.Float32;
        if (t.dtype != dtype || t.device_type != DeviceType.CPU)
            throw new ArgumentException($"expected a {dtype} CPU tensor, got {t.dtype} on {t.device}");
        // the first element's bytes: a span over the whole tensor would be limited to 2 GiB
        using var flat = t.view(-1);
        using var first = flat.narrow(0, 0, 1);
        return (nint)Unsafe.AsPointer(ref MemoryMarshal.GetReference(first.bytes));
    }

    /// <summary>Floats in a 512-bit vector: the channels of one group, which the kernels split among their threads.</summary>
    internal const int Lanes = 16;

    /// <summary>Runs <paramref name="body"/> on one contiguous range of the channel groups [0, <paramref name="groups"/>) per libtorch thread.</summary>
    internal static void ForEachGroupRange(int groups, Action<int, int> body)
    {
        var parts = Math.Clamp(get_num_threads(), 1, groups);
        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts },
            p => body(groups * p / parts, groups * (p + 1) / parts));
    }

    /// <summary>
    /// γ ẑ + β = z · scale + shift with scale = γ σ⁻¹ and shift = β - μ · scale, for the 16 maps of a vector: forward and
    /// backward both take the ReLU's mask from this one expression, so the two masks agree bit for bit.
    /// </summary>
    internal static (Vector512<float> Scale, Vector512<float> Shift) ScaleShift(Vector512<float> gamma, Vector512<float> beta, Vector512<float> mean, Vector512<float> rstd)
    {
        var scale = gamma * rstd;
        return (scale, beta - mean * scale);
    }

    /// <summary>float32 to bfloat16, rounded to nearest even (finite values).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static Vector256<ushort> ToBFloat16(Vector512<float> v)
    {
        var bits = v.AsUInt32();
        var rounded = (bits + Vector512.Create(0x7FFFu) + ((bits >> 16) & Vector512<uint>.One)) >> 16;
        return Vector512.Narrow(rounded, Vector512<uint>.Zero).GetLower();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static Vector512<float> FromBFloat16(ushort* p) =>
        (Vector512.WidenLower(Vector256.Load(p).ToVector512Unsafe()) << 16).AsSingle();

    /// <summary>
    /// Image <paramref name="n"/>'s 16 channels from <paramref name="c"/> of the channels-last tensor
    /// <paramref name="from"/> (maps of <paramref name="s"/>'s size) into <paramref name="to"/>, one float32 vector per pixel.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void LoadGroup(in Maps s, nint from, int n, int c, float* to)
    {
        for (var p = 0; p < s.Pixels; p++) Load(from, ((long)n * s.Pixels + p) * s.C + c, s.BFloat16).Store(to + p * Lanes);
    }

    /// <summary>The inverse of <see cref="LoadGroup"/>: the vectors <paramref name="from"/> to image <paramref name="n"/>'s 16 channels from <paramref name="c"/> of <paramref name="to"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void SaveGroup(in Maps s, float* from, nint to, int n, int c)
    {
        for (var p = 0; p < s.Pixels; p++) Save(Vector512.Load(from + p * Lanes), to, ((long)n * s.Pixels + p) * s.C + c, s.BFloat16);
    }

    /// <summary>
    /// Each lane's μ and σ⁻¹ = (biased variance + ε)^-1/2 over one image's H x W vectors <paramref name="z"/>, in two
    /// passes, each summing a row's vectors into two float32 accumulators and the rows in float64.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static (Vector512<float> Mean, Vector512<float> Rstd) Moments(in Maps s, float* z, float eps)
    {
        Float64Lanes sum = default, squares = default;
        for (var p = 0; p < s.Pixels; p += s.W)
        {
            Vector512<float> a0 = default, a1 = default;
            for (var q = p; q < p + s.W; q += 2)
            {
                a0 += Vector512.Load(z + q * Lanes);
                a1 += Vector512.Load(z + (q + 1) * Lanes);
            }
            sum.Add(a0 + a1);
        }
        var count = Vector512.Create((float)s.Pixels);
        var mean = sum.Float32 / count;
        for (var p = 0; p < s.Pixels; p += s.W)
        {
            Vector512<float> a0 = default, a1 = default;
            for (var q = p; q < p + s.W; q += 2)
            {
                Vector512<float> d0 = Vector512.Load(z + q * Lanes) - mean, d1 = Vector512.Load(z + (q + 1) * Lanes) - mean;
                a0 = Vector512.FusedMultiplyAdd(d0, d0, a0);
                a1 = Vector512.FusedMultiplyAdd(d1, d1, a1);
            }
            squares.Add(a0 + a1);
        }
        return (mean, Vector512<float>.One / Vector512.Sqrt(squares.Float32 / count + Vector512.Create(eps)));
    }

    /// <summary>
    /// Instance norm, ReLU and 2x2 average pooling forward for image <paramref name="n"/>'s 16 channels from
    /// <paramref name="c"/>, from their H x W vectors <paramref name="z"/>: each map's μ and σ⁻¹ to
    /// <paramref name="mean"/> and <paramref name="rstd"/> (N x C), the pooled activations to the channels-last
    /// <paramref name="y"/>.
    /// </summary>
    internal static void NormalizeReluPool(in Maps s, float* z, float eps, float* gamma, float* beta, float* mean, float* rstd, nint y, int n, int c)
    {
        var (mu, r) = Moments(s, z, eps);
        var map = (long)n * s.C + c;
        mu.Store(mean + map);
        r.Store(rstd + map);
        var (scale, shift) = ScaleShift(Vector512.Load(gamma + c), Vector512.Load(beta + c), mu, r);
        Pool(s, z, scale, shift, y, (long)n * s.Pooled, c);
    }

    /// <summary>
    /// One image's pooled activations of the 16 channels from <paramref name="c"/>, from their H x W vectors
    /// <paramref name="z"/>: a = max(0, z · scale + shift), then 2x2 means, written to pixel <paramref name="pooled"/>
    /// on of the channels-last <paramref name="y"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Pool(in Maps s, float* z, Vector512<float> scale, Vector512<float> shift, nint y, long pooled, int c)
    {
        var quarter = Vector512.Create(0.25f);
        for (var i = 0; i < s.Hq; i++)
        for (var j = 0; j < s.Wq; j++)
        {
            var top = z + (2 * i * s.W + 2 * j) * Lanes;
            var bottom = top + s.W * Lanes;
            var sum = Activation(top) + Activation(bottom) + (Activation(top + Lanes) + Activation(bottom + Lanes));
            Save(sum * quarter, y, (pooled + i * s.Wq + j) * s.C + c, s.BFloat16);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        Vector512<float> Activation(float* at) => Vector512.Max(Vector512.FusedMultiplyAdd(Vector512.Load(at), scale, shift), Vector512<float>.Zero);
    }

    /// <summary>
    /// The gradient of z for image <paramref name="n"/>'s 16 channels from <paramref name="c"/>, over their H x W
    /// vectors: z becomes ẑ in place, and <paramref name="g"/> gets g_a from the pooled gradient (the channels-last
    /// <paramref name="gy"/>; zero where the forward pass's z · scale + shift ≤ 0: the same expression, so the same
    /// mask) and then g_z. ∂γ = Σ g_a ẑ and ∂β = Σ g_a are added to <paramref name="dGamma"/> and
    /// <paramref name="dBeta"/>; returns each lane's Σ g_z. Sums over the map are added by rows in float64.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static Float64Lanes NormGradient(in Maps s, float* z, nint gy, float* gamma, float* beta, float* means, float* rstds,
        int n, int c, float* g, double[] dGamma, double[] dBeta)
    {
        var map = (long)n * s.C + c;
        Vector512<float> mean = Vector512.Load(means + map), rstd = Vector512.Load(rstds + map);
        var (scale, shift) = ScaleShift(Vector512.Load(gamma + c), Vector512.Load(beta + c), mean, rstd);
        var pooled = (long)n * s.Pooled;
        var quarter = Vector512.Create(0.25f);
        Float64Lanes dBetaSum = default, dGammaSum = default, sumGz = default;
        for (var i = 0; i < s.H; i++)
        {
            var row = pooled + i / 2 * s.Wq;
            Vector512<float> s0 = default, s1 = default, t0 = default, t1 = default;
            for (var j = 0; j < s.W; j += 2)
            {
                var gq = Load(gy, (row + j / 2) * s.C + c, s.BFloat16) * quarter;
                var p = (i * s.W + j) * Lanes;
                var (g0, z0) = Step(p, gq);
                var (g1, z1) = Step(p + Lanes, gq);
                s0 += g0;
                t0 = Vector512.FusedMultiplyAdd(g0, z0, t0);
                s1 += g1;
                t1 = Vector512.FusedMultiplyAdd(g1, z1, t1);
            }
            dBetaSum.Add(s0 + s1);
            dGammaSum.Add(t0 + t1);
        }
        // g_z = γ σ⁻¹ (g_a - ∂β / M - ẑ ∂γ / M), written over g_a
        var pixels = Vector512.Create((float)s.Pixels);
        Vector512<float> k2 = -scale * dGammaSum.Float32 / pixels, k3 = -scale * dBetaSum.Float32 / pixels;
        for (var i = 0; i < s.H; i++)
        {
            Vector512<float> u0 = default, u1 = default;
            for (var p = i * s.W * Lanes; p < (i + 1) * s.W * Lanes; p += 2 * Lanes)
            {
                u0 += Affine(p);
                u1 += Affine(p + Lanes);
            }
            sumGz.Add(u0 + u1);
        }
        dGammaSum.AddTo(dGamma, c);
        dBetaSum.AddTo(dBeta, c);
        return sumGz;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        (Vector512<float> Ga, Vector512<float> Zh) Step(int at, Vector512<float> gq)
        {
            var zq = Vector512.Load(z + at);
            var zh = (zq - mean) * rstd;
            var ga = Vector512.ConditionalSelect(Vector512.GreaterThan(Vector512.FusedMultiplyAdd(zq, scale, shift), Vector512<float>.Zero), gq, Vector512<float>.Zero);
            zh.Store(z + at);
            ga.Store(g + at);
            return (ga, zh);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        Vector512<float> Affine(int at)
        {
            var gz = Vector512.FusedMultiplyAdd(Vector512.Load(z + at), k2, Vector512.FusedMultiplyAdd(Vector512.Load(g + at), scale, k3));
            gz.Store(g + at);
            return gz;
        }
    }

    /// <summary>The 16 values from element <paramref name="offset"/> of a float32 or bfloat16 tensor.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> Load(nint from, long offset, bool bfloat16) =>
        bfloat16 ? FromBFloat16((ushort*)from + offset) : Vector512.Load((float*)from + offset);

    /// <summary><paramref name="v"/> to element <paramref name="offset"/> of a float32 or bfloat16 tensor.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Save(Vector512<float> v, nint to, long offset, bool bfloat16)
    {
        if (bfloat16) ToBFloat16(v).Store((ushort*)to + offset);
        else v.Store((float*)to + offset);
    }
}

/// <summary>
/// A float32 buffer aligned to 64 bytes, so that no 512-bit load or store of it straddles two cache lines (a managed
/// array is aligned to 8 or 16); freed on dispose.
/// </summary>
internal readonly unsafe struct AlignedFloats(int count) : IDisposable
{
    public float* Pointer { get; } = (float*)NativeMemory.AlignedAlloc((nuint)count * sizeof(float), 64);

    public void Dispose() => NativeMemory.AlignedFree(Pointer);
}

/// <summary>
/// One image's feature maps as the kernels see them: C channels of H x W pixels before the 2x2 pooling (H and W even),
/// stored channels-last, float32 or bfloat16.
/// </summary>
internal readonly record struct Maps(int C, int H, int W, bool BFloat16)
{
    public int Hq => H / 2;
    public int Wq => W / 2;
    public int Pixels => H * W;
    public int Pooled => Hq * Wq;
}

/// <summary>
/// 16 float32 lanes summed in float64: the kernels' reductions over a map add each row's float32 partial sums here, so
/// a sum over a whole map rounds about as a sum over one row.
/// </summary>
internal struct Float64Lanes
{
    private Vector512<double> _lower, _upper;

    public void Add(Vector512<float> v)
    {
        var (lower, upper) = Vector512.Widen(v);
        _lower += lower;
        _upper += upper;
    }

    /// <summary>The sums rounded to float32.</summary>
    public readonly Vector512<float> Float32 => Vector512.Narrow(_lower, _upper);

    /// <summary>Adds lane l to <paramref name="sums"/>[<paramref name="at"/> + l · <paramref name="stride"/>].</summary>
    public readonly void AddTo(double[] sums, int at, int stride = 1)
    {
        for (var l = 0; l < Vector512<double>.Count; l++)
        {
            sums[at + l * stride] += _lower[l];
            sums[at + (l + Vector512<double>.Count) * stride] += _upper[l];
        }
    }
}
