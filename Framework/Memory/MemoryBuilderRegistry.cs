using System.ComponentModel;
using Condensa.Config;

namespace Condensa.Memory;

/// <summary>
/// The plug-in registry: <c>Methods</c> registers every selector and synthesizer by name with a typed options class;
/// scenarios create builders from <see cref="MethodSpec"/>s bound from YAML.
/// </summary>
public sealed class MemoryBuilderRegistry : IMethodCatalog
{
    private readonly SortedDictionary<string, Registration> _builders = new(StringComparer.Ordinal);

    public sealed record Registration(string Name, string Kind, string Description, Type OptionsType, Func<object, IMemoryBuilder> Create);

    public MemoryBuilderRegistry Register<TOptions>(string name, string kind, string description, Func<TOptions, IMemoryBuilder> create)
        where TOptions : class, new()
    {
        if (!_builders.TryAdd(name, new Registration(name, kind, description, typeof(TOptions), o => create((TOptions)o))))
            throw new CondensaException($"a memory builder named '{name}' is already registered (a built-in or another plug-in's)", "give the new builder another name");
        return this;
    }

    public IReadOnlyCollection<string> Names => _builders.Keys;
    public IEnumerable<Registration> All => _builders.Values;
    public Type? OptionsType(string name) => _builders.TryGetValue(name, out var r) ? r.OptionsType : null;

    public IMemoryBuilder Create(MethodSpec spec) =>
        _builders.TryGetValue(spec.Name, out var r)
            ? r.Create(spec.Options)
            : throw new CondensaException($"unknown builder '{spec.Name}'; registered builders: {string.Join(", ", Names)}");

    /// <summary>A builder with its default options (for code and tests).</summary>
    public IMemoryBuilder Create(string name) =>
        Create(new MethodSpec { Name = name, Options = Activator.CreateInstance(OptionsType(name) ?? throw new CondensaException($"unknown builder '{name}'; registered builders: {string.Join(", ", Names)}"))! });
}
