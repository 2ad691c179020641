using TorchSharp;

namespace Condensa.Memory;

/// <summary>Artifacts held in this process; disposing the cache disposes them (and the disposable items of cached lists).</summary>
public sealed class InMemoryArtifactCache : IArtifactCache, IDisposable
{
    private readonly Dictionary<string, object> _items = new();

    public T GetOrAdd<T>(string key, Func<T> create) where T : class
    {
        if (_items.TryGetValue(key, out var v)) return (T)v;
        var created = create();
        _items[key] = created;
        return created;
    }

    public void Dispose()
    {
        foreach (var item in _items.Values)
            foreach (var disposable in item is System.Collections.IEnumerable many ? many.OfType<IDisposable>() : new[] { item }.OfType<IDisposable>())
                disposable.Dispose();
        _items.Clear();
    }
}
