using System.ComponentModel.DataAnnotations;
using Condensa.Runtime;

namespace Condensa.Hosting;

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
