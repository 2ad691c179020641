
namespace Condensa.Hosting;

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
