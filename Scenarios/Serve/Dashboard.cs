using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Condensa.Study;
using Condensa.Work;
using Microsoft.Extensions.Logging;

namespace Condensa.Scenarios.Serve;

/// <summary>Where <c>condensa serve</c> reads runs from and where it listens.</summary>
/// <param name="Roots">Folders holding run folders (each a run's <c>--out</c>).</param>
/// <param name="Token">Required from clients when set: <c>?token=</c> once (then a cookie) or <c>Authorization: Bearer</c>.</param>
/// <param name="Storages">Study stores whose work units are shown live (their passwords never appear).</param>
public sealed record DashboardOptions(IReadOnlyList<string> Roots, string Host = "127.0.0.1", int Port = 8080, string? Token = null, IReadOnlyList<string>? Storages = null);

/// <summary>
/// <c>condensa serve</c>: a read-only web view of run folders, served by ASP.NET Core from the SDK's shared framework,
/// with nothing loaded from outside the machine. Pages: every run under the roots (newest first, filterable by
/// scenario and status) and one run (its headline, results table, plots, resolved config and log tail). It binds to
/// loopback unless told otherwise, and any other address needs a token. Files are served only from inside a run
/// folder (no <c>..</c>, no absolute path, no symbolic link leading out), and every text from a run is HTML-escaped.
/// </summary>
public static class Dashboard
{
    private const string TokenCookie = "condensa-token";

    /// <summary>The web application (not started). A non-loopback host without a token is an error.</summary>
    public static WebApplication Build(DashboardOptions options)
    {
        if (!IsLoopback(options.Host) && string.IsNullOrEmpty(options.Token))
            throw new CondensaException(
                $"condensa serve: --host {options.Host} would let other machines read every run; give --token SECRET as well (clients open /?token=SECRET once)");
        var roots = options.Roots.Select(r => Path.GetFullPath(r)).ToList();
        foreach (var root in roots)
            if (!Directory.Exists(root)) throw new CondensaException($"condensa serve: runs folder {root} does not exist", "give --runs DIR with a folder of run folders");
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://{(options.Host.Contains(':') ? $"[{options.Host}]" : options.Host)}:{options.Port}");
        var app = builder.Build();
        if (!string.IsNullOrEmpty(options.Token)) app.Use(RequireToken(options.Token));
        var runs = new RunIndex(roots);
        var storages = options.Storages ?? [];
        foreach (var url in storages) StudyStorage.Open(url).Dispose();   // a wrong URL fails now, with the store's own message
        var stores = storages.Select(StudyStorage.MaskPassword).ToList();
        app.MapGet("/", (HttpContext ctx) => Html(RunsPage(runs, stores, ctx.Request.Query["scenario"], ctx.Request.Query["status"])));
        app.MapGet("/store/{index:int}", (int index) =>
        {
            if (index < 0 || index >= storages.Count) return Results.NotFound();
            using var store = StudyStorage.Open(storages[index]);
            return Html(StorePage(StoreStatus.Read(store)));
        });
        app.MapGet("/run/{root:int}/{name}", (int root, string name) =>
            runs.Find(root, name) is { } run ? Html(RunPage(run)) : Results.NotFound());
        app.MapGet("/file/{root:int}/{name}/{**path}", (int root, string name, string path) =>
            runs.Find(root, name) is { } run && run.File(path) is { } file ? Results.File(file, ContentType(file)) : Results.NotFound());
        return app;
    }

    /// <summary>True for localhost and loopback addresses.</summary>
    public static bool IsLoopback(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));

    private static Func<HttpContext, RequestDelegate, Task> RequireToken(string token) => async (ctx, next) =>
    {
        string? given = ctx.Request.Query["token"];
        given ??= ctx.Request.Cookies[TokenCookie];
        var header = ctx.Request.Headers.Authorization.ToString();
        if (given is null && header.StartsWith("Bearer ", StringComparison.Ordinal)) given = header["Bearer ".Length..];
        if (given is null || !System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(token)))
        {
            ctx.Response.StatusCode = StatusCodes.Status401Unauthorized;
            await ctx.Response.WriteAsync("condensa serve: this dashboard needs its token (open /?token=...)");
            return;
        }
        if (ctx.Request.Query.ContainsKey("token"))
            ctx.Response.Cookies.Append(TokenCookie, token, new CookieOptions { HttpOnly = true, SameSite = SameSiteMode.Strict });
        await next(ctx);
    };

    private static IResult Html(string body) => Results.Content(body, "text/html; charset=utf-8");

    private static string E(string? text) => WebUtility.HtmlEncode(text ?? "");

    private static string Page(string title, string body, int refreshSeconds = 0) => $$"""
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>{{E(title)}} · Condensa</title>{{(refreshSeconds > 0 ? $"<meta http-equiv=\"refresh\" content=\"{refreshSeconds}\">" : "")}}
        <style>
        body { font-family: system-ui, sans-serif; margin: 1.5rem; color: #222; }
        table { border-collapse: collapse; margin: 0.5rem 0 1rem; } td, th { border: 1px solid #ccc; padding: 0.25rem 0.6rem; text-align: left; }
        th { background: #f2f2f2; } pre { background: #f7f7f7; padding: 0.6rem; overflow-x: auto; max-height: 30rem; }
        img { max-width: 48rem; border: 1px solid #ddd; margin: 0.3rem; } .completed { color: #17692e; } .failed { color: #a11; } .running { color: #a60; }
        </style></head>
        <body><p><a href="/">runs</a></p><h1>{{E(title)}}</h1>
        {{body}}
        </body></html>
        """;

    private static string RunsPage(RunIndex index, IReadOnlyList<string> stores, string? scenario, string? status)
    {
        var all = index.All();
        var runs = all.Where(r => string.IsNullOrEmpty(scenario) || r.Scenario == scenario)
            .Where(r => string.IsNullOrEmpty(status) || r.Status == status).ToList();
        var body = new StringBuilder();
        if (stores.Count > 0)
            body.Append("<p>Study stores: ").Append(string.Join(" · ", stores.Select((url, i) => $"<a href=\"/store/{i}\">{E(url)}</a>"))).Append("</p>");
        body.Append("<form method=\"get\">scenario <select name=\"scenario\"><option value=\"\">any</option>");
        foreach (var s in all.Select(r => r.Scenario).Distinct().Order())
            body.Append($"<option{(s == scenario ? " selected" : "")}>{E(s)}</option>");
        body.Append("</select> status <select name=\"status\"><option value=\"\">any</option>");
        foreach (var s in all.Select(r => r.Status).Distinct().Order())
            body.Append($"<option{(s == status ? " selected" : "")}>{E(s)}</option>");
        body.Append("</select> <button>filter</button></form>");
        body.Append("<table><tr><th>run</th><th>scenario</th><th>status</th><th>started</th><th>duration</th><th>headline</th></tr>");
        foreach (var r in runs)
            body.Append($"<tr><td><a href=\"{E(r.Link)}\">{E(r.Name)}</a></td><td>{E(r.Scenario)}</td><td class=\"{E(r.Status)}\">{E(r.Status)}</td>" +
                        $"<td>{r.Started:yyyy-MM-dd HH:mm}</td><td>{E(r.Duration)}</td><td>{E(r.Headline)}</td></tr>");
        body.Append("</table>");
        if (runs.Count == 0) body.Append("<p>No runs here yet: <code>./condensa run CONFIG</code> writes one.</p>");
        return Page("Condensa runs", body.ToString());
    }

    private static string RunPage(RunFolder run)
    {
        var body = new StringBuilder();
        body.Append($"<p>{E(run.Scenario)} · <span class=\"{E(run.Status)}\">{E(run.Status)}</span> · started {run.Started:yyyy-MM-dd HH:mm} · {E(run.Duration)}</p>");
        if (run.Headline.Length > 0) body.Append($"<p><strong>{E(run.Headline)}</strong></p>");
        if (run.Error is { } error) body.Append($"<pre class=\"failed\">{E(error)}</pre>");
        if (run.Text("results.md") is { } table) body.Append("<h2>Results</h2>").Append(MarkdownTables(table));
        else if (run.Results is JsonObject results) body.Append("<h2>Results</h2>").Append(ScalarTables(results));
        var images = run.Images();
        if (images.Count > 0)
        {
            body.Append("<h2>Plots and memories</h2>");
            foreach (var image in images) body.Append($"<a href=\"{E(run.FileLink(image))}\"><img src=\"{E(run.FileLink(image))}\" alt=\"{E(image)}\" title=\"{E(image)}\"></a>");
        }
        body.Append("<h2>Downloads</h2><p>");
        foreach (var file in new[] { "results.json", "results.csv", "results.md", "trials.csv", "training.csv", "config.yaml", "log.txt" }.Where(f => run.File(f) is not null))
            body.Append($"<a href=\"{E(run.FileLink(file))}\">{E(file)}</a> ");
        body.Append("</p>");
        if (run.Text("config.yaml") is { } config) body.Append("<h2>Config</h2><pre>").Append(E(config)).Append("</pre>");
        if (run.Text("log.txt") is { } log) body.Append("<h2>Log (last 60 lines)</h2><pre>").Append(E(string.Join('\n', log.Split('\n').TakeLast(60)))).Append("</pre>");
        return Page(run.Name, body.ToString());
    }

    /// <summary>A study store's units by state, the running ones with worker and heartbeat, the failed ones with their error; reloaded every 5 s.</summary>
    private static string StorePage(StoreStatus status)
    {
        var body = new StringBuilder();
        body.Append("<table><tr><th>study</th><th>scenario</th><th>units</th><th>waiting</th><th>blocked</th><th>running</th><th>stale</th><th>complete</th><th>failed</th><th>best</th></tr>");
        foreach (var s in status.Studies)
            body.Append($"<tr><td>{E(s.Name)}</td><td>{E(s.Scenario)}</td><td>{s.Units}</td><td>{s.Ready}</td><td>{s.Blocked}</td><td>{s.Running}</td><td>{s.Stale}</td>" +
                        $"<td>{s.Complete}</td><td>{s.Failed}</td><td>{E(s.Best)}</td></tr>");
        body.Append("</table>");
        if (status.Running.Count > 0)
        {
            body.Append("<h2>Running units</h2><table><tr><th>study</th><th>unit</th><th>worker</th><th>attempt</th><th>heartbeat</th></tr>");
            foreach (var u in status.Running)
                body.Append($"<tr><td>{E(u.Study)}</td><td>{E(u.Unit)}</td><td>{E(u.Worker)}</td><td>{u.Attempt}</td><td class=\"{(u.Stale ? "failed" : "")}\">{u.HeartbeatSeconds:0.0} s ago{(u.Stale ? " (stale)" : "")}</td></tr>");
            body.Append("</table>");
        }
        if (status.Failed.Count > 0)
        {
            body.Append("<h2>Failed units</h2><table><tr><th>study</th><th>unit</th><th>attempts</th><th>error</th></tr>");
            foreach (var u in status.Failed) body.Append($"<tr><td>{E(u.Study)}</td><td>{E(u.Unit)}</td><td>{u.Attempts}</td><td>{E(u.Error)}</td></tr>");
            body.Append("</table>");
        }
        return Page(status.Url, body.ToString(), refreshSeconds: 5);
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

    /// <summary>The pipe tables of a results.md as HTML tables (other lines as paragraphs), every cell escaped.</summary>
    private static string MarkdownTables(string markdown)
    {
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
                html.Append("<tr>").Append(string.Concat(cells.Select(c => $"<{tag}>{E(c.Replace("**", ""))}</{tag}>"))).Append("</tr>");
                header = false;
                continue;
            }
            if (inTable) { html.Append("</table>"); inTable = false; }
            if (line.Length > 0) html.Append("<p>").Append(E(line)).Append("</p>");
        }
        if (inTable) html.Append("</table>");
        return html.ToString();
    }

    private static string ContentType(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".png" => "image/png",
        ".svg" => "image/svg+xml",
        ".json" => "application/json",
        ".csv" => "text/csv; charset=utf-8",
        ".md" or ".txt" or ".yaml" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    };
}
