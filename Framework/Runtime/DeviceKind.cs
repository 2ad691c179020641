namespace Condensa.Runtime;

/// <summary>Where tensors live: auto (CUDA when available, else the CPU), the CPU, or CUDA.</summary>
public enum DeviceKind { Auto, Cpu, Cuda }
