using Condensa.Hosting;
using Condensa.Memory;
using Condensa.Study;
using Microsoft.Extensions.Logging;
using Condensa.Runtime;

namespace Condensa.Work;

/// <summary>What a worker gives the executor of one study: the study, its run's options, files and execution settings, the builders, logging.</summary>
public sealed class UnitEnvironment
{
    public required SearchStudy Study { get; init; }
    public required RunOptions Options { get; init; }
    public required RunFiles Files { get; init; }
    public required ExecutionSettings Settings { get; init; }
    public required MemoryBuilderRegistry Builders { get; init; }
    public required ILogger Log { get; init; }
    public required IProgressSink Progress { get; init; }

    /// <summary>A memory pipeline over the run's files (its dynamics cache lives as long as it does).</summary>
    public MemoryPipeline Pipeline() => new(Builders, Files, Settings, Log, Progress);
}
