using Condensa.Memory;
using Condensa.Reporting;
using Condensa.Study;
using Condensa.Runtime;

namespace Condensa.Work;

/// <summary>
/// A run folder as one worker sees it. A worker on the run's machine (or on a file system every worker mounts) reads
/// and writes the folder itself; a worker elsewhere works in a local mirror of it, and the folders the workers share
/// (memories, continual checkpoints) travel through the study store (<c>memory_sharing: store</c>):
/// <see cref="Fetch"/> brings a folder another worker published, <see cref="Publish"/> makes one written here visible
/// to the others. Folders are keyed by the run's id, so two runs in one store never see each other's files.
/// </summary>
public sealed class RunFiles : IMemoryFiles
{
    private readonly StudyStorage? _store;
    private readonly string _runId;
    private readonly long _limitBytes;

    /// <param name="directory">The run folder, or this worker's mirror of it.</param>
    /// <param name="store">The store the folders are shared through, or null when every worker sees <paramref name="directory"/>.</param>
    /// <param name="runId">The run's id (the key of its files in the store).</param>
    /// <param name="limitMegabytes">The most one published folder may hold (<c>store_limit_mb</c>).</param>
    public RunFiles(RunDirectory directory, StudyStorage? store = null, string runId = "", int limitMegabytes = 256)
    {
        Directory = directory;
        _store = store;
        _runId = runId;
        _limitBytes = limitMegabytes * 1024L * 1024L;
    }

    /// <summary>Files of the folder itself, for one process that needs no sharing (tests, tools).</summary>
    public static RunFiles Local(string path) => new(new RunDirectory(path));

    public RunDirectory Directory { get; }

    public string Root => Directory.Path;

    /// <summary>True when folders are shared through the study store.</summary>
    public bool SharedThroughStore => _store is not null;

    /// <summary>The full path of <paramref name="relative"/> (its parent folder created).</summary>
    public string PathOf(string relative) => Directory.PathOf(relative);

    /// <summary>
    /// Makes <paramref name="folder"/> (relative, '/'-separated) as published in the store present here, overwriting
    /// local copies of its files (the store holds the truth in store mode); files with a <c>.json</c> name, a folder's
    /// completion markers, are written last. Nothing happens without a store or when the store holds none of it.
    /// </summary>
    public void Fetch(string folder)
    {
        if (_store is null) return;
        foreach (var (path, bytes) in _store.Files.Get(_runId, folder).OrderBy(f => f.Path.EndsWith(".json", StringComparison.Ordinal)))
            Directory.WriteAtomic(path, tmp => File.WriteAllBytes(tmp, bytes));
    }

    /// <summary>
    /// Publishes every file under <paramref name="folder"/> to the store in one transaction (nothing without a store).
    /// A folder larger than <c>store_limit_mb</c> is an error that names it, before anything is written.
    /// </summary>
    public void Publish(string folder)
    {
        if (_store is null) return;
        var root = Path.Combine(Directory.Path, folder);
        var files = System.IO.Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Where(f => !f.EndsWith(".tmp", StringComparison.Ordinal) && !f.EndsWith(".lock", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .ToList();
        long size = files.Sum(f => new FileInfo(f).Length);
        if (size > _limitBytes)
            throw new CondensaException(
                $"{folder} holds {size / 1048576.0:0.0} MB, above store_limit_mb = {_limitBytes / 1048576} for folders shared through the study store {_store.Url}",
                "raise store_limit_mb (PostgreSQL keeps up to 1024 MB per file), or give every worker the run folder on a shared file system (memory_sharing: folder)");
        _store.Files.Put(_runId, files.Select(f => (Path.GetRelativePath(Directory.Path, f).Replace('\\', '/'), File.ReadAllBytes(f))).ToList());
    }

    /// <summary>
    /// Holds <paramref name="folder"/> for this process until disposed (an OS file lock beside it, released if the process
    /// dies), so two workers of this machine never write the same folder at once; waits while another holds it.
    /// </summary>
    public IDisposable Lock(string folder, CancellationToken cancellationToken) =>
        FileLock.Acquire(Path.Combine(Directory.Path, folder) + ".lock", cancellationToken);
}
