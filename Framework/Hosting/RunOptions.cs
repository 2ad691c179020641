using System.ComponentModel.DataAnnotations;
using Condensa.Data;
using Condensa.Config;
using Condensa.Runtime;

namespace Condensa.Hosting;

/// <summary>Keys every scenario config has; each scenario's options class derives from this.</summary>
public class RunOptions : IValidatableOptions
{
    /// <summary>Which scenario runs (train, compare, continual, nas, ...).</summary>
    [Required] public string Scenario { get; set; } = "";

    /// <summary>Name of the run, a folder name (the run folder is runs/NAME-TIMESTAMP unless --out is given).</summary>
    public string? Name { get; set; }

    /// <summary>Master seed: every random stream of the run (data split, model init, shuffling, augmentation, builders) derives from it.</summary>
    [Range(0L, long.MaxValue)] public long Seed { get; set; }

    /// <summary>auto (CUDA when available, else CPU), cpu or cuda.</summary>
    public DeviceKind Device { get; set; } = DeviceKind.Auto;

    /// <summary>CPU threads for libtorch per worker process (0 = the cores shared equally by the run's local workers).</summary>
    [Range(0, 1024)] public int Threads { get; set; }

    public DatasetOptions Dataset { get; set; } = new();

    /// <summary>Checks relations between keys; a derived class adds its own checks and calls this one.</summary>
    public virtual void Validate(Action<string, string> error)
    {
        if (Name is { } name && (name.Length == 0 || name is "." or ".." || name.IndexOfAny(['/', '\\', '\0']) >= 0 || name.Contains("..", StringComparison.Ordinal)))
            error("name", $"'{name}' is not a folder name: the run folder is runs/NAME-TIMESTAMP, so a name has no '/', '\\' or '..' (use --out DIR to choose the folder)");
    }
}

/// <summary>How workers share a run's memories and checkpoints.</summary>
public enum MemorySharing
{
    /// <summary>store when the study store is PostgreSQL (workers may be on other machines), else folder.</summary>
    Auto,
    /// <summary>Every worker reads and writes the run folder (one machine, or a file system all workers mount).</summary>
    Folder,
    /// <summary>Through the study store's database, for workers on machines without the run folder.</summary>
    Store,
}

/// <summary>
/// Keys of the scenarios whose work is a plan of units in a study store (compare, continual, nas): where the store is,
/// how many worker processes this machine runs, their heartbeat, and how they share files.
/// </summary>
public class StudyRunOptions : RunOptions
{
    /// <summary>Study store URL: sqlite:PATH (default: study.db in the run folder) or postgresql://user:password@host:port/db for workers on many machines.</summary>
    public string? Storage { get; set; }

    /// <summary>Worker processes on this machine, this one included; they split the cores (threads per worker = cores / workers unless threads is set). More can join from anywhere with `condensa worker`.</summary>
    [Range(1, 256)] public int Workers { get; set; } = 1;

    /// <summary>Seconds between a running unit's heartbeats; a unit silent for 3x this is given to another worker.</summary>
    [Range(0.1, 3600.0)] public double HeartbeatSeconds { get; set; } = 10;

    /// <summary>How workers share memories and continual checkpoints: auto (store with a PostgreSQL store, else folder), folder, or store.</summary>
    public MemorySharing MemorySharing { get; set; } = MemorySharing.Auto;

    /// <summary>The most one folder shared through the study store may hold, in MB (memory_sharing: store).</summary>
    [Range(1, 1024)] public int StoreLimitMb { get; set; } = 256;

    /// <summary>Threads each worker of this run uses (<see cref="RunOptions.Threads"/>, or the cores split between the local workers).</summary>
    public int ThreadsPerWorker => ExecutionSettings.ThreadsPerWorker(Threads, Workers);
}
