using System.CommandLine;
using System.Runtime.InteropServices;
using Condensa.Hosting;
using Condensa.Config;
using Condensa.Memory;
using Condensa.Study;
using Condensa.Work;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Spectre.Console;
using Condensa.Runtime;

namespace Condensa.Scenarios.Cli;

/// <summary>
/// <c>condensa worker --storage URL</c> runs work units of any scenario from any process or machine;
/// <c>condensa status --storage URL</c> shows every study's units (read-only). <c>condensa nas worker</c> and
/// <c>condensa nas status</c> are the same for one study.
/// </summary>
internal static class WorkerCommands
{
    public static IEnumerable<Command> Create(Option<bool> verbose)
    {
        yield return Worker("worker", "Run work units (memory builds, evaluations, continual runs, NAS trials) of the studies of a store until none is waiting; Ctrl+C or SIGTERM puts the running unit back",
            verbose, studyRequired: false);
        yield return Status("status", "Show every study of a store: units waiting, running (worker, heartbeat), stale, complete and failed (with the error); never takes a write lock");
        var nas = new Command("nas", "Architecture-search studies: join one as a worker, or show the studies of a store");
        nas.Subcommands.Add(Worker("worker", "Run the trials of one study until none is waiting (as condensa worker --study NAME)", verbose, studyRequired: true));
        nas.Subcommands.Add(Status("status", "Show the studies of a store (as condensa status)"));
        yield return nas;
    }

    private static Command Worker(string name, string description, Option<bool> verbose, bool studyRequired)
    {
        var storage = new Option<string>("--storage") { Description = "Study store: sqlite:PATH or postgresql://user:password@host:port/db", Required = true };
        var study = new Option<string[]>("--study") { Description = "Serve only this study (repeatable; default: every study of the store)", Required = studyRequired };
        var maxUnits = new Option<int?>("--max-units", "--max-trials") { Description = "Stop after this many units" };
        var wait = new Option<double>("--wait") { Description = "Seconds to keep polling once nothing is waiting (for studies still being planned)" };
        var workDir = new Option<string?>("--work-dir") { Description = "Where a worker without the run folder keeps its mirror of it (memory_sharing: store); default: a folder under the temp folder" };
        var device = new Option<DeviceKind?>("--device") { Description = "auto, cpu or cuda (default: the run config's device)" };
        var follow = new Option<bool>(LocalWorkers.FollowStdinOption) { Description = "Stop claiming units when standard input closes (local workers of a run)", Hidden = true };
        var command = new Command(name, description) { storage, study, maxUnits, wait, workDir, device, follow };
        command.SetAction(pr => CondensaCli.Guard(pr.GetValue(verbose), host =>
        {
            var log = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("worker");
            using var cancel = new CancellationTokenSource();
            Console.CancelKeyPress += (_, e) => { if (!cancel.IsCancellationRequested) { e.Cancel = true; cancel.Cancel(); } };
            // a service manager (systemd, Kubernetes, a batch scheduler) stops a worker with SIGTERM: put the running unit back as Ctrl+C does
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; cancel.Cancel(); });
            using var stdinClosed = new CancellationTokenSource();
            if (pr.GetValue(follow))
                new Thread(() =>
                {
                    using var input = Console.OpenStandardInput();
                    var buffer = new byte[256];
                    while (input.Read(buffer, 0, buffer.Length) > 0) { }
                    stdinClosed.Cancel();
                }) { IsBackground = true, Name = "condensa-parent-watch" }.Start();

            using var store = StudyStorage.Open(pr.GetValue(storage)!);
            var names = pr.GetValue(study) is { Length: > 0 } given ? given : null;
            var waitFor = TimeSpan.FromSeconds(pr.GetValue(wait));
            var idleSince = (DateTime?)null;
            bool Done(IReadOnlyList<SearchStudy> served)
            {
                if (pr.GetValue(follow)) return false; // a local worker runs until its coordinator is done
                if (!UnitWorker.NothingWaiting(served) || (names is not null && served.Count < names.Length)) idleSince = null;
                else idleSince ??= DateTime.UtcNow;
                return idleSince is { } since && DateTime.UtcNow - since >= waitFor;
            }
            var open = Executors(host, pr.GetValue(device), log);
            using var worker = new UnitWorker(store, open, log, pr.GetValue(workDir));
            log.LogInformation("worker {Id} serving {Studies} of {Url}", worker.Id, names is null ? "every study" : string.Join(", ", names), store.Url);
            var tally = worker.Work(names, Done, cancel.Token, stdinClosed.Token, pr.GetValue(maxUnits));
            log.LogInformation("worker done: {Complete} units complete, {Failed} failed, {Lost} lost to another worker{Interrupted}",
                tally.Complete, tally.Failed, tally.Lost, tally.Interrupted ? ", interrupted" : "");
            return tally.Interrupted ? CondensaCli.ExitCancelled : CondensaCli.ExitOk;
        }));
        return command;
    }

    /// <summary>Opens a study's executor from its stored config, as any worker does: the scenario by name, the options bound from the YAML.</summary>
    private static Func<SearchStudy, RunInfo, RunFiles, IUnitExecutor> Executors(IHost host, DeviceKind? device, ILogger log) => (study, run, files) =>
    {
        var scenarios = host.Services.GetRequiredService<ScenarioRegistry>();
        if (scenarios.Find(run.Scenario) is not IUnitScenario scenario)
            throw new CondensaException($"study {study.Name} belongs to scenario '{run.Scenario}', which this Condensa does not run as work units");
        var source = $"study '{study.Name}' config";
        var (_, options) = host.Services.GetRequiredService<ConfigLoader>().Bind(YamlConfig.Parse(run.ConfigYaml, source), source);
        return scenario.Open(new UnitEnvironment
        {
            Study = study, Options = options, Files = files, Settings = new ExecutionSettings(DeviceResolver.Resolve(device ?? options.Device), run.Threads),
            Builders = host.Services.GetRequiredService<MemoryBuilderRegistry>(), Log = log, Progress = new PlainProgressSink(log, TimeSpan.FromSeconds(30)),
        });
    };

    private static Command Status(string name, string description)
    {
        var storage = new Option<string>("--storage") { Description = "Study store URL", Required = true };
        var command = new Command(name, description) { storage };
        command.SetAction(pr => CondensaCli.Guard(false, _ =>
        {
            using var store = StudyStorage.Open(pr.GetValue(storage)!);
            var status = StoreStatus.Read(store);
            var studies = new Table().Title(Markup.Escape(status.Url)).AddColumns("study", "scenario", "units", "waiting", "blocked", "running", "stale", "complete", "failed", "best");
            var running = new Table().Title("running units").AddColumns("study", "unit", "worker", "attempt", "heartbeat");
            var failed = new Table().Title("failed units").AddColumns("study", "unit", "attempts", "error");
            foreach (var s in status.Studies)
                studies.AddRow(Markup.Escape(s.Name), Markup.Escape(s.Scenario), s.Units.ToString(), s.Ready.ToString(), s.Blocked.ToString(), s.Running.ToString(),
                    s.Stale.ToString(), s.Complete.ToString(), s.Failed.ToString(), Markup.Escape(s.Best));
            foreach (var u in status.Running)
                running.AddRow(Markup.Escape(u.Study), Markup.Escape(u.Unit), Markup.Escape(u.Worker), u.Attempt.ToString(), $"{u.HeartbeatSeconds:0.0} s ago{(u.Stale ? " (stale)" : "")}");
            foreach (var u in status.Failed)
                failed.AddRow(Markup.Escape(u.Study), Markup.Escape(u.Unit), u.Attempts.ToString(), Markup.Escape(u.Error));
            AnsiConsole.Write(studies);
            if (running.Rows.Count > 0) AnsiConsole.Write(running);
            if (failed.Rows.Count > 0) AnsiConsole.Write(failed);
            return CondensaCli.ExitOk;
        }));
        return command;
    }
}
