using Condensa.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Condensa.Methods;

/// <summary>The built-in selectors and synthesizers for a .NET host.</summary>
public static class MethodsServiceCollectionExtensions
{
    /// <summary>Adds every selector and synthesizer of Condensa.Methods (<see cref="MethodsModule.Register"/>), once.</summary>
    public static IServiceCollection AddCondensaMethods(this IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(MemoryBuilderRegistration) && d.ImplementationInstance is MemoryBuilderRegistration { Register: var r } && r == MethodsModule.Register))
            return services;
        return services.AddMemoryBuilders(MethodsModule.Register);
    }
}
