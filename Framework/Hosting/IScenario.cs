using Condensa.Memory;
using Condensa.Reporting;
using Microsoft.Extensions.Logging;
using TorchSharp;
using Condensa.Runtime;

namespace Condensa.Hosting;

/// <summary>A runnable use of Condensa (train, compare, continual, nas...), chosen by the config's <c>scenario</c> key.</summary>
public interface IScenario
{
    string Name { get; }
    string Description { get; }
    /// <summary>The options class the config binds to (derives from <see cref="RunOptions"/>).</summary>
    Type OptionsType { get; }
    /// <summary>Runs to completion, writing results into <see cref="RunContext.Directory"/>; returns the process exit code.</summary>
    int Run(RunContext context, RunOptions options, CancellationToken cancellationToken);
}

/// <summary>What a running scenario gets from the host.</summary>
public sealed class RunContext
{
    public required RunDirectory Directory { get; init; }
    public required ILogger Log { get; init; }
    public required torch.Device Device { get; init; }
    public required IProgressSink Progress { get; init; }
    public required MemoryBuilderRegistry Builders { get; init; }
    /// <summary>Path of the config file the run came from (for messages).</summary>
    public required string ConfigPath { get; init; }

    /// <summary>This process's hold on the run folder (<c>condensa run</c> takes it; null when nothing else can run there, e.g. in tests).</summary>
    internal Hosting.RunLock? Owner { get; init; }
}

/// <summary>All scenarios known to the host.</summary>
public sealed class ScenarioRegistry
{
    private readonly Dictionary<string, IScenario> _scenarios;

    public ScenarioRegistry(IEnumerable<IScenario> scenarios)
    {
        _scenarios = [];
        foreach (var scenario in scenarios) Add(scenario);
    }

    /// <summary>Adds a scenario (a plug-in's); its name must be new.</summary>
    public void Add(IScenario scenario)
    {
        if (!_scenarios.TryAdd(scenario.Name, scenario))
            throw new CondensaException($"a scenario named '{scenario.Name}' is already registered (a built-in or another plug-in's)", "give the new scenario another name");
    }

    public IEnumerable<IScenario> All => _scenarios.Values.OrderBy(s => s.Name);
    public IScenario? Find(string name) => _scenarios.GetValueOrDefault(name);
}
