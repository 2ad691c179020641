using Condensa.Hosting;
using Condensa.Methods;
using Microsoft.Extensions.DependencyInjection;

namespace Condensa.Scenarios;

/// <summary>Condensa in a .NET host: what the <c>condensa</c> executable runs on.</summary>
public static class CondensaHostExtensions
{
    /// <summary>
    /// Adds the built-in memory builders and the train, compare, continual and nas scenarios, with the registries and the
    /// config loader; add your own with <c>AddMemoryBuilder</c> and <c>AddScenario</c>, before or after.
    /// </summary>
    public static IServiceCollection AddCondensa(this IServiceCollection services) =>
        services.AddCondensaMethods()
            .AddScenario<Train.TrainScenario>()
            .AddScenario<Comparison.CompareScenario>()
            .AddScenario<ContinualLearning.ContinualScenario>()
            .AddScenario<ArchitectureSearch.NasScenario>();
}
