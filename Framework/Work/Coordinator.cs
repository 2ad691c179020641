using Condensa.Hosting;
using Condensa.Config;
using Condensa.Study;
using Microsoft.Extensions.Logging;
using Condensa.Runtime;

namespace Condensa.Work;

/// <summary>
/// The coordinator of a unit-based run (<c>condensa run</c> of compare, continual or nas). It opens the study store (the
/// run folder's <c>study.db</c> unless <c>storage</c> is set), starts <c>workers − 1</c> local worker processes, plans
/// the studies, works units itself until every unit is finished (waiting for other workers' units, and taking over
/// those whose worker died), then writes the report from the stored results. Stopped at any moment it leaves the store
/// consistent; run again on the same folder it re-attaches to its studies, retries failed units and goes on.
/// </summary>
internal static class Coordinator
{
    /// <param name="open">How this process opens a study's executor (default: the scenario's); a test may run units on data it holds.</param>
    /// <param name="owner">The run folder's lock, through which the coordinator tells a second run of the folder which studies it works.</param>
    public static int Run(RunContext ctx, IUnitScenario scenario, StudyRunOptions o, CancellationToken cancellationToken,
        Func<UnitEnvironment, IUnitExecutor>? open = null, RunLock? owner = null)
    {
        var log = ctx.Log;
        var url = StorageUrl(o, ctx.Directory.Path);
        using var storage = StudyStorage.Open(url);
        var run = RunOf(ctx, scenario, o, storage);
        var settings = new ExecutionSettings(ctx.Device, run.Threads);
        var names = scenario.StudyNames(o, run);
        owner?.Announce(names);
        log.LogInformation("{Scenario}: units in {Url}; {Workers} local worker(s) x {Threads} threads; memory sharing: {Sharing}. More workers: condensa worker --storage {Url}",
            scenario.Name, storage.Url, o.Workers, run.Threads, Naming.EnumValue(run.Sharing), storage.Url);
        var children = LocalWorkers.Start(o.Workers - 1, url, names, log);
        var studies = new List<SearchStudy>();
        bool finished = false;
        try
        {
            var files = run.Files(storage);
            var plan = new PlanContext { Storage = storage, Run = run, Context = ctx, Files = files, Settings = settings };
            // the plan, then each study a finished stage calls for (the next rung of a successive halving), until none
            for (var planned = scenario.Plan(plan, o, cancellationToken); planned.Count > 0; planned = scenario.Extend(plan, o, studies, cancellationToken))
            {
                studies.AddRange(planned);
                foreach (var study in planned)
                    if (study.RequeueFailed() is > 0 and var n) log.LogInformation("{Study}: {Count} failed units queued again", study.Name, n);
                Work(ctx, scenario, o, storage, settings, names, studies, open, cancellationToken);
            }
            finished = true;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            LocalWorkers.Stop(children, normalEnd: finished, TimeSpan.FromSeconds(60));
        }
        var outcome = RunOutcome.Of(studies, cancelled: !finished);
        scenario.Report(ctx, o, studies, outcome);
        if (!finished) throw new OperationCanceledException(cancellationToken);
        if (outcome.Failed > 0) throw new UnitsFailedException(outcome, storage.Url);
        return 0;
    }

    /// <summary>Works the run's units in this process until none is waiting or running, showing the whole run's progress.</summary>
    private static void Work(RunContext ctx, IUnitScenario scenario, StudyRunOptions o, StudyStorage storage, ExecutionSettings settings,
        IReadOnlyList<string> names, IReadOnlyList<SearchStudy> studies, Func<UnitEnvironment, IUnitExecutor>? open, CancellationToken cancellationToken)
    {
        int Finished() => studies.Sum(s => s.GetTrials().Count(t => t.State is TrialState.Complete or TrialState.Failed));
        using var task = ctx.Progress.Start($"{scenario.Name} units", studies.Sum(s => s.GetTrials().Count));
        int shown = Finished();
        task.Increment(shown);
        void Refresh()
        {
            int now = Finished();
            task.Increment(now - shown);
            shown = now;
        }
        using var worker = new UnitWorker(storage, (study, _, files) => (open ?? scenario.Open)(new UnitEnvironment
        {
            Study = study, Options = o, Files = files, Settings = settings, Builders = ctx.Builders, Log = ctx.Log, Progress = ctx.Progress,
        }), ctx.Log);
        worker.Work(names, served =>
        {
            Refresh();
            return UnitWorker.AllFinished(served);
        }, cancellationToken, unitEnded: _ => Refresh());
        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>
    /// A second <c>condensa run</c> of a folder another process owns: when that process runs the same config (its studies
    /// exist), this one works their units as a worker and leaves the results to the owner; otherwise it is an error
    /// that names the owner.
    /// </summary>
    public static int Join(RunContext ctx, IUnitScenario scenario, StudyRunOptions o, string owner, CancellationToken cancellationToken)
    {
        var url = StorageUrl(o, ctx.Directory.Path);
        using var storage = StudyStorage.Open(url);
        var run = RunOf(ctx, scenario, o, storage);
        var names = scenario.StudyNames(o, run);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        IReadOnlyList<string> theirs;
        while ((theirs = RunLock.OwnerStudies(ctx.Directory.Path)).Count == 0 && clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            cancellationToken.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(200));
            cancellationToken.ThrowIfCancellationRequested();
        }
        if (!names.Any(theirs.Contains))
            throw new CondensaException($"{ctx.Directory.Path} is being written by {owner}{(theirs.Count == 0 ? "" : ", which runs another config")}",
                "wait for it to finish, or give this run another --out folder");
        ctx.Log.LogInformation("{Dir} is being written by {Owner}: joining its units as a worker (it writes the results)", ctx.Directory.Path, owner);
        var settings = new ExecutionSettings(ctx.Device, run.Threads);
        using var worker = new UnitWorker(storage, (study, _, files) => scenario.Open(new UnitEnvironment
        {
            Study = study, Options = o, Files = files, Settings = settings, Builders = ctx.Builders, Log = ctx.Log, Progress = ctx.Progress,
        }), ctx.Log);
        var tally = worker.Work(names, UnitWorker.NothingWaiting, cancellationToken);
        ctx.Log.LogInformation("worker done: {Complete} units complete, {Failed} failed", tally.Complete, tally.Failed);
        cancellationToken.ThrowIfCancellationRequested();
        return 0;
    }

    /// <summary>A unit's label (its <c>label</c> parameter, else its number).</summary>
    public static string Label(FrozenTrial unit) => unit.Params.TryGetValue("label", out var label) ? label.GetString()! : $"unit {unit.Number}";

    private static string StorageUrl(StudyRunOptions o, string runFolder) => o.Storage ?? "sqlite:" + Path.Combine(runFolder, "study.db");

    private static RunInfo RunOf(RunContext ctx, IUnitScenario scenario, StudyRunOptions o, StudyStorage storage)
    {
        var sharing = o.MemorySharing != MemorySharing.Auto ? o.MemorySharing : storage is PostgresStorage ? MemorySharing.Store : MemorySharing.Folder;
        var yaml = ConfigWriter.ToYaml(o);
        if (o.Storage is { } url) yaml = yaml.Replace(url, Secrets.MaskUrl(url), StringComparison.Ordinal); // the store's password stays out of the store
        var folder = ctx.Directory.Path;
        return new RunInfo(scenario.Name, yaml, folder, RunInfo.IdOf(folder), ctx.Device.type.ToString().ToLowerInvariant(), o.ThreadsPerWorker, o.HeartbeatSeconds,
            sharing, o.StoreLimitMb);
    }
}
