using System.Text.Json;
using Condensa.Runtime;

namespace Condensa.Hosting;

/// <summary>
/// Ownership of a run folder: the one <c>condensa run</c> that writes it holds an OS lock on <c>.condensa-lock</c> (freed
/// when the process ends, however it ends) and names itself in <c>.condensa-owner</c>, so a second run on the same
/// folder can say who owns it.
/// </summary>
internal sealed class RunLock : IDisposable
{
    private const string LockFile = ".condensa-lock", OwnerFile = ".condensa-owner";

    private readonly FileLock _lock;
    private readonly string _folder;
    private readonly string _started = DateTimeOffset.Now.ToString("yyyy-MM-dd HH:mm:ss zzz", System.Globalization.CultureInfo.InvariantCulture);

    private RunLock(FileLock fileLock, string folder)
    {
        _lock = fileLock;
        _folder = folder;
    }

    /// <summary>The lock of <paramref name="runFolder"/>, or null when another process holds it.</summary>
    public static RunLock? TryTake(string runFolder)
    {
        if (FileLock.TryAcquire(Path.Combine(runFolder, LockFile)) is not { } taken) return null;
        var owned = new RunLock(taken, runFolder);
        owned.Announce([]);
        return owned;
    }

    /// <summary>Names the studies the owner works, so that a second run of the folder can tell whether it runs the same config.</summary>
    public void Announce(IReadOnlyList<string> studies)
    {
        var owner = new { host = Environment.MachineName, pid = Environment.ProcessId, started = _started, command = Secrets.Mask(Environment.CommandLine), studies };
        var path = Path.Combine(_folder, OwnerFile);
        File.WriteAllText(path + ".tmp", JsonSerializer.Serialize(owner));
        File.Move(path + ".tmp", path, overwrite: true);
    }

    /// <summary>The studies the owner of <paramref name="runFolder"/> announced (empty while it has not yet).</summary>
    public static IReadOnlyList<string> OwnerStudies(string runFolder)
    {
        try
        {
            using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(runFolder, OwnerFile)));
            return json.RootElement.TryGetProperty("studies", out var studies) ? studies.EnumerateArray().Select(s => s.GetString()!).ToList() : [];
        }
        catch (Exception e) when (e is IOException or JsonException)
        {
            return [];
        }
    }

    /// <summary>Who holds the folder, as its owner wrote it (for messages).</summary>
    public static string Owner(string runFolder)
    {
        try
        {
            using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(runFolder, OwnerFile)));
            var o = json.RootElement;
            return $"process {o.GetProperty("pid").GetInt32()} on {o.GetProperty("host").GetString()}, started {o.GetProperty("started").GetString()} ({o.GetProperty("command").GetString()})";
        }
        catch (Exception e) when (e is IOException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return "another process";
        }
    }

    public void Dispose() => _lock.Dispose();
}
