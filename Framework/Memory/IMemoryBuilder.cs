using TorchSharp;

namespace Condensa.Memory;

/// <summary>A memory builder (selector or synthesizer), registered by name in <see cref="MemoryBuilderRegistry"/>.</summary>
public interface IMemoryBuilder
{
    MemorySet Build(MemoryRequest request, CancellationToken cancellationToken);
}
