using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Condensa.Data;
using Condensa.Hosting;
using Condensa.Hosting.Config;
using Condensa.Memory;
using Condensa.Models;
using Condensa.Reporting;
using Condensa.Training;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace Condensa.Scenarios.ContinualLearning;

/// <summary>
/// Scenario <c>continual</c>: class- or domain-incremental learning with a rehearsal memory built by the plugged-in
/// builders. Class-incremental: the dataset's classes are split into S steps (a seeded order per repeat, or a given one);
/// domain-incremental: one dataset per step under <c>domains</c>, sharing one label space (<see cref="ContinualStream"/>).
/// At each step the builder makes the memory of the step's classes from the step's data alone (as the thesis does for
/// DM, DSA and herding), the older entries shrink to their share (<see cref="MemoryPolicy"/>), and the strategy (GDumb
/// or EEIL) learns and is tested on every step's test set so far. Every (strategy, builder, repeat) is one run; every finished step is checkpointed
/// (step metrics, the memory through <see cref="MemoryCache"/>, EEIL's model), so a run stopped by Ctrl+C or a crash
/// continues from its last finished step when given the same --out directory, and a finished run is not redone.
/// Writes results.json (runs and summary), results.csv (one row per run and step), runs/NAME.json (one run),
/// runs/NAME-accuracy.csv (its accuracy matrix), results.md and accuracy_vs_classes.png.
/// </summary>
public sealed class ContinualScenario : IScenario
{
    public string Name => "continual";
    public string Description => "Class-incremental learning (GDumb, EEIL) with a memory built by each builder; accuracy matrix, forgetting, BWT";
    public Type OptionsType => typeof(ContinualOptions);

    public int Run(RunContext ctx, RunOptions runOptions, CancellationToken cancellationToken)
    {
        var o = (ContinualOptions)runOptions;
        var sources = o.Domains is { Count: > 0 } domains ? domains : [o.Dataset];
        var splits = new List<DatasetSplits>();
        var moved = new List<LabeledDataset>();
        LabeledDataset OnDevice(LabeledDataset data)
        {
            var there = data.To(ctx.Device);
            if (!ReferenceEquals(there, data)) moved.Add(there);
            return there;
        }
        try
        {
            // one dataset: the seed of a class-incremental run's data as before; domain d of a stream: its own seed
            for (int d = 0; d < sources.Count; d++)
                splits.Add(DatasetCatalog.Load(sources[d], sources.Count == 1 ? Seeds.Derive(o.Seed, "data") : Seeds.Derive(o.Seed, "data", d)));
            var loaded = splits.Select(s => (Train: OnDevice(s.Train), Test: OnDevice(s.Test))).ToList();
            var stream = loaded.Count == 1
                ? ContinualStream.ByClass(loaded[0].Train, loaded[0].Test)
                : ContinualStream.ByDomain(loaded, Enumerable.Range(0, loaded.Count).Select(d => $"domains[{d}] ({sources[d].Name})").ToArray());
            RunStudy(ctx, o, stream, cancellationToken);
        }
        finally
        {
            foreach (var data in moved) data.Dispose();
            foreach (var split in splits) split.Dispose();
        }
        return 0;
    }

    /// <summary>Runs every (strategy, builder, repeat) on the given data and writes the reports; returns the runs.</summary>
    internal static IReadOnlyList<ContinualRun> RunStudy(RunContext ctx, ContinualOptions o, ContinualStream stream, CancellationToken cancellationToken)
    {
        var log = ctx.Log;
        var policy = o.Memory.ToPolicy();
        int steps = stream.DomainCount ?? o.Steps;
        var setup = new LearnerSetup(ArchitectureSpec.Parse(o.Arch), stream.Shape, stream.NumClasses, stream.DatasetName, ctx.Device, ctx.Progress);
        var buildArch = ArchitectureSpec.Parse(o.EffectiveBuildArch);
        var shares = policy.Shares(stream.Groups(steps, o.ClassesPerStep, o.ClassOrder, 0).Select(g => g.Length).ToArray());
        if (shares[^1] == 0) log.LogWarning("memory {Policy}: by step {Step} the share per class is 0 images", policy, Array.IndexOf(shares, 0) + 1);
        log.LogInformation("continual: {Kind}, {Classes} classes of {Dataset} in {Steps} steps, memory {Policy} (per-class share by step: {Shares}); strategies {Strategies} x builders {Builders} x {Seeds} repeats",
            stream.IsDomainIncremental ? "domain-incremental" : "class-incremental", stream.Classes.Length, stream.Name, steps, policy, string.Join(", ", shares),
            string.Join(", ", o.Strategies.Select(s => Naming.EnumValue(s))), string.Join(", ", o.Builders.Select(b => b.DisplayName)), o.Seeds);
        var prune = Pruner(ctx, buildArch, cancellationToken);

        var runs = new List<ContinualRun>();
        try
        {
            foreach (var strategy in o.Strategies)
            foreach (var spec in o.Builders)
            for (int k = 0; k < o.Seeds; k++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var groups = stream.Groups(steps, o.ClassesPerStep, o.ClassOrder, Seeds.Derive(o.Seed, "class-order", k));
                var run = new ContinualRun(Naming.EnumValue(strategy), spec.DisplayName, k, groups, RunSettings(o, strategy, spec));
                runs.Add(run);
                RunOne(ctx, o, run, strategy, spec, policy, setup, buildArch, prune, stream, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            Report(ctx, o, stream, steps, policy, runs, "cancelled");
            throw;
        }
        Report(ctx, o, stream, steps, policy, runs, "completed");
        return runs;
    }

    /// <summary>
    /// A short hash of every setting a (strategy, builder, repeat) run's results depend on: the config without the keys that
    /// only concern other runs (the other builders and strategies, the repeat count) or the thread count, plus the
    /// strategy's own block and the builder's options. A finished run or a step checkpoint is reused only under the same settings.
    /// </summary>
    private static string RunSettings(ContinualOptions o, ContinualStrategy strategy, MethodSpec spec)
    {
        var json = MemoryStore.OptionsJson(o);
        foreach (var key in new[] { "builders", "strategies", "seeds", "name", "threads", "gdumb", "eeil" }) json.Remove(key);
        var own = MemoryStore.OptionsJson(strategy == ContinualStrategy.Gdumb ? o.Gdumb : o.Eeil);
        return Seeds.Key(o.Seed, $"{json.ToJsonString()}|{Naming.EnumValue(strategy)} {own.ToJsonString()}|{spec.Name} {MemoryStore.OptionsJson(spec.Options).ToJsonString()}");
    }

    private static void RunOne(RunContext ctx, ContinualOptions o, ContinualRun run, ContinualStrategy strategy, MethodSpec spec, MemoryPolicy policy,
        LearnerSetup setup, ArchitectureSpec buildArch, SyntheticPruner prune, ContinualStream stream, CancellationToken cancellationToken)
    {
        var log = ctx.Log;
        var runFile = $"runs/{run.Name}.json";
        if (ctx.Directory.Exists(runFile) && ContinualRun.ReadSettings(ctx.Directory.PathOf(runFile)) == run.Settings)
        {
            run.Steps.AddRange(ContinualRun.ReadSteps(ctx.Directory.PathOf(runFile)));
            CheckClasses(run, runFile);
            log.LogInformation("{Run}: finished earlier, final accuracy {Accuracy}", run.Name, Format.Percent(run.FinalAccuracy));
            return;
        }
        // step checkpoints of other settings (or of a run file with other settings) are dropped, never resumed from
        var checkpoints = ctx.Directory.PathOf($"checkpoints/{run.Name}");
        var settingsFile = $"checkpoints/{run.Name}/settings.txt";
        bool stale = ctx.Directory.Exists(runFile)
            || (Directory.Exists(checkpoints) && (!ctx.Directory.Exists(settingsFile) || File.ReadAllText(ctx.Directory.PathOf(settingsFile)) != run.Settings));
        if (stale)
        {
            log.LogWarning("{Run}: its settings changed since its results in {Dir} were written; computing it again", run.Name, ctx.Directory.Path);
            if (Directory.Exists(checkpoints)) Directory.Delete(checkpoints, recursive: true);
        }
        ctx.Directory.WriteText(settingsFile, run.Settings);
        log.LogInformation("{Run}: class order {Order}", run.Name, string.Join(" | ", run.Groups.Select(g => string.Join(" ", g))));
        using var learner = IContinualLearner.Create(strategy, o, setup);
        var memory = ContinualMemory.Empty();
        bool restore = false;
        try
        {
            for (int t = 1; t <= run.Groups.Length; t++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var groups = run.Groups[..t];
                int share = policy.Share(groups.Sum(g => g.Length));
                using var stepTrain = stream.StepTrain(t, run.Groups, $"{stream.DatasetName}-seed{run.Seed}-step{t}");
                var (after, buildSeconds) = UpdateMemory(ctx, o, run, spec, buildArch, prune, memory, stepTrain, t, share, cancellationToken);
                var checkpoint = $"checkpoints/{run.Name}/step{t}";
                try
                {
                    if (ctx.Directory.Exists(checkpoint + ".json"))
                    {
                        run.Steps.Add(JsonSerializer.Deserialize<StepResult>(File.ReadAllText(ctx.Directory.PathOf(checkpoint + ".json")), RunDirectory.Json)!);
                        CheckClasses(run, checkpoint + ".json");
                        restore = true;
                        log.LogInformation("{Run}: step {Step}/{Steps} finished earlier (checkpoint), accuracy {Accuracy}", run.Name, t, run.Groups.Length, Format.Percent(run.Steps[^1].Accuracy));
                    }
                    else
                    {
                        if (restore) learner.Restore(ctx.Directory.PathOf($"checkpoints/{run.Name}/step{t - 1}"));
                        restore = false;
                        var stepTests = stream.StepTests(t, run.Groups);
                        EvalResult[][] evaluations;
                        var clock = Stopwatch.StartNew();
                        try
                        {
                            evaluations = learner.Learn(new ContinualStep(t, groups[^1], groups, stepTrain, stepTests, share), memory, after,
                                Seeds.Derive(o.Seed, $"{run.Strategy}/seed{run.Seed}/step{t}"), cancellationToken);
                        }
                        finally
                        {
                            foreach (var d in stepTests) d.Dispose();
                        }
                        var result = Result(t, groups, evaluations, buildSeconds + clock.Elapsed.TotalSeconds, buildSeconds, after);
                        learner.Save(ctx.Directory.PathOf(checkpoint));
                        ctx.Directory.WriteJson(checkpoint + ".json", result);
                        run.Steps.Add(result);
                        log.LogInformation("{Run}: step {Step}/{Steps} done: accuracy on the test sets of {Seen} steps {Accuracy}, per step [{Row}], memory {Images} images ({Seconds:0.0} s)",
                            run.Name, t, run.Groups.Length, t, Format.Percent(result.Accuracy),
                            string.Join(", ", result.AccuracyRow.Select(Format.Percent)), result.MemoryImages, result.Seconds);
                    }
                }
                catch
                {
                    after.Dispose();
                    throw;
                }
                memory.Dispose();
                memory = after;
            }
        }
        finally
        {
            memory.Dispose();
        }
        var json = run.ToJson();
        json.Insert(0, "scenario", "continual");
        ctx.Directory.WriteJson(runFile, json);
    }

    /// <summary>
    /// The memory after step <paramref name="t"/>: the builder's memory of the step's classes, made from the step's data
    /// alone (or loaded from the run directory), joined to <paramref name="memory"/> cut to the new share; and the seconds
    /// both took (the build's as recorded when it was built).
    /// </summary>
    private static (ContinualMemory After, double BuildSeconds) UpdateMemory(RunContext ctx, ContinualOptions o, ContinualRun run, MethodSpec spec,
        ArchitectureSpec buildArch, SyntheticPruner prune, ContinualMemory memory, LabeledDataset stepTrain, int t, int share, CancellationToken cancellationToken)
    {
        var newClasses = run.Groups[t - 1];
        long buildSeed = Seeds.Derive(o.Seed, $"build/seed{run.Seed}/step{t}");
        var (built, buildSeconds) = share == 0
            ? (new SelectedMemory([]), 0.0)
            : MemoryCache.BuildOrLoad(ctx.Directory.PathOf($"memories/{ContinualRun.Slug(spec.DisplayName)}/seed{run.Seed}/step{t}"), stepTrain, () =>
            {
                ctx.Log.LogInformation("{Run}: building the {Builder} memory of classes [{Classes}], {Share} per class", run.Name, spec.DisplayName, string.Join(", ", newClasses), share);
                return ctx.Builders.Create(spec).Build(new MemoryRequest
                {
                    Source = stepTrain, Budget = Budget.ImagesPerClass(share), Classes = newClasses, Architecture = buildArch,
                    Device = ctx.Device, Seed = buildSeed, Progress = ctx.Progress, Log = ctx.Log,
                }, cancellationToken);
            }, spec, buildSeed);
        var clock = Stopwatch.StartNew();
        try
        {
            var after = memory.Update(t, built, stepTrain, newClasses, share, prune, Seeds.Derive(o.Seed, $"shrink/seed{run.Seed}/step{t}"));
            return (after, buildSeconds + clock.Elapsed.TotalSeconds);
        }
        finally
        {
            if (built is SyntheticMemory synthetic)
            {
                synthetic.Images.Dispose();
                synthetic.Labels.Dispose();
            }
        }
    }

    /// <summary>
    /// A step's record from the evaluations of its models on each step's test set: per model the accuracy on all of
    /// them together (<see cref="ContinualMetrics.Pooled"/>); the accuracy-matrix row is the mean over models per test set.
    /// </summary>
    private static StepResult Result(int t, int[][] groups, EvalResult[][] evaluations, double seconds, double buildSeconds, ContinualMemory after)
    {
        var rows = evaluations.Select(e => e.Select(r => r.Accuracy).ToArray()).ToArray();
        var accuracies = evaluations.Select(ContinualMetrics.Pooled).ToArray();
        return new StepResult(t, groups[^1], accuracies.Average(), accuracies, Enumerable.Range(0, t).Select(j => rows.Average(r => r[j])).ToArray(),
            seconds, buildSeconds, after.Count, after.Bytes);
    }

    /// <summary>A checkpoint written under another class split (another config in the same --out directory) is an error, not a result.</summary>
    private static void CheckClasses(ContinualRun run, string file)
    {
        for (int t = 0; t < run.Steps.Count; t++)
            if (t >= run.Groups.Length || !run.Steps[t].Classes.SequenceEqual(run.Groups[t]))
                throw new CondensaException($"{file} was written for another class split (step {t + 1}: [{string.Join(", ", run.Steps[t].Classes)}], this config: [{(t < run.Groups.Length ? string.Join(", ", run.Groups[t]) : "")}])",
                    "use a new --out directory for a changed config");
    }

    /// <summary>Shrinks synthetic images (every class in them to keep) with the registered <c>yoco</c> selector, or a seeded random subset per class without it.</summary>
    private static SyntheticPruner Pruner(RunContext ctx, ArchitectureSpec buildArch, CancellationToken cancellationToken)
    {
        if (!ctx.Builders.Names.Contains("yoco"))
            return (images, keep, seed) => DatasetSampling.PerClassIndices(images, keep, seed);
        return (images, keep, seed) => ctx.Builders.Create("yoco").Build(new MemoryRequest
        {
            Source = images, Budget = Budget.ImagesPerClass(keep), Architecture = buildArch, Device = ctx.Device, Seed = seed,
            Progress = ctx.Progress, Log = ctx.Log,
        }, cancellationToken) switch
        {
            SelectedMemory selected => selected.Indices,
            var other => throw new InvalidOperationException($"yoco returned a {other.GetType().Name}, not a selection"),
        };
    }

    private static void Report(RunContext ctx, ContinualOptions o, ContinualStream stream, int steps, MemoryPolicy policy, List<ContinualRun> runs, string status)
    {
        var dir = ctx.Directory;
        foreach (var run in runs.Where(r => r.Steps.Count > 0))
            dir.WriteCsv($"runs/{run.Name}-accuracy.csv", ["after_step", .. run.Groups.Select((_, j) => $"step_{j + 1}")],
                run.Steps.Select(s => (IReadOnlyList<object?>)[s.Step, .. run.Groups.Select((_, j) => j < s.AccuracyRow.Length ? (object?)s.AccuracyRow[j] : null)]));
        var summaries = runs.Where(r => r.Complete).GroupBy(r => (r.Strategy, r.Builder)).Select(g => ContinualSummary.Of(g.ToList())).ToList();

        dir.WriteJson("results.json", new JsonObject
        {
            ["scenario"] = "continual",
            ["status"] = status,
            ["dataset"] = stream.Name,
            ["incremental"] = stream.IsDomainIncremental ? "domain" : "class",
            ["steps"] = steps,
            ["memory"] = policy.ToString(),
            ["arch"] = o.Arch,
            ["build_arch"] = o.EffectiveBuildArch,
            ["runs"] = new JsonArray(runs.Select(r => (JsonNode)r.ToJson()).ToArray()),
            ["summary"] = new JsonArray(summaries.Select(s => (JsonNode)s.ToJson()).ToArray()),
        });
        dir.WriteCsv("results.csv", ["strategy", "builder", "seed", "step", "classes", "accuracy", "seconds", "build_seconds", "memory_images", "memory_bytes"],
            runs.SelectMany(r => r.Steps.Select(s => (IReadOnlyList<object?>)[r.Strategy, r.Builder, r.Seed, s.Step, string.Join(" ", s.Classes), s.Accuracy, s.Seconds, s.BuildSeconds, s.MemoryImages, s.MemoryBytes])));
        if (summaries.Count == 0) return;

        var classesSeen = summaries[0].ClassesSeen;
        bool byDomain = stream.IsDomainIncremental;
        var header = new[] { "strategy", "builder" }.Concat(classesSeen.Select((c, t) => byDomain ? $"step {t + 1}" : $"step {t + 1} ({c})"))
            .Concat(["final", "avg. incremental", "forgetting", "BWT"]).ToArray();
        var md = new StringBuilder();
        md.AppendLine($"Accuracy (%) on the test sets of all steps so far ({(byDomain ? "domains" : "classes")} seen), {stream.Name}, {steps} steps, memory {policy}, mean ± std; per step and final over " +
            $"{o.Seeds} class orders x the models of each step (gdumb: {o.Gdumb.Models}, eeil: 1), the other columns over class orders. " +
            "Forgetting: mean drop from the best accuracy on a step's classes (Chaudhry et al. 2018); BWT: mean A[T][j] − A[j][j] (Lopez-Paz and Ranzato 2017).");
        md.AppendLine();
        md.AppendLine("| " + string.Join(" | ", header) + " |");
        md.AppendLine("|" + string.Concat(header.Select(_ => "---|")));
        var table = new Table();
        foreach (var h in header) table.AddColumn(h);
        foreach (var s in summaries)
        {
            var cells = new[] { s.Strategy, s.Builder }
                .Concat(s.StepMean.Select((m, t) => Format.MeanStd(m, s.StepStd[t])))
                .Concat([Format.MeanStd(s.FinalMean, s.FinalStd), Format.MeanStd(s.AiaMean, s.AiaStd), MeanStdOrNa(s.ForgettingMean, s.ForgettingStd), MeanStdOrNa(s.BwtMean, s.BwtStd)])
                .ToArray();
            md.AppendLine("| " + string.Join(" | ", cells) + " |");
            table.AddRow(cells.Select(Markup.Escape).ToArray());
        }
        dir.WriteText("results.md", md.ToString());
        AnsiConsole.Write(table);

        Plots.Line(dir.PathOf("accuracy_vs_classes.png"), $"{stream.Name}: accuracy on the {(byDomain ? "domains" : "classes")} seen ({steps} steps, memory {policy})",
            byDomain ? "domains seen" : "classes seen", "test accuracy (%)",
            summaries.Select(s => new Series($"{s.Strategy} + {s.Builder}", s.ClassesSeen.Select((c, t) => byDomain ? t + 1.0 : c).ToArray(),
                s.StepMean.Select(m => 100 * m).ToArray(), s.StepStd.Select(d => 100 * d).ToArray())).ToList());
    }

    private static string MeanStdOrNa(double mean, double std) => double.IsNaN(mean) ? "n/a" : Format.MeanStd(mean, std);
}
