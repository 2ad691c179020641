using Condensa.Hosting;
using Condensa.Scenarios.Cli;
using Microsoft.Extensions.DependencyInjection;
using Condensa.Tests.Support;

namespace Condensa.Tests.Scenarios.Cli;

/// <summary>Every shipped config binds and validates against the registered scenarios and builders.</summary>
[TestClass]
public sealed class ConfigsValidateTests
{

    public static IEnumerable<object[]> Configs() =>
        Directory.EnumerateFiles(Path.Combine(Repository.Root, "Configs"), "*.yaml", SearchOption.AllDirectories)
            .Order().Select(f => new object[] { Path.GetRelativePath(Repository.Root, f) });

    [TestMethod]
    [DynamicData(nameof(Configs))]
    public void ShippedConfigValidates(string relativePath)
    {
        using var host = CondensaCli.BuildHost(verbose: false);
        var (scenario, options) = host.Services.GetRequiredService<ConfigLoader>().Load(Path.Combine(Repository.Root, relativePath));
        Assert.AreEqual(scenario.Name, options.Scenario);
    }
}
