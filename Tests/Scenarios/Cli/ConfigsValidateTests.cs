using Condensa.Hosting;
using Condensa.Scenarios.Cli;
using Microsoft.Extensions.DependencyInjection;

namespace Condensa.Tests.Scenarios.Cli;

/// <summary>Every shipped config binds and validates against the registered scenarios and builders.</summary>
[TestClass]
public sealed class ConfigsValidateTests
{
    internal static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Applications.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Applications.sln not found above " + AppContext.BaseDirectory);
    }

    public static IEnumerable<object[]> Configs() =>
        Directory.EnumerateFiles(Path.Combine(RepositoryRoot(), "Configs"), "*.yaml", SearchOption.AllDirectories)
            .Order().Select(f => new object[] { Path.GetRelativePath(RepositoryRoot(), f) });

    [TestMethod]
    [DynamicData(nameof(Configs))]
    public void ShippedConfigValidates(string relativePath)
    {
        using var host = CondensaCli.BuildHost(verbose: false);
        var (scenario, options) = host.Services.GetRequiredService<ConfigLoader>().Load(Path.Combine(RepositoryRoot(), relativePath));
        Assert.AreEqual(scenario.Name, options.Scenario);
    }
}
