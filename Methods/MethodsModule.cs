using Condensa.Memory;
using Condensa.Methods.Selection;

namespace Condensa.Methods;

/// <summary>Registers every selector and synthesizer of this assembly by name.</summary>
public static class MethodsModule
{
    public static void Register(MemoryBuilderRegistry registry)
    {
        registry.Register<RandomOptions>("random", "selector", "Uniform random samples per class, without replacement", o => new RandomSelector(o));
    }
}
