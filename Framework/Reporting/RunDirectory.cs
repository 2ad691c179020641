using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Condensa.Reporting;

/// <summary>
/// The folder a run writes: resolved config, log, results.json, CSV tables, PNG plots, memories and checkpoints.
/// Every write is atomic (temp file, then rename), so an interrupted run never leaves a half-written file.
/// </summary>
public sealed class RunDirectory
{
    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,   // files for people and programs, never inlined in HTML
        AllowOutOfOrderMetadataProperties = true,   // a record's type key may come anywhere in a file written by hand
    };

    /// <summary>Opens the folder at <paramref name="path"/>, creating it (and its missing parents) when needed.</summary>
    public RunDirectory(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        var existing = Path;
        while (!Directory.Exists(existing) && System.IO.Path.GetDirectoryName(existing) is { } up) existing = up;
        try
        {
            Directory.CreateDirectory(Path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // mkdir in /proc or /sys fails as "not found" although the parent exists: say that the parent refuses it
            var why = e is FileNotFoundException or DirectoryNotFoundException && existing != Path ? $"{existing} does not accept new folders" : Errors.Reason(e);
            throw new CondensaException($"cannot create the run folder {Path}: {why}", "choose an --out folder in a place you can write to");
        }
        Created = existing == Path ? [] : Ancestors(Path).TakeWhile(p => p != existing).Reverse().ToArray();
    }

    public string Path { get; }

    /// <summary>The folders this instance created, outermost first (the run folder last); empty when it existed.</summary>
    public IReadOnlyList<string> Created { get; }

    private static IEnumerable<string> Ancestors(string path)
    {
        for (string? p = path; p is not null; p = System.IO.Path.GetDirectoryName(p)) yield return p;
    }

    /// <summary><paramref name="outDir"/> when given, else <c>runs/NAME-yyyyMMdd-HHmmss</c>.</summary>
    public static RunDirectory Create(string? outDir, string name) =>
        new(outDir ?? System.IO.Path.Combine("runs", $"{name}-{DateTime.Now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}"));

    /// <summary><paramref name="text"/> as one folder name: letters, digits, '-' and '.' kept, anything else '-'.</summary>
    public static string Slug(string text) => new(text.Select(ch => char.IsLetterOrDigit(ch) || ch is '-' or '.' ? ch : '-').ToArray());

    public string PathOf(string relative)
    {
        var full = System.IO.Path.Combine(Path, relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        return full;
    }

    public bool Exists(string relative) => File.Exists(System.IO.Path.Combine(Path, relative));

    public void WriteText(string relative, string content) => WriteAtomic(relative, tmp => File.WriteAllText(tmp, content, new UTF8Encoding(false)));

    public void WriteJson(string relative, JsonNode node) => WriteText(relative, node.ToJsonString(Json) + "\n");

    public void WriteJson<T>(string relative, T value) => WriteText(relative, JsonSerializer.Serialize(value, Json) + "\n");

    /// <summary>Writes a CSV table (RFC 4180 quoting, invariant culture).</summary>
    public void WriteCsv(string relative, IReadOnlyList<string> header, IEnumerable<IReadOnlyList<object?>> rows)
    {
        var sb = new StringBuilder();
        sb.AppendLine(string.Join(',', header.Select(Quote)));
        foreach (var row in rows) sb.AppendLine(string.Join(',', row.Select(v => Quote(Cell(v)))));
        WriteText(relative, sb.ToString());
    }

    /// <summary>Runs <paramref name="write"/> on a temp path, then renames it over <paramref name="relative"/>.</summary>
    public void WriteAtomic(string relative, Action<string> write)
    {
        var target = PathOf(relative);
        var tmp = target + ".tmp";
        write(tmp);
        File.Move(tmp, target, overwrite: true);
    }

    public static string Cell(object? v) => v switch
    {
        null => "",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => v.ToString() ?? "",
    };

    /// <summary>
    /// The rows of a CSV text as <see cref="WriteCsv"/> writes it (RFC 4180: a header line, fields quoted when they hold
    /// a comma, quote or line break), each row keyed by the header's names; a short row's missing fields are empty.
    /// </summary>
    public static IReadOnlyList<IReadOnlyDictionary<string, string>> ReadCsv(string text)
    {
        var records = new List<List<string>>();
        var record = new List<string>();
        var field = new StringBuilder();
        bool quoted = false, any = false;
        for (int i = 0; i < text.Length; i++)
        {
            var ch = text[i];
            if (quoted)
            {
                if (ch != '"') field.Append(ch);
                else if (i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
                else quoted = false;
            }
            else if (ch == '"') { quoted = any = true; }
            else if (ch == ',') { record.Add(field.ToString()); field.Clear(); any = true; }
            else if (ch is '\n' or '\r')
            {
                if (ch == '\r' && i + 1 < text.Length && text[i + 1] == '\n') i++;
                if (any || field.Length > 0) { record.Add(field.ToString()); records.Add(record); }
                record = []; field.Clear(); any = false;
            }
            else { field.Append(ch); any = true; }
        }
        if (any || field.Length > 0) { record.Add(field.ToString()); records.Add(record); }
        if (records.Count == 0) return [];
        var header = records[0];
        return records.Skip(1).Select(r => (IReadOnlyDictionary<string, string>)header.Select((h, j) => (h, v: j < r.Count ? r[j] : ""))
            .ToDictionary(x => x.h, x => x.v)).ToList();
    }

    private static string Quote(string s) =>
        s.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;
}
