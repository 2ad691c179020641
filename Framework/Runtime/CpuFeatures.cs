namespace Condensa.Runtime;

/// <summary>What the CPU can do natively, where it matters for choosing a number format.</summary>
internal static class CpuFeatures
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

    /// <summary>What <c>precision: auto</c> computes in on a device of type <paramref name="deviceType"/>, and why (for the run's first log line).</summary>
    public static string AutoPrecision(string deviceType) =>
        deviceType != "cpu" ? "float32 (auto: bfloat16 is used only on CPUs)"
        : HasNativeBFloat16 ? "bfloat16 (auto: the CPU has native bfloat16)"
        : "float32 (auto: this CPU has no native bfloat16, AVX512-BF16 or AMX)";
}
