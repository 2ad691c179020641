using System.Text.Json;
using Condensa.Hosting;
using Condensa.Study;
using Condensa.Runtime;

namespace Condensa.Work;

/// <summary>
/// What every study of a run carries to its workers in its user attributes: the scenario and its resolved config, the
/// run folder and the run's id, the threads per worker and the heartbeat, and how files are shared. A worker on any
/// machine rebuilds everything it needs from these and the store.
/// </summary>
public sealed record RunInfo(string Scenario, string ConfigYaml, string RunFolder, string RunId, string Device, int Threads, double HeartbeatSeconds,
    MemorySharing Sharing, int StoreLimitMb)
{
    /// <summary>The run's execution settings as identity text (<see cref="ExecutionSettings.Key"/>): the coordinator's device type and the threads per worker.</summary>
    public string SettingsKey => ExecutionSettings.KeyOf(Device, Threads);

    /// <summary>The file in a run folder that holds the run's id.</summary>
    public const string IdFile = ".condensa-run";

    /// <summary>The id of the run in <paramref name="runFolder"/>, created on first use (a new folder is a new run).</summary>
    public static string IdOf(string runFolder)
    {
        var path = Path.Combine(runFolder, IdFile);
        if (!File.Exists(path))
        {
            Directory.CreateDirectory(runFolder);
            var tmp = path + "." + Environment.ProcessId + ".tmp";
            File.WriteAllText(tmp, Guid.NewGuid().ToString("N"));
            try
            {
                File.Move(tmp, path, overwrite: false);
            }
            catch (IOException)
            {
                File.Delete(tmp); // another process created it first: its id wins
            }
        }
        return File.ReadAllText(path).Trim();
    }

    /// <summary>A study name of this run: <c>SCENARIO-FOLDER-HASH</c>, the hash over the run's id and <paramref name="key"/> (what its units depend on).</summary>
    public string StudyName(string key) => $"{Scenario}-{Path.GetFileName(RunFolder)}-{Fingerprint.Of($"{RunId}|{key}")[..10]}";

    /// <summary>A unit key of this run: units of one run folder reuse each other's results, never another run's.</summary>
    public string UnitKey(string key) => Fingerprint.Of($"{RunId}|{key}");

    public Dictionary<string, JsonElement> Attrs() => new()
    {
        ["scenario"] = JsonSerializer.SerializeToElement(Scenario),
        ["config"] = JsonSerializer.SerializeToElement(ConfigYaml),
        ["run_folder"] = JsonSerializer.SerializeToElement(RunFolder),
        ["run_id"] = JsonSerializer.SerializeToElement(RunId),
        ["device"] = JsonSerializer.SerializeToElement(Device),
        ["threads"] = JsonSerializer.SerializeToElement(Threads),
        ["heartbeat_seconds"] = JsonSerializer.SerializeToElement(HeartbeatSeconds),
        ["memory_sharing"] = JsonSerializer.SerializeToElement(Config.Naming.EnumValue(Sharing)),
        ["store_limit_mb"] = JsonSerializer.SerializeToElement(StoreLimitMb),
    };

    /// <summary>The run a study belongs to, or null for a study that was not planned by a run (a plain search study).</summary>
    public static RunInfo? Of(SearchStudy study)
    {
        var a = study.UserAttrs;
        if (!a.TryGetValue("scenario", out var scenario) || !a.TryGetValue("config", out var config)) return null;
        string Text(string key) => a.TryGetValue(key, out var v) ? v.GetString() ?? "" : "";
        return new RunInfo(scenario.GetString()!, config.GetString()!, Text("run_folder"), Text("run_id"), Text("device"),
            a.TryGetValue("threads", out var t) ? t.GetInt32() : 0,
            a.TryGetValue("heartbeat_seconds", out var h) ? h.GetDouble() : 10,
            Text("memory_sharing") == "store" ? MemorySharing.Store : MemorySharing.Folder,
            a.TryGetValue("store_limit_mb", out var l) ? l.GetInt32() : 256);
    }

    /// <summary>
    /// The run's files as a worker sees them: the run folder itself when this machine holds it (its id file matches), else
    /// a mirror in <paramref name="workDir"/> (default: a folder under the temp folder) whose shared folders come from the
    /// store. A run that shares through its folder cannot be worked where that folder is missing: that is an error.
    /// </summary>
    public RunFiles Files(StudyStorage storage, string? workDir = null)
    {
        var shared = Sharing == MemorySharing.Store ? storage : null;
        if (RunFolder.Length == 0) // a study whose units use no files (an architecture search's trials)
            return new RunFiles(new Reporting.RunDirectory(Path.Combine(workDir ?? Path.Combine(Path.GetTempPath(), "condensa-worker"), RunId)));
        var idFile = Path.Combine(RunFolder, IdFile);
        if (File.Exists(idFile) && File.ReadAllText(idFile).Trim() == RunId)
            return new RunFiles(new Reporting.RunDirectory(RunFolder), shared, RunId, StoreLimitMb);
        if (shared is null)
            throw new CondensaException(
                $"this {Scenario} run keeps its memories in its run folder {RunFolder}, which this machine does not have",
                "give every worker that folder on a shared file system at the same path, or run with memory_sharing: store (with a PostgreSQL store)");
        var mirror = Path.Combine(workDir ?? Path.Combine(Path.GetTempPath(), "condensa-worker"), RunId);
        return new RunFiles(new Reporting.RunDirectory(mirror), shared, RunId, StoreLimitMb);
    }
}
