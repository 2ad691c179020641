using System.Runtime.InteropServices;
using TorchSharp;

namespace Condensa.Runtime;

/// <summary>Process-wide libtorch switches that TorchSharp does not expose, set once before the first computation.</summary>
internal static class LibTorchSwitches
{
    private static readonly Lazy<bool> Applied = new(DisableNnpack);

    /// <summary>
    /// Turns NNPACK off (PyTorch's <c>torch.backends.nnpack.set_flags(False)</c>), at most once per process; true when
    /// libtorch took the switch. libtorch asks for NNPACK before every float32 convolution that oneDNN does not take
    /// (a batch of one synthetic image, for instance); on a CPU NNPACK does not support (AMD EPYC among them) it then
    /// logs "Could not initialize NNPACK! Reason: Unsupported hardware" on every such call, 90 lines per DC iteration,
    /// and falls back to its own kernels. With the switch off it skips the question, and every machine computes these
    /// convolutions with the same kernels.
    /// </summary>
    public static bool Apply() => Applied.Value;

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate IntPtr GlobalContext();

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate void SetUserEnabledNnpack(IntPtr context, [MarshalAs(UnmanagedType.U1)] bool enabled);

    private static bool DisableNnpack()
    {
        // at::globalContext().setUserEnabledNNPACK(false) by their Itanium C++ names (GCC and Clang builds of libtorch);
        // Windows builds name them differently and are left as they are.
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return false;
        _ = torch.get_num_threads(); // makes TorchSharp load libtorch
        var file = OperatingSystem.IsLinux() ? "libtorch_cpu.so" : "libtorch_cpu.dylib";
        if (!NativeLibrary.TryLoad(file, out var library)) return false;
        if (!NativeLibrary.TryGetExport(library, "_ZN2at13globalContextEv", out var context)
            || !NativeLibrary.TryGetExport(library, "_ZN2at7Context20setUserEnabledNNPACKEb", out var setter)) return false;
        Marshal.GetDelegateForFunctionPointer<SetUserEnabledNnpack>(setter)(Marshal.GetDelegateForFunctionPointer<GlobalContext>(context)(), false);
        return true;
    }
}
