using TorchSharp;

namespace Condensa.Runtime;

/// <summary>
/// Where and with how many libtorch threads work runs, whether the CPU computes bfloat16 natively (what
/// <c>precision: auto</c> picks) and which kernels compute (<see cref="CondensaKernels"/>). All change float results (a
/// reduction's order depends on the thread count and on the kernel), so they are part of every memory's identity and
/// every work unit's key: a result is reused only under the same settings.
/// </summary>
public sealed record ExecutionSettings(torch.Device Device, int Threads)
{
    /// <summary>The settings as text for identities, e.g. <c>cpu+bf16+fused-cl threads 2</c>.</summary>
    public string Key => KeyOf(Device.type.ToString().ToLowerInvariant(), Threads);

    /// <summary>The identity text of a device type and a thread count.</summary>
    public static string KeyOf(string deviceType, int threads) =>
        $"{deviceType}{(deviceType == "cpu" && CpuFeatures.HasNativeBFloat16 ? "+bf16" : "")}{CondensaKernels.Key(deviceType)} threads {threads}";

    /// <summary>Threads per worker: the configured count, or the cores shared equally by <paramref name="workers"/> local workers (at least 1).</summary>
    public static int ThreadsPerWorker(int configured, int workers) => configured > 0 ? configured : Math.Max(1, Environment.ProcessorCount / Math.Max(1, workers));
}
