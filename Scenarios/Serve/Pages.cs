using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Condensa.Study;
using Condensa.Work;
using static Condensa.Scenarios.Serve.Dashboard;

namespace Condensa.Scenarios.Serve;

/// <summary>One page of the dashboard: its title, and how to read its state now (read once per request or live tick).</summary>
internal sealed record LivePage(string Title, Func<PageState> Read);

/// <summary>
/// A page's state at one moment: a cheap version (a fingerprint of what it is drawn from, which changes when that
/// changes) and its body, drawn from the same reading only when shown or when the version moved.
/// </summary>
internal sealed record PageState(string Version, Func<string> Body);

/// <summary>The dashboard's pages: every run, one run, a study store. Each draws from the files and stores as they are when asked.</summary>
internal sealed class Pages(RunIndex runs, IReadOnlyList<string> storages)
{
    public LivePage? Store(int index) => index >= 0 && index < storages.Count ? StorePage(storages[index]) : null;

    /// <summary>The page of a run, or null when there is no such run; it looks the folder up afresh each time it is drawn.</summary>
    public LivePage? Run(int root, string name) => runs.Find(root, name) is { } run
        ? new(run.Name, () =>
        {
            if (runs.Find(root, name) is not { } now) return new("gone", () => "<p class=\"failed\">This run folder is gone.</p>");
            var store = RunStore(now);
            return new(now.Version() + (store is null ? "" : Fingerprint.Of(StoreTables(store))), () => RunBody(now, store));
        })
        : null;

    public LivePage Runs(string? scenario, string? status) => new("Condensa runs", () => new(runs.Version(), () =>
    {
        var all = runs.All();
        var shown = all.Where(r => string.IsNullOrEmpty(scenario) || r.Scenario == scenario)
            .Where(r => string.IsNullOrEmpty(status) || r.Status == status).ToList();
        var body = new StringBuilder();
        if (storages.Count > 0)
            body.Append("<p>Study stores: ").Append(string.Join(" · ", storages.Select((url, i) => $"<a href=\"/store/{i}\">{E(Secrets.MaskUrl(url))}</a>"))).Append("</p>");
        body.Append("<form method=\"get\">scenario <select name=\"scenario\"><option value=\"\">any</option>");
        foreach (var s in all.Select(r => r.Scenario).Distinct().Order())
            body.Append($"<option{(s == scenario ? " selected" : "")}>{E(s)}</option>");
        body.Append("</select> status <select name=\"status\"><option value=\"\">any</option>");
        foreach (var s in all.Select(r => r.Status).Distinct().Order())
            body.Append($"<option{(s == status ? " selected" : "")}>{E(s)}</option>");
        body.Append("</select> <button>filter</button></form>");
        body.Append("<table><tr><th>run</th><th>scenario</th><th>status</th><th>started</th><th>duration</th><th>headline</th></tr>");
        foreach (var r in shown)
            body.Append($"<tr><td><a href=\"{E(r.Link)}\">{E(r.Name)}</a></td><td>{E(r.Scenario)}</td><td class=\"{E(r.Status)}\">{E(r.Status)}</td>" +
                        $"<td>{r.Started:yyyy-MM-dd HH:mm}</td><td>{E(r.Duration)}</td><td>{E(r.Error is { } error ? Secrets.Mask(error.Split('\n')[0]) : r.Headline)}</td></tr>");
        body.Append("</table>");
        if (shown.Count == 0) body.Append("<p>No runs here yet: <code>./condensa run CONFIG</code> writes one.</p>");
        return body.ToString();
    }));

    /// <summary>A run's page from one reading of its folder and of its own studies (<paramref name="store"/>, null without a store).</summary>
    private static string RunBody(RunFolder run, StoreStatus? store)
    {
        var body = new StringBuilder();
        body.Append($"<p>{E(run.Scenario)} · <span class=\"{E(run.Status)}\">{E(run.Status)}</span> · started {run.Started:yyyy-MM-dd HH:mm} · {E(run.Duration)}</p>");
        if (run.Headline.Length > 0) body.Append($"<p><strong>{E(run.Headline)}</strong></p>");
        if (run.Error is { } error) body.Append($"<pre class=\"failed\">{E(Secrets.Mask(error))}</pre>");
        if (run.Text("results.md") is { } table) body.Append("<h2>Results</h2>").Append(MarkdownTables(table));
        else if (run.Json is JsonObject results) body.Append("<h2>Results</h2>").Append(ScalarTables(results));
        body.Append(RunCharts.Of(run));
        if (store is { Studies.Count: > 0 }) body.Append("<h2>Work units</h2>").Append(StoreTables(store));
        var images = run.Images();
        var memories = images.Where(i => i.StartsWith("memories/", StringComparison.Ordinal)).ToList();
        if (memories.Count > 0)
        {
            body.Append("<h2>Memories</h2><div class=\"chart\">");
            foreach (var image in memories)
                body.Append($"<figure><a href=\"{E(run.FileLink(image))}\"><img src=\"{E(run.FileLink(image))}\" alt=\"{E(image)}\"></a>" +
                            $"<figcaption>{E(image)}{RunCharts.Guarded(() => RunCharts.GridCaption(run, image))}</figcaption></figure>");
            body.Append("</div>");
        }
        body.Append("<h2>Downloads</h2><p>");
        foreach (var file in new[] { "results.json", "results.csv", "results.md", "trials.csv", "training.csv", "config.yaml", "log.txt" }.Where(f => run.File(f) is not null).Concat(images.Except(memories)))
            body.Append($"<a href=\"{E(run.FileLink(file))}\">{E(file)}</a> ");
        body.Append("</p>");
        if (run.Text("config.yaml") is { } config) body.Append("<h2>Config</h2><pre>").Append(E(Secrets.Mask(config))).Append("</pre>");
        if (run.Text("log.txt") is { } log) body.Append("<h2>Log (last 60 lines)</h2><pre>").Append(E(Secrets.Mask(string.Join('\n', log.Split('\n').TakeLast(60))))).Append("</pre>");
        return body.ToString();
    }

    /// <summary>The run's own studies in its store (the run folder's study.db, or the config's storage), or null when it has none.</summary>
    private static StoreStatus? RunStore(RunFolder run)
    {
        try
        {
            return run.StorageUrl() is { } url && run.RunId is { } id ? Read(url, id) : null;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return null;   // a store that is away, busy or being written: the page shows the rest
        }
    }

    /// <summary>A store's state, never creating one: a SQLite file that is not there is an error, not a new store.</summary>
    internal static StoreStatus Read(string url, string? runId = null)
    {
        if (StudyStorage.SqliteFile(url) is { } path && !File.Exists(path)) throw new CondensaException($"study store {url} does not exist");
        using var store = StudyStorage.Open(url);
        return StoreStatus.Read(store, runId);
    }

    private static LivePage StorePage(string url)
    {
        string Draw()
        {
            try { return StoreTables(Read(url)); }
            catch (Exception e) when (e is not OperationCanceledException) { return $"<p class=\"failed\">The store cannot be read now: {E(Secrets.Mask(e.Message))}</p>"; }
        }
        return new(Secrets.MaskUrl(url), () =>
        {
            var tables = Draw();
            return new(Fingerprint.Of(tables), () => tables);
        });
    }

    /// <summary>A store's studies by unit state, the running units with worker and heartbeat, the failed ones with their error.</summary>
    private static string StoreTables(StoreStatus status)
    {
        var body = new StringBuilder();
        body.Append("<table><tr><th>study</th><th>scenario</th><th>units</th><th>waiting</th><th>blocked</th><th>running</th><th>stale</th><th>complete</th><th>failed</th><th>best</th></tr>");
        foreach (var s in status.Studies)
            body.Append($"<tr><td>{E(s.Name)}</td><td>{E(s.Scenario)}</td><td>{s.Units}</td><td>{s.Ready}</td><td>{s.Blocked}</td><td>{s.Running}</td><td>{s.Stale}</td>" +
                        $"<td>{s.Complete}</td><td>{s.Failed}</td><td>{E(s.Best)}</td></tr>");
        body.Append("</table>");
        if (status.Running.Count > 0)
        {
            body.Append("<h3>Running units</h3><table><tr><th>study</th><th>unit</th><th>worker</th><th>attempt</th><th>last heartbeat</th></tr>");
            foreach (var u in status.Running)
                body.Append($"<tr><td>{E(u.Study)}</td><td>{E(u.Unit)}</td><td>{E(u.Worker)}</td><td>{u.Attempt}</td><td class=\"{(u.Stale ? "failed" : "")}\">{(u.HeartbeatAt is { } at ? at.ToLocalTime().ToString("HH:mm:ss", CultureInfo.InvariantCulture) : "none yet")}{(u.Stale ? " (stale)" : "")}</td></tr>");
            body.Append("</table>");
        }
        if (status.Failed.Count > 0)
        {
            body.Append("<h3>Failed units</h3><table><tr><th>study</th><th>unit</th><th>attempts</th><th>error</th></tr>");
            foreach (var u in status.Failed) body.Append($"<tr><td>{E(u.Study)}</td><td>{E(u.Unit)}</td><td>{u.Attempts}</td><td>{E(Secrets.Mask(u.Error))}</td></tr>");
            body.Append("</table>");
        }
        return body.ToString();
    }

    /// <summary>A results.json without a results.md (a train run): its numbers and texts, and each object of them (metrics, per-class accuracy), as tables.</summary>
    private static string ScalarTables(JsonObject results)
    {
        static bool Scalar(JsonNode? node) => node is JsonValue;
        static string Table(IEnumerable<KeyValuePair<string, JsonNode?>> entries) =>
            "<table>" + string.Concat(entries.Select(e => $"<tr><th>{E(e.Key)}</th><td>{E(e.Value?.ToString())}</td></tr>")) + "</table>";
        var html = new StringBuilder(Table(results.Where(e => Scalar(e.Value))));
        foreach (var (key, value) in results)
            if (value is JsonObject nested && nested.All(e => Scalar(e.Value)))
                html.Append($"<h3>{E(key)}</h3>").Append(Table(nested));
        return html.ToString();
    }

    /// <summary>The pipe tables of a results.md as HTML tables (other lines as paragraphs), every cell escaped, <c>**best**</c> cells in bold.</summary>
    private static string MarkdownTables(string markdown)
    {
        static string Cell(string tag, string text) =>
            text.Length > 4 && text.StartsWith("**") && text.EndsWith("**") ? $"<{tag}><strong>{E(text[2..^2])}</strong></{tag}>" : $"<{tag}>{E(text.Replace("**", ""))}</{tag}>";
        var html = new StringBuilder();
        bool inTable = false, header = false;
        foreach (var raw in markdown.Split('\n'))
        {
            var line = raw.Trim();
            if (line.StartsWith('|'))
            {
                if (!inTable) { html.Append("<table>"); inTable = header = true; }
                var cells = line.Trim('|').Split('|').Select(c => c.Trim()).ToArray();
                if (cells.All(c => c.Length > 0 && c.All(ch => ch is '-' or ':'))) continue;
                var tag = header ? "th" : "td";
                html.Append("<tr>").Append(string.Concat(cells.Select(c => Cell(tag, c)))).Append("</tr>");
                header = false;
                continue;
            }
            if (inTable) { html.Append("</table>"); inTable = false; }
            if (line.Length > 0) html.Append("<p>").Append(E(line)).Append("</p>");
        }
        if (inTable) html.Append("</table>");
        return html.ToString();
    }
}
