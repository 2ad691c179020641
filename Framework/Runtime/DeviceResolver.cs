using TorchSharp;

namespace Condensa.Runtime;

internal static class DeviceResolver
{
    /// <summary>
    /// auto → CUDA when the CUDA backend is present and sees a GPU, else CPU; cuda without a GPU is an error. Every run and
    /// worker resolves its device before computing, so this is also where the <see cref="LibTorchSwitches"/> are set.
    /// </summary>
    public static torch.Device Resolve(DeviceKind kind)
    {
        LibTorchSwitches.Apply();
        return kind switch
        {
            DeviceKind.Cpu => torch.CPU,
            DeviceKind.Cuda when torch.cuda.is_available() => torch.CUDA,
            DeviceKind.Cuda => throw new CondensaException("device: cuda was requested but no CUDA device is available to TorchSharp.",
                "build with the CUDA backend (`dotnet build -p:TorchBackend=cuda`, needs NVIDIA drivers) or set `device: auto` / `device: cpu`"),
            _ => torch.cuda.is_available() ? torch.CUDA : torch.CPU,
        };
    }
}
