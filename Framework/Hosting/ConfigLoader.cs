using Condensa.Config;
using Condensa.Memory;
using YamlDotNet.RepresentationModel;

namespace Condensa.Hosting;

/// <summary>Reads a config file (plus --set overrides), loads its plug-ins, picks its scenario and binds the scenario's typed options.</summary>
public sealed class ConfigLoader(ScenarioRegistry scenarios, MemoryBuilderRegistry builders)
{
    private readonly PluginLoader _plugins = new(builders, scenarios);

    public (IScenario Scenario, RunOptions Options) Load(string path, IEnumerable<string>? overrides = null) =>
        Bind(YamlConfig.Load(path, overrides), path);

    /// <summary>Loads only the plug-ins a config names (e.g. to list their builders), refusing a bad entry as <see cref="Bind"/> does.</summary>
    public void LoadPlugins(string path)
    {
        var errors = new ConfigErrors(path);
        _plugins.Apply(YamlConfig.Load(path), path, errors);
        errors.ThrowIfAny();
    }

    public (IScenario Scenario, RunOptions Options) Bind(YamlMappingNode root, string source)
    {
        var errors = new ConfigErrors(source);
        _plugins.Apply(root, source, errors);
        errors.ThrowIfAny();
        var allowed = string.Join(", ", scenarios.All.Select(s => s.Name));
        var scenarioNode = root.Children.FirstOrDefault(kv => (kv.Key as YamlScalarNode)?.Value == "scenario").Value;
        if (scenarioNode is not YamlScalarNode { Value: { } name })
        {
            errors.Add(scenarioNode ?? root, "scenario", $"is required; allowed values: {allowed}");
            errors.ThrowIfAny();
            throw new InvalidOperationException();
        }
        var scenario = scenarios.Find(name);
        if (scenario is null)
        {
            errors.Add(scenarioNode, "scenario", $"'{name}' is not a scenario; allowed values: {allowed}");
            errors.ThrowIfAny();
        }
        var options = (RunOptions)new OptionsBinder(errors, builders).Bind(scenario!.OptionsType, root);
        errors.ThrowIfAny();
        return (scenario, options);
    }
}
