using Condensa.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Samples;

/// <summary>The plug-in's entry point: `condensa run` calls it when a config lists this assembly under `plugins`.</summary>
public sealed class Plugin : ICondensaPlugin
{
    public void ConfigureServices(IServiceCollection services) =>
        // docs:begin registration
        services.AddMemoryBuilder<EveryOtherOptions>("every-other", "selector", "Every other image of each class, after an offset", o => new EveryOtherSelector(o));
        // docs:end registration
}
