using System.Runtime.InteropServices;
using System.CommandLine;
using Condensa.Hosting;
using Condensa.Scenarios.Cli;
using Condensa.Study;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Spectre.Console;
using TorchSharp;

namespace Condensa.Scenarios.ArchitectureSearch;

/// <summary><c>condensa nas worker --storage URL --study NAME</c> joins a study from any process or machine; <c>condensa nas status --storage URL</c> shows its studies (read-only).</summary>
internal static class NasCommands
{
    public static Command Create(Option<bool> verbose)
    {
        var nas = new Command("nas", "Architecture-search studies: join one as a worker, or show their status");
        var storage = new Option<string>("--storage") { Description = "Study store: sqlite:PATH or postgresql://user:password@host:port/db", Required = true };
        var study = new Option<string>("--study") { Description = "Study name (see `condensa nas status`)", Required = true };
        var maxTrials = new Option<int?>("--max-trials") { Description = "Stop after this many trials" };
        var heartbeat = new Option<double>("--heartbeat") { Description = "Seconds between heartbeats (use the study's setting)", DefaultValueFactory = _ => 10 };
        var threads = new Option<int>("--threads") { Description = "libtorch CPU threads (0 = one per core)" };
        var device = new Option<DeviceKind>("--device") { Description = "auto, cpu or cuda", DefaultValueFactory = _ => DeviceKind.Auto };
        var worker = new Command("worker", "Run trials of a study until none is waiting (Ctrl+C or SIGTERM puts the running trial back)") { storage, study, maxTrials, heartbeat, threads, device };
        worker.SetAction(pr => CondensaCli.Guard(pr.GetValue(verbose), host =>
        {
            if (pr.GetValue(threads) is > 0 and var t) torch.set_num_threads(t);
            var log = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("worker");
            using var cancel = new CancellationTokenSource();
            Console.CancelKeyPress += (_, e) => { if (!cancel.IsCancellationRequested) { e.Cancel = true; cancel.Cancel(); } };
            // a service manager (systemd, Kubernetes) stops a worker with SIGTERM: put the running trial back as Ctrl+C does
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; cancel.Cancel(); });
            using var store = StudyStorage.Open(pr.GetValue(storage)!);
            var s = SearchStudy.Load(store, pr.GetValue(study)!);
            using var context = NasStudies.Context(s, host.Services.GetRequiredService<ConfigLoader>(), DeviceResolver.Resolve(pr.GetValue(device)));
            log.LogInformation("worker {Id} joined study {Study} in {Url}", StudyRunner.DefaultWorkerId(), s.Name, store.Url);
            var report = NasStudies.Work(s, context, pr.GetValue(heartbeat), log, null, pr.GetValue(maxTrials), cancel.Token);
            log.LogInformation("worker done: {Complete} complete, {Failed} failed, {Requeued} stale trials re-queued{Interrupted}",
                report.Complete, report.Failed, report.RequeuedStale, report.Interrupted ? ", interrupted" : "");
            return report.Interrupted ? CondensaCli.ExitCancelled : CondensaCli.ExitOk;
        }));

        var statusStorage = new Option<string>("--storage") { Description = "Study store URL", Required = true };
        var grace = new Option<double>("--grace") { Description = "Seconds without heartbeat after which a running trial counts as stale", DefaultValueFactory = _ => 30 };
        var status = new Command("status", "Show the studies of a store and their trials' states (never takes a write lock)") { statusStorage, grace };
        status.SetAction(pr => CondensaCli.Guard(pr.GetValue(verbose), _ =>
        {
            using var store = StudyStorage.Open(pr.GetValue(statusStorage)!);
            var table = new Table().Title(Markup.Escape(store.Url)).AddColumns("study", "waiting", "running", "stale", "complete", "pruned", "failed", "best");
            foreach (var name in store.StudyNames())
            {
                var s = SearchStudy.Load(store, name);
                var sum = s.Summary(TimeSpan.FromSeconds(pr.GetValue(grace)));
                var best = s.BestTrial();
                table.AddRow(Markup.Escape(name), sum.Waiting.ToString(), sum.Running.ToString(), sum.Stale.ToString(), sum.Complete.ToString(), sum.Pruned.ToString(), sum.Failed.ToString(),
                    best is null ? "" : Markup.Escape($"{best.Value:0.0000} {string.Join(" ", best.Params.Values.Select(v => v.ToString()))}"));
            }
            AnsiConsole.Write(table);
            return CondensaCli.ExitOk;
        }));
        nas.Subcommands.Add(worker);
        nas.Subcommands.Add(status);
        return nas;
    }
}
