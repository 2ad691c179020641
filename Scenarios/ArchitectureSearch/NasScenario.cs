using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Condensa.Data;
using Condensa.Hosting;
using Condensa.Memory;
using Condensa.Models;
using Condensa.Reporting;
using Condensa.Study;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace Condensa.Scenarios.ArchitectureSearch;

/// <summary>
/// Scenario <c>nas</c> (thesis 3.3.2, 4.4.6, 5.3.6): train every candidate ConvNet on small proxy sets and on the whole
/// training set, rank the candidates by mean validation accuracy, and measure how well each proxy's ranking predicts
/// the whole-set ranking (Spearman and Kendall over all candidates and over the top k by proxy, precision at k, the
/// true rank of the proxy's best). Studies live in a store (SQLite by default, PostgreSQL for many machines) that any
/// number of <c>condensa nas worker</c> processes share; a stopped search resumes where it was.
/// </summary>
public sealed class NasScenario(IServiceProvider services) : IScenario
{
    public string Name => "nas";
    public string Description => "Rank architectures on proxy sets and score the ranking against whole-dataset training (Spearman)";
    public Type OptionsType => typeof(NasOptions);

    public int Run(RunContext ctx, RunOptions runOptions, CancellationToken cancellationToken)
    {
        var o = (NasOptions)runOptions;
        var log = ctx.Log;
        var url = o.Storage ?? "sqlite:" + ctx.Directory.PathOf("study.db");
        using var storage = StudyStorage.Open(url);
        var candidates = o.Space.Candidates(o.Seed);
        log.LogInformation("nas: {Count} candidates, {Proxies} proxies{Early}, {Repeats} trainings each; store {Url}; {Workers} local workers",
            candidates.Count, o.Proxies.Count, o.EarlyStopping ? " + early stopping" : "", o.Repeats, storage.Url, o.Workers);

        var studies = new List<(string Label, NasStudyKind Kind, SearchStudy Study, int Images, double BuildSeconds)>();
        using (var splits = DatasetCatalog.Load(o.Dataset, Seeds.Derive(o.Seed, "data")))
        {
            var train = splits.Train.To(ctx.Device);
            var whole = NasStudies.Open(storage, NasStudies.StudyName(o, NasStudyKind.Whole, null), o, NasStudyKind.Whole, null, null, 0);
            studies.Add(("whole", NasStudyKind.Whole, whole, train.Count, 0));
            foreach (var proxy in o.Proxies)
            {
                var name = NasStudies.StudyName(o, NasStudyKind.Proxy, proxy);
                var (memory, seconds) = MemoryCache.BuildOrLoad(ctx.Directory.PathOf($"proxies/{Comparison.CompareScenario.Slug(proxy.Name)}"), train, () =>
                {
                    log.LogInformation("building proxy {Proxy}: {Builder}, {Ipc} images per class", proxy.Name, proxy.Builder!.Name, proxy.Ipc);
                    return ctx.Builders.Create(proxy.Builder!).Build(new MemoryRequest
                    {
                        Source = train, Budget = Budget.ImagesPerClass(proxy.Ipc), Architecture = ArchitectureSpec.Parse(o.BuildArch),
                        Device = ctx.Device, Seed = Seeds.Derive(o.Seed, "proxy/" + proxy.Name), Progress = ctx.Progress, Log = log,
                        CheckpointDirectory = ctx.Directory.PathOf($"checkpoints/proxy-{Comparison.CompareScenario.Slug(proxy.Name)}"),
                    }, cancellationToken);
                }, proxy.Builder!, Seeds.Derive(o.Seed, "proxy/" + proxy.Name));
                using var proxySet = memory.Materialize(train);
                studies.Add((proxy.Name, NasStudyKind.Proxy, NasStudies.Open(storage, name, o, NasStudyKind.Proxy, proxy, proxySet, seconds), proxySet.Count, seconds));
            }
            if (o.EarlyStopping)
                studies.Add(("early-stopping", NasStudyKind.EarlyStopping,
                    NasStudies.Open(storage, NasStudies.StudyName(o, NasStudyKind.EarlyStopping, null), o, NasStudyKind.EarlyStopping, null, null, 0),
                    Math.Min(train.Count, NasStudies.EarlyStoppingImages(o, train.NumClasses)), 0));
        }

        var status = "completed";
        try
        {
            foreach (var (label, _, study, _, _) in studies) Complete(ctx, o, study, label, url, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            status = "cancelled";
        }
        NasReport.Write(ctx, o, studies.Select(s => new NasReport.StudyResult(s.Label, s.Kind, s.Study, s.Images, s.BuildSeconds)).ToList(), status);
        if (status == "cancelled") throw new OperationCanceledException();
        return 0;
    }

    /// <summary>Works on a study (with extra local worker processes) until none of its trials is waiting or running.</summary>
    private void Complete(RunContext ctx, NasOptions o, SearchStudy study, string label, string url, CancellationToken cancellationToken)
    {
        var grace = TimeSpan.FromSeconds(3 * o.HeartbeatSeconds);
        var summary = study.Summary(grace);
        if (summary.Waiting == 0 && summary.Running == 0)
        {
            ctx.Log.LogInformation("[{Label}] study {Study}: all {Count} trials done (reused)", label, study.Name, summary.Total);
            return;
        }
        ctx.Log.LogInformation("[{Label}] study {Study}: {Waiting} waiting, {Complete} complete", label, study.Name, summary.Waiting, summary.Complete);
        // Several local workers share the cores: each gets its share of libtorch threads.
        int threads = Math.Max(1, Environment.ProcessorCount / o.Workers);
        if (o.Workers > 1) TorchSharp.torch.set_num_threads(threads);
        var children = Enumerable.Range(1, o.Workers - 1).Select(_ => LocalWorker.Start(url, study.Name, o.HeartbeatSeconds, threads, ctx.Log)).ToList();
        try
        {
            using var context = NasStudies.Context(study, services.GetRequiredService<ConfigLoader>(), ctx.Device); // lazily: the loader depends on the scenario list
            using var task = ctx.Progress.Start($"nas {label}", summary.Waiting + summary.Running);
            while (true)
            {
                NasStudies.Work(study, context, o.HeartbeatSeconds, ctx.Log, task, null, cancellationToken);
                summary = study.Summary(grace);
                if (summary.Waiting == 0 && summary.Running == 0) break;
                // Other workers still run trials: wait for them, or for their trials to go stale and come back to us.
                cancellationToken.WaitHandle.WaitOne(TimeSpan.FromSeconds(Math.Min(o.HeartbeatSeconds, 5)));
                cancellationToken.ThrowIfCancellationRequested();
            }
        }
        finally
        {
            foreach (var child in children) LocalWorker.Stop(child, cancellationToken.IsCancellationRequested);
        }
    }
}

/// <summary>Extra worker processes on this machine: <c>condensa nas worker</c> started with this process's own runtime.</summary>
internal static class LocalWorker
{
    public static Process Start(string url, string study, double heartbeatSeconds, int threads, ILogger log)
    {
        var app = Environment.GetCommandLineArgs()[0];
        var info = new ProcessStartInfo(Environment.ProcessPath!)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        // `dotnet condensa.dll ...` needs the dll again; the apphost (`condensa`) does not.
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet") info.ArgumentList.Add(app);
        foreach (var a in new[] { "nas", "worker", "--storage", url, "--study", study, "--threads", threads.ToString(System.Globalization.CultureInfo.InvariantCulture),
                     "--heartbeat", heartbeatSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture) })
            info.ArgumentList.Add(a);
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, e) => { if (e.Data is { Length: > 0 }) log.LogInformation("  worker {Pid}: {Line}", process.Id, e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is { Length: > 0 }) log.LogWarning("  worker {Pid}: {Line}", process.Id, e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    public static void Stop(Process process, bool cancel)
    {
        if (cancel && !process.HasExited) process.Kill(entireProcessTree: true);
        process.WaitForExit();
        process.Dispose();
    }
}
