using System.CommandLine;
using System.Runtime.InteropServices;
using Condensa.Hosting;
using Condensa.Config;
using Condensa.Memory;
using Condensa.Reporting;
using Condensa.Work;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Spectre.Console;
using TorchSharp;
using Condensa.Runtime;

namespace Condensa.Scenarios.Cli;

/// <summary>
/// The <c>condensa</c> command line: <c>run CONFIG [--out DIR] [--set key=value]...</c>, <c>validate CONFIG</c>,
/// <c>methods</c>. Exit codes: 0 done, 1 failed, 2 invalid config or usage, 3 partial (some work units failed; the
/// report holds the others), 130 cancelled (partial results kept).
/// </summary>
public static class CondensaCli
{
    public const int ExitOk = 0, ExitFailed = 1, ExitInvalid = 2, ExitPartial = 3, ExitCancelled = 130;

    /// <summary>What <see cref="RunAsync"/>'s caller adds to every host this process builds (its own builders and scenarios).</summary>
    private static Action<IServiceCollection>? _configureServices;

    /// <summary>
    /// Runs the command line on <paramref name="args"/>: the <c>condensa</c> executable, or a program of your own that
    /// adds builders or scenarios in <paramref name="configureServices"/> (e.g. <c>services.AddMemoryBuilder(...)</c>)
    /// and gets every command with them.
    /// </summary>
    public static async Task<int> RunAsync(string[] args, Action<IServiceCollection>? configureServices = null)
    {
        _configureServices = configureServices;
        if (configureServices is not null) LocalWorkers.ThisProgramExtendsTheCommandLine = true;
        if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = 240; // tables in logs and CI are not cut at 80 columns
        var verbose = new Option<bool>("--verbose") { Description = "Show stack traces and debug logging", Recursive = true };
        var config = new Argument<string>("CONFIG") { Description = "YAML config file" };
        var outDir = new Option<string?>("--out") { Description = "Run directory (default runs/NAME-TIMESTAMP); an existing one is resumed where the scenario supports it" };
        var set = new Option<string[]>("--set") { Description = "Override a config key, e.g. --set train.epochs=5 (repeatable)", AllowMultipleArgumentsPerToken = false };

        var run = new Command("run", "Run the scenario a config describes") { config, outDir, set };
        run.SetAction(pr => Guard(pr.GetValue(verbose), host => Run(host, pr.GetValue(config)!, pr.GetValue(outDir), pr.GetValue(set) ?? [])));

        var validateConfig = new Argument<string>("CONFIG") { Description = "YAML config file" };
        var validateSet = new Option<string[]>("--set") { Description = "Override a config key (repeatable)" };
        var validate = new Command("validate", "Check a config without running it") { validateConfig, validateSet };
        validate.SetAction(pr => Guard(pr.GetValue(verbose), host => Validate(host, pr.GetValue(validateConfig)!, pr.GetValue(validateSet) ?? [])));

        var pluginsOf = new Argument<string?>("CONFIG") { Description = "A config whose plug-ins' builders and scenarios are listed too", Arity = ArgumentArity.ZeroOrOne };
        var methods = new Command("methods", "List memory builders (selectors and synthesizers) with their options and defaults") { pluginsOf };
        methods.SetAction(pr => Guard(pr.GetValue(verbose), host => ListMethods(host, pr.GetValue(pluginsOf))));

        var root = new RootCommand("Condensa: condense a training set into a small memory (coreset selection or synthesis) and use it for continual learning and architecture search.")
        {
            run, validate, methods,
        };
        root.Options.Add(verbose);
        foreach (var command in ExtraCommands.Create(verbose)) root.Subcommands.Add(command);
        var parsed = root.Parse(args);
        return await parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }).ConfigureAwait(false);
    }

    /// <summary>Builds the host (DI: registries, scenarios, logging) and runs <paramref name="body"/> with one-paragraph error reporting.</summary>
    internal static int Guard(bool verbose, Func<IHost, int> body)
    {
        using var host = BuildHost(verbose);
        try
        {
            return body(host);
        }
        catch (CondensaException e)
        {
            PrintError(e.Message, e.Hint, verbose ? e : null);
            return e switch
            {
                ConfigurationException => ExitInvalid,
                UnitsFailedException { Outcome.Status: RunOutcome.Partial } => ExitPartial,
                _ => ExitFailed,
            };
        }
        catch (OperationCanceledException)
        {
            AnsiConsole.MarkupLine("[yellow]cancelled[/]");
            return ExitCancelled;
        }
        catch (Exception e) when (!verbose)
        {
            bool expected = e is IOException or UnauthorizedAccessException;
            PrintError(Errors.Sentence(e), expected ? null : "run again with --verbose for the stack trace, and report it", null);
            return ExitFailed;
        }
    }

    public static IHost BuildHost(bool verbose)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        var logs = new ConsoleLoggerProvider { MinimumLevel = verbose ? LogLevel.Debug : LogLevel.Information };
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Trace);
        builder.Logging.AddProvider(logs);
        builder.Services.AddSingleton(logs);
        builder.Services.AddCondensa();
        _configureServices?.Invoke(builder.Services);
        return builder.Build();
    }

    private static int Run(IHost host, string configPath, string? outDir, string[] overrides)
    {
        var (scenario, options) = host.Services.GetRequiredService<ConfigLoader>().Load(configPath, overrides);
        var name = options.Name ?? Path.GetFileNameWithoutExtension(configPath);
        if (outDir is not null && outDir.FirstOrDefault(ch => UnsafeInFolderNames.Contains(ch) || char.IsControl(ch)) is var unsafeChar and not '\0')
            throw new ConfigurationException($"--out '{outDir}': a folder name holds '{(char.IsControl(unsafeChar) ? $"U+{(int)unsafeChar:X4}" : unsafeChar)}', which shells and web pages treat specially",
                "name run folders with letters, digits, '-', '_' and '.'; '/' separates folders");
        var dir = RunDirectory.Create(outDir, name);
        var log = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("condensa");
        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            if (cancel.IsCancellationRequested) return; // a second Ctrl+C kills the process
            e.Cancel = true;
            log.LogWarning("Ctrl+C: stopping after the current step, keeping partial results (press again to abort)");
            cancel.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; cancel.Cancel(); });
        try
        {
            using var owned = RunLock.TryTake(dir.Path);
            var device = DeviceResolver.Resolve(options.Device);
            var builders = host.Services.GetRequiredService<MemoryBuilderRegistry>();
            RunContext Context(IProgressSink progress) => new()
            {
                Directory = dir, Log = log, Device = device, Progress = progress, Builders = builders, ConfigPath = configPath, Owner = owned,
            };
            if (owned is null)
            {
                // another run writes this folder: the same config joins it as a worker; anything else is refused
                var owner = RunLock.Owner(dir.Path);
                if (scenario is not IUnitScenario units || options is not StudyRunOptions studyOptions)
                    throw new CondensaException($"{dir.Path} is being written by {owner}", "wait for it to finish, or give this run another --out folder");
                return Coordinator.Join(Context(new PlainProgressSink(log, TimeSpan.FromSeconds(30))), units, studyOptions, owner, cancel.Token);
            }
            var logs = host.Services.GetRequiredService<ConsoleLoggerProvider>();
            logs.AttachFile(dir.PathOf("log.txt"));
            if (dir.Created.Count > 1) log.LogInformation("created the run folder {Dir} and its parent folder(s) {Parents}", dir.Path, string.Join(", ", dir.Created.SkipLast(1)));
            dir.WriteText("config.yaml", $"# resolved from {configPath}{(overrides.Length > 0 ? " with --set " + string.Join(" --set ", overrides) : "")}\n" + ConfigWriter.ToYaml(options));
            if (options.Threads > 0) torch.set_num_threads(options.Threads);
            var deviceType = device.type.ToString().ToLowerInvariant();
            log.LogInformation("condensa {Scenario} '{Name}' -> {Dir} (device {Device}, {Threads} threads, seed {Seed}); precision auto computes in {Precision}",
                scenario.Name, name, dir.Path, deviceType, torch.get_num_threads(), options.Seed, CpuFeatures.AutoPrecision(deviceType));

            int code;
            if (AnsiConsole.Profile.Capabilities.Interactive && !Console.IsOutputRedirected)
            {
                code = 0;
                AnsiConsole.Progress().AutoClear(true).HideCompleted(true)
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                    .Start(ctx => code = scenario.Run(Context(new SpectreProgressSink(ctx)), options, cancel.Token));
            }
            else code = scenario.Run(Context(new PlainProgressSink(log, TimeSpan.FromSeconds(30))), options, cancel.Token);
            log.LogInformation("results in {Dir}", dir.Path);
            return code;
        }
        catch (OperationCanceledException)
        {
            log.LogWarning("cancelled; partial results are in {Dir}", dir.Path);
            return ExitCancelled;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    /// <summary>Characters a run folder's name may not hold (besides control characters): shell and HTML metacharacters.</summary>
    private const string UnsafeInFolderNames = "<>|\"*?`$;&";

    private static int Validate(IHost host, string configPath, string[] overrides)
    {
        var (scenario, options) = host.Services.GetRequiredService<ConfigLoader>().Load(configPath, overrides);
        AnsiConsole.MarkupLineInterpolated($"[green]{configPath} is valid[/] (scenario {scenario.Name}). Resolved config:");
        Console.Write(ConfigWriter.ToYaml(options));
        return ExitOk;
    }

    private static int ListMethods(IHost host, string? config)
    {
        if (config is not null) host.Services.GetRequiredService<ConfigLoader>().LoadPlugins(config);
        var registry = host.Services.GetRequiredService<MemoryBuilderRegistry>();
        foreach (var kind in registry.All.GroupBy(r => r.Kind))
        {
            var table = new Table().Title($"[bold]{Markup.Escape(kind.Key)}[/]").AddColumns("name", "description", "options (defaults)");
            foreach (var r in kind)
                table.AddRow(Markup.Escape(r.Name), Markup.Escape(r.Description), Markup.Escape(OptionsHelp.Describe(r.OptionsType)));
            AnsiConsole.Write(table);
        }
        var scenarios = new Table().Title("[bold]scenarios[/]").AddColumns("scenario", "description");
        foreach (var s in host.Services.GetRequiredService<ScenarioRegistry>().All) scenarios.AddRow(s.Name, Markup.Escape(s.Description));
        AnsiConsole.Write(scenarios);
        return ExitOk;
    }

    private static void PrintError(string message, string? hint, Exception? detail)
    {
        var err = Console.Error;
        err.WriteLine($"error: {message}");
        if (hint is not null) err.WriteLine($"hint: {hint}");
        if (detail is not null) err.WriteLine(detail.ToString());
    }
}
