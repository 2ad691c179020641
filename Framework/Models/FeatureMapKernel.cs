using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using TorchSharp;
using static TorchSharp.torch;

namespace Condensa.Models;

/// <summary>
/// What the fused ConvNet kernels (<see cref="InputBlockKernel"/>, <see cref="NormReluPoolKernel"/>) do to one feature map
/// of M pixels in float32, and how they split the work. A map is normalized as instance norm (GroupNorm with one channel
/// per group, Wu and He 2018): <c>μ = Σz / M</c>, <c>σ⁻¹ = (Σ(z - μ)² / M + ε)^-1/2</c>, <c>ẑ = (z - μ) σ⁻¹</c>,
/// <c>a = max(0, γ ẑ + β)</c>; backward takes the normalization gradient of Ioffe and Szegedy (2015, Section 3) over the
/// map: <c>∂γ = Σ g_a ẑ</c>, <c>∂β = Σ g_a</c>, <c>g_z = γ σ⁻¹ (g_a - ∂β / M - ẑ ∂γ / M)</c>. M is a multiple of 64 in
/// every map the kernels take (the loops step by two or four vectors of 16). Channels are split into fixed ranges, one
/// per libtorch thread (<c>get_num_threads</c>), each run on a .NET thread: every gradient has one writer and sums over
/// the batch in image order, whatever the thread count. bfloat16 values are rounded to nearest even, as libtorch does.
/// The loops are compiled fully optimized at their first call (<c>AggressiveOptimization</c>) rather than after .NET's
/// tiers.
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
        var dtype = bfloat16 ? ScalarType.BFloat16 : ScalarType.Float32;
        if (t.dtype != dtype || !t.is_contiguous() || t.device_type != DeviceType.CPU)
            throw new ArgumentException($"expected a contiguous {dtype} CPU tensor, got {t.dtype} on {t.device}");
        // the first element's bytes: a span over the whole tensor would be limited to 2 GiB
        using var flat = t.view(-1);
        using var first = flat.narrow(0, 0, 1);
        return (nint)Unsafe.AsPointer(ref MemoryMarshal.GetReference(first.bytes));
    }

    /// <summary>Runs <paramref name="body"/> on one contiguous range of channels per libtorch thread.</summary>
    internal static void ForEachChannelRange(int channels, Action<int, int> body)
    {
        var parts = Math.Clamp(get_num_threads(), 1, channels);
        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts },
            p => body(channels * p / parts, channels * (p + 1) / parts));
    }

    /// <summary>
    /// μ and σ⁻¹ = (biased variance + ε)^-1/2 of one map, in two passes, each summing four vectors at a time into four
    /// accumulators so that the adds do not wait on each other (M is a multiple of 64 for every map the kernels take).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static (float Mean, float Rstd) Moments(float* z, int m, float eps)
    {
        const int v = 16;
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        for (var q = 0; q < m; q += 4 * v)
        {
            a0 += Vector512.Load(z + q);
            a1 += Vector512.Load(z + q + v);
            a2 += Vector512.Load(z + q + 2 * v);
            a3 += Vector512.Load(z + q + 3 * v);
        }
        var mean = Vector512.Sum(a0 + a1 + (a2 + a3)) / m;
        var centre = Vector512.Create(mean);
        a0 = a1 = a2 = a3 = default;
        for (var q = 0; q < m; q += 4 * v)
        {
            Vector512<float> d0 = Vector512.Load(z + q) - centre, d1 = Vector512.Load(z + q + v) - centre;
            Vector512<float> d2 = Vector512.Load(z + q + 2 * v) - centre, d3 = Vector512.Load(z + q + 3 * v) - centre;
            a0 = Vector512.FusedMultiplyAdd(d0, d0, a0);
            a1 = Vector512.FusedMultiplyAdd(d1, d1, a1);
            a2 = Vector512.FusedMultiplyAdd(d2, d2, a2);
            a3 = Vector512.FusedMultiplyAdd(d3, d3, a3);
        }
        return (mean, 1 / MathF.Sqrt(Vector512.Sum(a0 + a1 + (a2 + a3)) / m + eps));
    }

    /// <summary>
    /// γ ẑ + β = z · scale + shift with scale = γ σ⁻¹ and shift = β - μ · scale: forward and backward both take the ReLU's
    /// mask from this one expression, so the two masks agree bit for bit.
    /// </summary>
    internal static (float Scale, float Shift) ScaleShift(float gamma, float beta, float mean, float rstd)
    {
        var scale = gamma * rstd;
        return (scale, beta - mean * scale);
    }

    /// <summary>a = max(0, z · scale + shift) in place (<see cref="ScaleShift"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void NormalizeRelu(float* z, int m, float scale, float shift)
    {
        Vector512<float> vs = Vector512.Create(scale), vt = Vector512.Create(shift);
        for (var q = 0; q < m; q += Vector512<float>.Count)
            Vector512.Max(Vector512.FusedMultiplyAdd(Vector512.Load(z + q), vs, vt), Vector512<float>.Zero).Store(z + q);
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
    /// Turns z into ẑ and the pooled gradient into g_a (zero where the forward pass's z · scale + shift ≤ 0: the same
    /// expression, so the same mask), both in place; returns Σ g_a and Σ g_a ẑ, each summed in two accumulators
    /// (alternate vectors) so that the adds do not wait on each other.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static (float SumGa, float SumGaZ) ReluNormGradient(float* z, float* g, int m, float mean, float rstd, float scale, float shift)
    {
        Vector512<float> vm = Vector512.Create(mean), vr = Vector512.Create(rstd), vs = Vector512.Create(scale), vt = Vector512.Create(shift);
        Vector512<float> s1 = default, s2 = default, t1 = default, t2 = default;
        for (var q = 0; q < m; q += 2 * Vector512<float>.Count)
        {
            var (ga, zh) = Step(q);
            s1 += ga;
            s2 = Vector512.FusedMultiplyAdd(ga, zh, s2);
            (ga, zh) = Step(q + Vector512<float>.Count);
            t1 += ga;
            t2 = Vector512.FusedMultiplyAdd(ga, zh, t2);
        }
        return (Vector512.Sum(s1 + t1), Vector512.Sum(s2 + t2));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        (Vector512<float> Ga, Vector512<float> Zh) Step(int q)
        {
            var zq = Vector512.Load(z + q);
            var zh = (zq - vm) * vr;
            var ga = Vector512.ConditionalSelect(Vector512.GreaterThan(Vector512.FusedMultiplyAdd(zq, vs, vt), Vector512<float>.Zero), Vector512.Load(g + q), Vector512<float>.Zero);
            zh.Store(z + q);
            ga.Store(g + q);
            return (ga, zh);
        }
    }

    /// <summary>g = k1 · g + k2 · ẑ + k3 in place; returns Σ g (two accumulators, alternate vectors).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static float Affine(float* g, float* zh, int m, float k1, float k2, float k3)
    {
        Vector512<float> v1 = Vector512.Create(k1), v2 = Vector512.Create(k2), v3 = Vector512.Create(k3), acc0 = default, acc1 = default;
        for (var q = 0; q < m; q += 2 * Vector512<float>.Count)
        {
            acc0 += Step(q);
            acc1 += Step(q + Vector512<float>.Count);
        }
        return Vector512.Sum(acc0 + acc1);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        Vector512<float> Step(int q)
        {
            var r = Vector512.FusedMultiplyAdd(Vector512.Load(zh + q), v2, Vector512.FusedMultiplyAdd(Vector512.Load(g + q), v1, v3));
            r.Store(g + q);
            return r;
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
