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
internal sealed record DashboardOptions(IReadOnlyList<string> Roots, string Host = "127.0.0.1", int Port = 8080, string? Token = null, IReadOnlyList<string>? Storages = null);

/// <summary>
/// <c>condensa serve</c>: a read-only web view of run folders, served by ASP.NET Core from the SDK's shared framework,
/// with nothing loaded from outside the machine. Pages (<see cref="Pages"/>): every run under the roots (newest first,
/// filterable by scenario and status), one run (headline, tables, charts, work units, memories, config, log tail) and
/// a study store; each follows its source live at <c>/live/PAGE</c>. It binds to loopback unless told otherwise, and
/// any other address needs a token. Only GET and HEAD are served. Files are served only from inside a run folder (no
/// <c>..</c>, no absolute path, no symbolic link leading out), only those people read (<see cref="RunFolder.Served"/>:
/// not the study store, the owner file or checkpoints), and every text from a run is HTML-escaped.
/// </summary>
internal static class Dashboard
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
        else app.Use(RequireLoopbackHost);
        var runs = new RunIndex(roots);
        var storages = options.Storages ?? [];
        foreach (var url in storages) Pages.Read(url);   // a wrong URL fails now, with the store's own message; nothing is created
        var pages = new Pages(runs, storages);
        void Map(string pattern, Func<HttpContext, LivePage?> page)
        {
            app.MapMethods(pattern, ReadMethods, (HttpContext ctx) => page(ctx) is { } shown ? Results.Content(Shell(shown), "text/html; charset=utf-8") : Results.NotFound());
            app.MapGet("/live" + pattern, (HttpContext ctx) => page(ctx) is { } live
                ? TypedResults.ServerSentEvents(Updates(live, ctx.Request.Headers["Last-Event-ID"].FirstOrDefault() ?? ctx.Request.Query["since"], ctx.RequestAborted))
                : (IResult)Results.NotFound());
        }
        Map("/", ctx => pages.Runs(ctx.Request.Query["scenario"], ctx.Request.Query["status"]));
        Map("/run/{root:int}/{name}", ctx => pages.Run(Route<int>(ctx, "root"), Route<string>(ctx, "name")));
        Map("/store/{index:int}", ctx => pages.Store(Route<int>(ctx, "index")));
        app.MapMethods("/file/{root:int}/{name}/{**path}", ReadMethods, (HttpContext ctx, int root, string name, string path) =>
        {
            if (runs.Find(root, name) is not { } run || run.Served(path) is not { } file) return Results.NotFound();
            ctx.Response.Headers.XContentTypeOptions = "nosniff";
            ctx.Response.Headers.ContentSecurityPolicy = "sandbox";   // an SVG or HTML file of a run never runs script as the dashboard
            var type = ContentType(file);
            return type.StartsWith("text/", StringComparison.Ordinal) || type == "application/json"
                ? Results.Text(Secrets.Mask(run.Text(path, long.MaxValue) ?? ""), type)   // configs and logs may name a store with its password
                : Results.File(file, type);
        });
        return app;
    }

    /// <summary>The methods every page and file answers: GET, and HEAD for clients that ask first (<c>curl -I</c>).</summary>
    private static readonly string[] ReadMethods = ["GET", "HEAD"];

    private static T Route<T>(HttpContext ctx, string key) where T : IParsable<T> => T.Parse(ctx.Request.RouteValues[key]!.ToString()!, null);

    /// <summary>How often a live page checks whether what it shows has changed.</summary>
    public static TimeSpan LiveInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Server-sent events for one page: its new body (event id = its version) each time its version differs from the
    /// one the browser shows. The browser sends that version back when it reconnects, so no change is lost in between.
    /// </summary>
    private static async IAsyncEnumerable<System.Net.ServerSentEvents.SseItem<string>> Updates(LivePage page, string? shown,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancel)
    {
        yield return new System.Net.ServerSentEvents.SseItem<string>("", "ready");   // sends the response's headers now, so the stream is open before the first change
        while (!cancel.IsCancellationRequested)
        {
            string? version = null, body = null;
            try
            {
                var state = page.Read();
                version = state.Version;
                if (version != shown) body = state.Body();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                version = null;   // a folder removed or replaced while being read: try again next tick
            }
            if (version is not null && body is not null)
            {
                shown = version;
                yield return new System.Net.ServerSentEvents.SseItem<string>(body, "page") { EventId = version };
            }
            try { await Task.Delay(LiveInterval, cancel); }
            catch (OperationCanceledException) { yield break; }
        }
    }

    /// <summary>True for localhost and loopback addresses.</summary>
    public static bool IsLoopback(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));

    /// <summary>
    /// Without a token the dashboard answers only requests addressed to a loopback name, so a web page that rebinds its
    /// own domain name to 127.0.0.1 cannot read it through the browser.
    /// </summary>
    private static async Task RequireLoopbackHost(HttpContext ctx, RequestDelegate next)
    {
        if (!IsLoopback(ctx.Request.Host.Host.Trim('[', ']')))
        {
            ctx.Response.StatusCode = StatusCodes.Status400BadRequest;
            await ctx.Response.WriteAsync("condensa serve: this dashboard answers only at localhost or a loopback address");
            return;
        }
        await next(ctx);
    }

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

    internal static string E(string? text) => WebUtility.HtmlEncode(text ?? "");

    /// <summary>The HTML document around a page's body; a small inline script swaps in each new body the server sends.</summary>
    private static string Shell(LivePage page)
    {
        var (title, state) = (page.Title, page.Read());
        return $$"""
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>{{E(title)}} · Condensa</title>
        <style>
        body { font-family: system-ui, sans-serif; margin: 1.5rem; color: #222; }
        table { border-collapse: collapse; margin: 0.5rem 0 1rem; } td, th { border: 1px solid #ccc; padding: 0.25rem 0.6rem; text-align: left; }
        th { background: #f2f2f2; } pre { background: #f7f7f7; padding: 0.6rem; overflow-x: auto; max-height: 30rem; }
        img { max-width: 48rem; border: 1px solid #ddd; margin: 0.3rem; } .completed { color: #17692e; } .failed, .partial { color: #a11; } .running { color: #a60; }
        .chart { display: flex; flex-wrap: wrap; gap: 1rem; align-items: flex-start; } .chart svg { border: 1px solid #ddd; }
        .chart table { font-size: 0.85rem; } td.heat { text-align: right; font-variant-numeric: tabular-nums; }
        figure { margin: 0.3rem; } figcaption { font-size: 0.85rem; } #live { color: #777; font-size: 0.85rem; }
        </style></head>
        <body><p><a href="/">runs</a> <span id="live"></span></p><h1>{{E(title)}}</h1>
        <main data-version="{{E(state.Version)}}">
        {{state.Body()}}
        </main>
        <script>
        (() => {
          const main = document.querySelector('main'), status = document.getElementById('live');
          if (!window.EventSource) return;
          const query = new URLSearchParams(location.search);
          query.set('since', main.dataset.version);
          const events = new EventSource('/live' + location.pathname + '?' + query);
          events.addEventListener('page', e => { main.innerHTML = e.data; main.dataset.version = e.lastEventId; status.textContent = 'updated ' + new Date().toLocaleTimeString(); });
          events.onopen = () => { status.textContent = 'live'; };
        })();
        </script>
        </body></html>
        """;
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
