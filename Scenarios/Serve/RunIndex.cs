using System.Diagnostics;
using System.Text;
using Condensa.Study;
using Condensa.Work;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Condensa.Scenarios.Serve;

/// <summary>The run folders under the dashboard's roots, read afresh on every request (runs come and go).</summary>
internal sealed class RunIndex(IReadOnlyList<string> roots)
{
    /// <summary>Every run folder (one holding config.yaml or results.json), newest first.</summary>
    public IReadOnlyList<RunFolder> All() =>
        roots.SelectMany((root, i) => Directory.Exists(root)
                ? new DirectoryInfo(root).EnumerateDirectories().Where(d => d.LinkTarget is null && IsRun(d.FullName)).Select(d => Read(i, d.FullName)).OfType<RunFolder>()
                : [])
            .OrderByDescending(r => r.Started).ToList();

    /// <summary>The run named <paramref name="name"/> directly under root <paramref name="root"/>, or null.</summary>
    public RunFolder? Find(int root, string name)
    {
        if (root < 0 || root >= roots.Count || name is "." or ".." || name.IndexOfAny(['/', '\\']) >= 0) return null;
        var dir = new DirectoryInfo(Path.Combine(roots[root], name));
        return dir.Exists && dir.LinkTarget is null && IsRun(dir.FullName) ? Read(root, dir.FullName) : null;
    }

    /// <summary>The run folder as it is now, or null when it vanished while being read.</summary>
    private static RunFolder? Read(int root, string path)
    {
        try { return new RunFolder(root, path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    /// <summary>
    /// A fingerprint of the runs page: every run folder's name, the size and time of the files its row is drawn from,
    /// and whether its owner still runs. Cheap (no file is read but the owner's), so a live page can ask every second.
    /// </summary>
    public string Version()
    {
        var text = new StringBuilder();
        foreach (var (root, i) in roots.Select((r, i) => (r, i)).Where(x => Directory.Exists(x.r)))
            foreach (var dir in new DirectoryInfo(root).EnumerateDirectories().Where(d => d.LinkTarget is null))
            {
                text.Append(i).Append('/').Append(dir.Name);
                foreach (var f in (string[])["config.yaml", "results.json", "log.txt"])
                    if (new FileInfo(Path.Combine(dir.FullName, f)) is { Exists: true } info) text.Append('|').Append(info.Length).Append(':').Append(info.LastWriteTimeUtc.Ticks);
                text.Append(RunFolder.IsOwnerAlive(dir.FullName) ? "|live\n" : "\n");
            }
        return Fingerprint.Of(text.ToString());
    }

    private static bool IsRun(string dir) => File.Exists(Path.Combine(dir, "config.yaml")) || File.Exists(Path.Combine(dir, "results.json"));
}

/// <summary>One run folder as the dashboard shows it: scenario, status, times, headline number, and its files.</summary>
internal sealed class RunFolder
{
    private readonly int _root;
    private readonly JsonNode? _json;

    public RunFolder(int root, string path)
    {
        _root = root;
        Path = path;
        Name = System.IO.Path.GetFileName(path);
        try { _json = File("results.json") is { } results ? JsonNode.Parse(System.IO.File.ReadAllText(results)) : null; }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException) { _json = null; }
        Results = RunResults.Read(_json);
        Scenario = TextOf(_json, "scenario") ?? ScenarioFromConfig() ?? "?";
        Status = IsOwnerAlive(path) ? "running" : Results is { Status.Length: > 0 } ended ? ended.Status : TextOf(_json, "status") ?? "no results";
        var config = new FileInfo(System.IO.Path.Combine(path, "config.yaml"));
        Started = config.Exists ? config.LastWriteTime : Directory.GetCreationTime(path);
        var last = new[] { "results.json", "log.txt" }.Select(f => new FileInfo(System.IO.Path.Combine(path, f))).Where(f => f.Exists).Select(f => f.LastWriteTime).DefaultIfEmpty(Started).Max();
        var span = last - Started;
        Duration = span.TotalHours >= 1 ? $"{(int)span.TotalHours} h {span.Minutes} min" : span.TotalMinutes >= 1 ? $"{(int)span.TotalMinutes} min" : $"{Math.Max(0, (int)span.TotalSeconds)} s";
        Headline = Results?.Headline() ?? "";
        Error = Results?.Error ?? TextOf(_json, "error");
    }

    /// <summary>A text value of a results.json that may be half-written or of another shape, or null.</summary>
    private static string? TextOf(JsonNode? results, string key) =>
        results is JsonObject o && o[key] is JsonValue v && v.TryGetValue<string>(out var text) ? text : null;

    public string Path { get; }
    public string Name { get; }
    public string Scenario { get; }
    public string Status { get; }
    public DateTime Started { get; }
    public string Duration { get; }
    public string Headline { get; }
    public string? Error { get; }

    /// <summary>The run's results record (what its scenario wrote), or null when results.json is missing or of another format.</summary>
    public RunResults? Results { get; }

    /// <summary>results.json as JSON whatever its format (shown key by key when the run has no results.md), or null.</summary>
    public JsonNode? Json => _json;
    public string Link => $"/run/{_root}/{Uri.EscapeDataString(Name)}";

    public string FileLink(string relative) => $"/file/{_root}/{Uri.EscapeDataString(Name)}/{string.Join('/', relative.Split('/').Select(Uri.EscapeDataString))}";

    /// <summary>
    /// The full path of a file inside this run folder, or null: the path must stay inside the folder after resolving
    /// <c>..</c>, must not be absolute, and no part of it may be a symbolic link (which could lead out of the folder).
    /// </summary>
    public string? File(string relative)
    {
        if (string.IsNullOrEmpty(relative) || System.IO.Path.IsPathRooted(relative) || relative.Contains('\0')) return null;
        var full = System.IO.Path.GetFullPath(System.IO.Path.Combine(Path, relative));
        if (!full.StartsWith(Path + System.IO.Path.DirectorySeparatorChar, StringComparison.Ordinal) || !System.IO.File.Exists(full)) return null;
        for (var part = new FileInfo(full) as FileSystemInfo; part.FullName.Length > Path.Length; part = new DirectoryInfo(System.IO.Path.GetDirectoryName(part.FullName)!))
            if (part.LinkTarget is not null) return null;
        return full;
    }

    /// <summary>
    /// The full path of a file the dashboard serves to a browser, or null: a file people read (results, tables, plots,
    /// memories, models, log, config), never the study store, the owner and lock files (which name the command line),
    /// checkpoints, shared artifacts or half-written temporary files.
    /// </summary>
    public string? Served(string relative)
    {
        var parts = relative.Split('/', '\\');
        if (parts.Any(p => p.StartsWith('.')) || parts[0] is "checkpoints" or "artifacts") return null;
        return ServedExtensions.Contains(System.IO.Path.GetExtension(relative).ToLowerInvariant()) ? File(relative) : null;
    }

    private static readonly HashSet<string> ServedExtensions = [".json", ".csv", ".md", ".txt", ".yaml", ".png", ".svg", ".pt", ".bin"];

    /// <summary>A text file of the run (the last <paramref name="limit"/> bytes of a larger one), or null when it is not there or cannot be read now.</summary>
    public string? Text(string relative, long limit = 256 * 1024)
    {
        if (File(relative) is not { } path) return null;
        try
        {
            using var stream = System.IO.File.OpenRead(path);
            if (stream.Length > limit) stream.Seek(-limit, SeekOrigin.End);
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;   // deleted or replaced between the check and the read
        }
    }

    /// <summary>A CSV file of the run as rows keyed by its header, or no rows when it is missing.</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, string>> Csv(string relative) => Text(relative, long.MaxValue) is { } text ? Reporting.RunDirectory.ReadCsv(text) : [];

    /// <summary>The run's PNG and SVG files (plots, memory grids), relative with '/', at most 60.</summary>
    public IReadOnlyList<string> Images() =>
        Directory.EnumerateFiles(Path, "*.*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint | FileAttributes.Hidden })
            .Where(f => f.EndsWith(".png", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".svg", StringComparison.OrdinalIgnoreCase))
            .Select(f => System.IO.Path.GetRelativePath(Path, f).Replace('\\', '/')).Order(StringComparer.Ordinal).Take(60).ToList();

    private string? ScenarioFromConfig() =>
        Text("config.yaml")?.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("scenario:", StringComparison.Ordinal))?["scenario:".Length..].Trim();

    /// <summary>A fingerprint of the run's files (every path, size and write time): it changes whenever the run writes something.</summary>
    public string Version()
    {
        var text = new StringBuilder(Status);
        foreach (var f in new DirectoryInfo(Path).EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint }))
            text.Append('|').Append(f.FullName).Append(':').Append(f.Length).Append(':').Append(f.LastWriteTimeUtc.Ticks);
        return Fingerprint.Of(text.ToString());
    }

    /// <summary>The id the run's studies carry (its <c>.condensa-run</c> file), or null for a run without studies.</summary>
    public string? RunId => Text(RunInfo.IdFile)?.Trim();

    /// <summary>The run's study store: the config's <c>storage</c>, else the run folder's study.db; null when neither is there.</summary>
    public string? StorageUrl()
    {
        var configured = Text("config.yaml")?.Split('\n').Select(l => l.TrimEnd()).FirstOrDefault(l => l.StartsWith("storage:", StringComparison.Ordinal))?["storage:".Length..].Trim().Trim('"', '\'');
        if (!string.IsNullOrEmpty(configured) && configured != "null")
            return StudyStorage.SqliteFile(configured) is { } file && !System.IO.Path.IsPathRooted(file) ? "sqlite:" + System.IO.Path.Combine(Path, file) : configured;
        return File("study.db") is { } db ? "sqlite:" + db : null;
    }

    /// <summary>True while the process that owns the folder (named in .condensa-owner) still runs on this machine.</summary>
    internal static bool IsOwnerAlive(string folder)
    {
        try
        {
            var owner = JsonNode.Parse(System.IO.File.ReadAllText(System.IO.Path.Combine(folder, ".condensa-owner")));
            if (owner?["host"]?.GetValue<string>() != Environment.MachineName || owner["pid"]?.GetValue<int>() is not int pid) return false;
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (Exception e) when (e is IOException or JsonException or ArgumentException or InvalidOperationException)
        {
            return false;
        }
    }
}
