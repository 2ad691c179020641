namespace Condensa.Runtime;

/// <summary>An exclusive advisory lock on a file (flock on Linux), released on dispose or when the process ends.</summary>
internal sealed class FileLock : IDisposable
{
    private readonly FileStream _stream;

    private FileLock(FileStream stream) => _stream = stream;

    /// <summary>The lock, or null when another process holds it.</summary>
    public static FileLock? TryAcquire(string path)
    {
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        try
        {
            return new FileLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Waits (polling, cancellable) until the lock is free, then takes it.</summary>
    public static FileLock Acquire(string path, CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromMilliseconds(20);
        while (true)
        {
            if (TryAcquire(path) is { } taken) return taken;
            cancellationToken.WaitHandle.WaitOne(delay);
            cancellationToken.ThrowIfCancellationRequested();
            delay = TimeSpan.FromMilliseconds(Math.Min(500, delay.TotalMilliseconds * 2));
        }
    }

    public void Dispose() => _stream.Dispose();
}
