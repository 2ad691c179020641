namespace Condensa.Hosting;

/// <summary>What the CPU can do natively, where it matters for choosing a number format.</summary>
public static class CpuFeatures
{
    private static readonly Lazy<bool> NativeBFloat16 = new(() =>
    {
        // Linux lists the instruction-set extensions in /proc/cpuinfo ("flags : ... avx512_bf16 ... amx_bf16").
        const string cpuinfo = "/proc/cpuinfo";
        if (!File.Exists(cpuinfo)) return false;
        var flags = File.ReadLines(cpuinfo).FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal));
        return flags is not null && flags.Split(' ', ':', '\t').Any(f => f is "avx512_bf16" or "amx_bf16");
    });

    /// <summary>True when the CPU computes bfloat16 dot products natively (AVX512-BF16 or AMX-BF16; Linux only).</summary>
    public static bool HasNativeBFloat16 => NativeBFloat16.Value;
}
