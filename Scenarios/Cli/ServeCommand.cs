using System.CommandLine;
using Condensa.Scenarios.Serve;
using Microsoft.Extensions.Hosting;

namespace Condensa.Scenarios.Cli;

/// <summary><c>condensa serve</c>: the dashboard over run folders (<see cref="Dashboard"/>).</summary>
internal static class ServeCommand
{
    public static Command Create(Option<bool> verbose)
    {
        var runs = new Option<string[]>("--runs") { Description = "A folder of run folders (repeatable; default runs/)", AllowMultipleArgumentsPerToken = false };
        var host = new Option<string>("--host") { Description = "Address to listen on (default 127.0.0.1; any other needs --token)", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "Port (default 8080; 0 picks a free one)", DefaultValueFactory = _ => 8080 };
        var token = new Option<string?>("--token") { Description = "Secret clients must give (?token= once, or Authorization: Bearer)" };
        var storage = new Option<string[]>("--storage") { Description = "A study store URL whose units are shown live (repeatable)" };
        var command = new Command("serve", "A read-only web dashboard of run folders and study stores: every run, per run its results, plots, config and log") { runs, host, port, token, storage };
        command.SetAction(pr => CondensaCli.Guard(pr.GetValue(verbose), _ =>
        {
            var roots = pr.GetValue(runs) is { Length: > 0 } given ? given : ["runs"];
            using var app = Dashboard.Build(new DashboardOptions(roots, pr.GetValue(host)!, pr.GetValue(port), pr.GetValue(token), pr.GetValue(storage) ?? []));
            app.Start();
            foreach (var url in app.Urls) Console.WriteLine($"condensa serve: {url} (runs from {string.Join(", ", roots.Select(Path.GetFullPath))}); Ctrl+C stops");
            app.WaitForShutdown();
            return 0;
        }));
        return command;
    }
}
