using TorchSharp;

namespace Condensa.Memory;

/// <summary>Artifacts computed once per run and shared between builders (keyed by a string that names their inputs).</summary>
public interface IArtifactCache
{
    T GetOrAdd<T>(string key, Func<T> create) where T : class;
}
