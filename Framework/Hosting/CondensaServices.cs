using Condensa.Config;
using Condensa.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Condensa.Hosting;

/// <summary>A memory builder added to a service collection, registered when the host builds its <see cref="MemoryBuilderRegistry"/>.</summary>
public sealed record MemoryBuilderRegistration(Action<MemoryBuilderRegistry> Register);

/// <summary>
/// How a .NET host gets Condensa and how users extend it: <c>AddMemoryBuilder</c> adds a selector or synthesizer by
/// name (usable from YAML in every scenario), <c>AddScenario</c> a scenario; the registries and the config loader are
/// filled from these registrations. <c>AddCondensa()</c> (Condensa.Scenarios) adds the built-in ones.
/// </summary>
public static class CondensaServiceCollectionExtensions
{
    /// <summary>
    /// Adds a memory builder: <paramref name="name"/> is its YAML name, <paramref name="kind"/> <c>selector</c> or
    /// <c>synthesizer</c>, <paramref name="summary"/> its line in <c>condensa methods</c>; <typeparamref name="TOptions"/>'s
    /// public settable properties are its YAML options (snake_case), documented by their XML doc comments.
    /// </summary>
    public static IServiceCollection AddMemoryBuilder<TOptions>(this IServiceCollection services, string name, string kind, string summary,
        Func<TOptions, IMemoryBuilder> factory) where TOptions : class, new() =>
        services.AddMemoryBuilders(registry => registry.Register(name, kind, summary, factory));

    /// <summary>Adds builders registered by <paramref name="register"/> (a module registering several at once).</summary>
    public static IServiceCollection AddMemoryBuilders(this IServiceCollection services, Action<MemoryBuilderRegistry> register)
    {
        services.AddCondensaCore();
        services.AddSingleton(new MemoryBuilderRegistration(register));
        return services;
    }

    /// <summary>Adds a scenario, chosen by a config's <c>scenario: NAME</c>.</summary>
    public static IServiceCollection AddScenario<TScenario>(this IServiceCollection services) where TScenario : class, IScenario
    {
        services.AddCondensaCore();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IScenario, TScenario>());
        return services;
    }

    /// <summary>The registries and the config loader (once, whoever calls it first).</summary>
    public static IServiceCollection AddCondensaCore(this IServiceCollection services)
    {
        services.TryAddSingleton(provider =>
        {
            var registry = new MemoryBuilderRegistry();
            foreach (var registration in provider.GetServices<MemoryBuilderRegistration>()) registration.Register(registry);
            return registry;
        });
        services.TryAddSingleton<ScenarioRegistry>();
        services.TryAddSingleton<ConfigLoader>();
        return services;
    }
}
