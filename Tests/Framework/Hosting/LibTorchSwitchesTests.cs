using System.Runtime.InteropServices;
using TorchSharp;
using Condensa.Runtime;

namespace Condensa.Tests.Framework.Hosting;

[TestClass]
public sealed class LibTorchSwitchesTests
{
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate IntPtr GlobalContext();

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    [return: MarshalAs(UnmanagedType.U1)]
    private delegate bool UserEnabledNnpack(IntPtr context);

    [TestMethod]
    public void Apply_turns_nnpack_off_in_libtorch_and_convolutions_still_compute()
    {
        if (!OperatingSystem.IsLinux()) Assert.Inconclusive("the switch is set by its Itanium C++ name on Linux and macOS");
        Assert.IsTrue(LibTorchSwitches.Apply());
        Assert.IsTrue(LibTorchSwitches.Apply(), "a second call is a no-op that reports the same");

        // read the flag back through libtorch's own getter, at::Context::userEnabledNNPACK() const
        Assert.IsTrue(NativeLibrary.TryLoad("libtorch_cpu.so", out var library));
        var context = Marshal.GetDelegateForFunctionPointer<GlobalContext>(NativeLibrary.GetExport(library, "_ZN2at13globalContextEv"))();
        var enabled = Marshal.GetDelegateForFunctionPointer<UserEnabledNnpack>(NativeLibrary.GetExport(library, "_ZNK2at7Context17userEnabledNNPACKEv"));
        Assert.IsFalse(enabled(context));

        // a float32 batch-1 convolution (the case that asked for NNPACK) against the sum it stands for
        using var x = torch.arange(16f).reshape(1, 1, 4, 4);
        using var w = torch.ones(1, 1, 3, 3);
        using var y = torch.nn.functional.conv2d(x, w);
        CollectionAssert.AreEqual(new[] { 45f, 54f, 81f, 90f }, y.data<float>().ToArray());
    }
}
