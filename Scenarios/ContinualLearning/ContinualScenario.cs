using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Condensa.Data;
using Condensa.Hosting;
using Condensa.Config;
using Condensa.Memory;
using Condensa.Models;
using Condensa.Reporting;
using Condensa.Study;
using Condensa.Training;
using Condensa.Work;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace Condensa.Scenarios.ContinualLearning;

/// <summary>
/// Scenario <c>continual</c>: class- or domain-incremental learning with a rehearsal memory built by the plugged-in
/// builders. Class-incremental: the dataset's classes are split into S steps (a seeded order per repeat, or a given one);
/// domain-incremental: one dataset per step under <c>domains</c>, sharing one label space (<see cref="ContinualStream"/>).
/// At each step the builder makes the memory of the step's classes from the step's data alone (as the thesis does for
/// DM, DSA and herding), the older entries shrink to their share (<see cref="MemoryPolicy"/>; a synthetic memory is
/// pruned by <c>memory.prune_by</c>), and the strategy (GDumb or EEIL) learns and is tested on every step's test set so
/// far. Every (strategy, builder, repeat) is one work unit, run by any worker; its steps run in order, each finished
/// step checkpointed (step metrics, EEIL's model, the memory through the <see cref="MemoryPipeline"/>), so a unit
/// interrupted or taken over from a dead worker continues from its last finished step, and a synthesizer from its
/// last checkpoint. Writes results.json (runs and summary), results.csv (one row per run and step), runs/NAME.json
/// (one run), runs/NAME-accuracy.csv (its accuracy matrix), results.md and accuracy_vs_classes.png.
/// </summary>
internal sealed class ContinualScenario : ISingleStudyScenario
{
    public string Name => "continual";
    public string Description => "Class-incremental learning (GDumb, EEIL) with a memory built by each builder; accuracy matrix, forgetting, BWT";
    public Type OptionsType => typeof(ContinualOptions);

    public string DescribePlan(RunOptions options)
    {
        var o = (ContinualOptions)options;
        return $"strategies {string.Join(", ", o.Strategies.Select(s => Naming.EnumValue(s)))} x builders {string.Join(", ", o.Builders.Select(b => b.DisplayName))} " +
               $"x {o.Seeds} repeats, memory {string.Join(" | ", o.Memory.Policies)}";
    }

    /// <summary>
    /// One unit per (strategy, builder, memory size, repeat), keyed by every setting the run's results depend on; a
    /// unit of a size swept by <c>memory.sizes</c> has the key of the same run configured with that size alone.
    /// </summary>
    public IReadOnlyList<WorkUnit> Units(RunOptions options, RunInfo run)
    {
        var o = (ContinualOptions)options;
        return o.Strategies.SelectMany(strategy => o.Builders.SelectMany(spec => o.Memory.Swept.SelectMany(size => Enumerable.Range(0, o.Seeds).Select(k =>
            new WorkUnit(run.UnitKey($"{RunText(o, size, strategy, spec)}|repeat {k}|{run.SettingsKey}"),
                UnitParams.Of($"{Naming.EnumValue(strategy)} + {spec.DisplayName}{(size is null ? "" : $", memory {o.Memory.At(size).ToPolicy()}")}, class order {k}",
                    [("strategy", Naming.EnumValue(strategy)), ("builder", spec.DisplayName), ("repeat", k), .. MemorySizeParam(size)])))))).ToList();
    }

    /// <summary>The unit parameter of a swept memory size; none for a run of one memory (its units' parameters stay as they were).</summary>
    private static (string, object)[] MemorySizeParam(int? size) => size is int n ? [("memory_size", n)] : [];

    /// <summary>
    /// The multi-formation factor K whose tile resolution the run's real images are shown at, training and test alike
    /// (<see cref="MultiFormation.AtTileResolution"/>): EEIL's with <c>match_resolution</c>, the factor of the builder's
    /// memory; otherwise 1 (the images as they are).
    /// </summary>
    private static int TileFactor(ContinualOptions o, ContinualStrategy strategy, MethodSpec spec) =>
        MatchesResolution(o, strategy) ? MultiFormation.FactorOf(spec) : 1;

    /// <summary>Whether the run shows its real images at the tile resolution of the builder's memory: EEIL's <c>match_resolution</c>.</summary>
    private static bool MatchesResolution(ContinualOptions o, ContinualStrategy strategy) => strategy == ContinualStrategy.Eeil && o.Eeil.MatchResolution;

    /// <summary>What the run and memory keys add for images at the tile resolution.</summary>
    private static string AtTiles(int tiles) => tiles == 1 ? "" : $" at the resolution of factor-{tiles} tiles";

    /// <summary>
    /// Every setting a (strategy, builder) run's results depend on: the config without the keys that only concern other
    /// runs (the other builders, strategies and memory sizes, the repeat count) or how the work is spread, with the
    /// memory of <paramref name="size"/>, plus the strategy's own block and the builder's options. A memory of a fixed
    /// total (which prunes the old classes' images at every step) also names how pruned images are named (by their
    /// content), so a run stored while they were all named alike, when one memory's pruner could reuse a selection
    /// model trained on another memory's images, is not reported as a run of this version.
    /// </summary>
    private static string RunText(ContinualOptions o, int? size, ContinualStrategy strategy, MethodSpec spec)
    {
        var json = MemoryStore.OptionsJson(o);
        foreach (var key in new[] { "builders", "strategies", "seeds", "name", "threads", "gdumb", "eeil", "storage", "workers", "heartbeat_seconds", "memory_sharing", "store_limit_mb" })
            json.Remove(key);
        var memory = MemoryStore.OptionsJson(o.Memory.At(size));
        memory.Remove("sizes");
        json["memory"] = memory;
        var own = MemoryStore.OptionsJson(strategy == ContinualStrategy.Gdumb ? o.Gdumb : o.Eeil);
        var pruning = o.Memory.At(size).Total is null ? "" : "|pruned images named by their content";
        return $"{json.ToJsonString()}|{Naming.EnumValue(strategy)} {own.ToJsonString()}|{spec.Name} {MemoryStore.OptionsJson(spec.Options).ToJsonString()}{AtTiles(TileFactor(o, strategy, spec))}{pruning}";
    }

    /// <summary>The best (strategy, builder): the highest final accuracy, averaged over class orders.</summary>
    public StudyObjective Objective => new(new Dictionary<string, string>(), ["strategy", "builder"]);

    public IUnitExecutor Open(UnitEnvironment environment) => new Executor(environment, null);

    /// <summary>Runs every (strategy, builder, repeat) of <paramref name="o"/> on the given data in this process, writes the reports and returns the runs.</summary>
    internal static IReadOnlyList<ContinualRun> RunStudy(RunContext ctx, ContinualOptions o, ContinualStream stream, CancellationToken cancellationToken)
    {
        Coordinator.Run(ctx, new ContinualScenario(), o, cancellationToken, env => new Executor(env, stream));
        var results = (ContinualResults)RunResults.Read(File.ReadAllText(ctx.Directory.PathOf("results.json")))!;
        return results.Runs.Select(r => ContinualRun.FromRecord(r, r.MemorySize)).ToList();
    }

    public void Report(RunContext context, RunOptions options, IReadOnlyList<SearchStudy> studies, RunOutcome outcome)
    {
        var o = (ContinualOptions)options;
        var units = studies.Count == 0 ? [] : studies[0].GetTrials(TrialState.Complete);
        var runs = units.Select(u => ContinualRun.FromJson(JsonNode.Parse(u.UserAttrs["run"].GetRawText())!,
            u.Params.ContainsKey("memory_size") ? UnitParams.Int(u.Params, "memory_size") : null)).ToList();
        bool byDomain = o.Domains is { Count: > 0 };
        var dataset = units.Count > 0 ? units[0].UserAttrs["dataset"].GetString()! : byDomain ? string.Join("→", o.Domains!.Select(d => d.Name)) : o.Dataset.Name;
        Write(context, o, dataset, byDomain, byDomain ? o.Domains!.Count : o.Steps, o.Memory.ToPolicy(), runs, outcome);
    }

    /// <summary>Runs continual units: the stream loaded once (or given), memories through the pipeline, one learner per unit.</summary>
    private sealed class Executor : IUnitExecutor
    {
        private readonly UnitEnvironment _env;
        private readonly ContinualOptions _o;
        private readonly ContinualStream _stream;
        private readonly List<IDisposable> _owned = [];
        private readonly MemoryPipeline _pipeline;
        private readonly LearnerSetup _setup;
        private readonly ArchitectureSpec _buildArch;
        private readonly int _steps;

        /// <param name="stream">The data to learn from, or null to load it as the config says.</param>
        public Executor(UnitEnvironment env, ContinualStream? stream)
        {
            _env = env;
            _o = (ContinualOptions)env.Options;
            try
            {
                _stream = stream ?? Load();
                _pipeline = env.Pipeline();
            }
            catch
            {
                Dispose();
                throw;
            }
            _steps = _stream.DomainCount ?? _o.Steps;
            _setup = new LearnerSetup(ArchitectureSpec.Parse(_o.Arch), _stream.Shape, _stream.NumClasses, _stream.DatasetName, env.Settings.Device, env.Progress);
            _buildArch = ArchitectureSpec.Parse(_o.EffectiveBuildArch);
            foreach (var policy in _o.Memory.Policies)
            {
                var shares = policy.Shares(_stream.Groups(_steps, _o.ClassesPerStep, _o.ClassOrder, 0).Select(g => g.Length).ToArray());
                if (shares[^1] == 0) env.Log.LogWarning("memory {Policy}: by step {Step} the share per class is 0 images", policy, Array.IndexOf(shares, 0) + 1);
            }
        }

        /// <summary>The stream of the config: one dataset split by class, or one dataset per domain (each with its own data seed).</summary>
        private ContinualStream Load()
        {
            var sources = _o.Domains is { Count: > 0 } domains ? domains : [_o.Dataset];
            var loaded = new List<(LabeledDataset Train, LabeledDataset Test)>();
            for (int d = 0; d < sources.Count; d++)
            {
                var split = DatasetCatalog.Load(sources[d], sources.Count == 1 ? Seeds.Derive(_o.Seed, "data") : Seeds.Derive(_o.Seed, "data", d));
                _owned.Add(split);
                split.Describe(_env.Log);
                loaded.Add((OnDevice(split.Train), OnDevice(split.Test)));
            }
            return loaded.Count == 1
                ? ContinualStream.ByClass(loaded[0].Train, loaded[0].Test)
                : ContinualStream.ByDomain(loaded, Enumerable.Range(0, loaded.Count).Select(d => $"domains[{d}] ({sources[d].Name})").ToArray());
        }

        private LabeledDataset OnDevice(LabeledDataset data)
        {
            var there = data.To(_env.Settings.Device);
            if (!ReferenceEquals(there, data)) _owned.Add(there);
            return there;
        }

        public double Run(Trial unit, CancellationToken cancellationToken)
        {
            var strategy = Enum.GetValues<ContinualStrategy>().Single(s => Naming.EnumValue(s) == unit.Text("strategy"));
            var spec = _o.Builders.Single(b => b.DisplayName == unit.Text("builder"));
            int k = unit.Int("repeat");
            int? size = unit.Params.ContainsKey("memory_size") ? unit.Int("memory_size") : null;
            var groups = _stream.Groups(_steps, _o.ClassesPerStep, _o.ClassOrder, Seeds.Derive(_o.Seed, "class-order", k));
            var run = new ContinualRun(Naming.EnumValue(strategy), spec.DisplayName, k, groups,
                Seeds.Key(_o.Seed, $"{RunText(_o, size, strategy, spec)}|{_stream.Name}|{_env.Settings.Key}")) { MemorySize = size };
            int resumed = RunSteps(run, strategy, spec, TileFactor(_o, strategy, spec), _o.Memory.At(size).ToPolicy(), cancellationToken);
            unit.SetUserAttr("run", run.ToJson());
            unit.SetUserAttr("dataset", _stream.Name);
            unit.SetUserAttr("steps_from_checkpoint", resumed);
            return run.FinalAccuracy;
        }

        /// <summary>
        /// <paramref name="images"/> at the resolution of factor-<paramref name="tiles"/> tiles: the same images when
        /// <paramref name="tiles"/> is 1, else a copy (and <paramref name="images"/> is disposed) whose name says so, since
        /// artifacts computed from a dataset (a selection model's training dynamics) are keyed by its name.
        /// </summary>
        private static LabeledDataset AtTileResolution(LabeledDataset images, int tiles)
        {
            if (tiles == 1) return images;
            using (images)
            using (TorchSharp.torch.NewDisposeScope())
                return images.WithImages(MultiFormation.AtTileResolution(images.Images, tiles), images.Normalization, $"{images.Name}{AtTiles(tiles)}");
        }

        /// <summary>
        /// The run's steps in order: for each, the memory after it (the step's build joined to the memory cut to the new
        /// share), then the step read from its checkpoint or learned and checkpointed. Returns the number of steps read back.
        /// Every real image of the run, the builder's and the learner's, is at the resolution of factor-<paramref name="tiles"/> tiles.
        /// </summary>
        private int RunSteps(ContinualRun run, ContinualStrategy strategy, MethodSpec spec, int tiles, MemoryPolicy policy, CancellationToken cancellationToken)
        {
            var checkpoints = new StepCheckpoints(_env.Files, run);
            _env.Log.LogInformation("{Run}: class order {Order}", run.Name, string.Join(" | ", run.Groups.Select(g => string.Join(" ", g))));
            using var learner = IContinualLearner.Create(strategy, _o, _setup);
            var memory = ContinualMemory.Empty();
            int resumed = 0, learnerAt = 0;   // the step whose state the learner holds
            try
            {
                for (int t = 1; t <= run.Groups.Length; t++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    int share = policy.Share(run.Groups[..t].Sum(g => g.Length));
                    using var stepTrain = AtTileResolution(_stream.StepTrain(t, run.Groups, $"{_stream.DatasetName}-seed{run.Seed}-step{t}"), tiles);
                    var (after, buildSeconds) = UpdateMemory(run, spec, memory, stepTrain, tiles, t, share, cancellationToken);
                    if (after.Factor is > 1 and var factor && factor != tiles && MatchesResolution(_o, strategy))
                    {
                        after.Dispose();
                        throw new CondensaException($"eeil.match_resolution: builder '{spec.DisplayName}' returned multi-formation images of factor {factor}, but its options declare factor {tiles}",
                            $"implement {nameof(IMultiFormationOptions)} on the builder's options (its Factor is the memory's), or set eeil.match_resolution: false");
                    }
                    try
                    {
                        if (checkpoints.Read(t) is { } stored)
                        {
                            run.Steps.Add(stored);
                            resumed++;
                            _env.Log.LogInformation("{Run}: step {Step}/{Steps} read from its checkpoint, accuracy {Accuracy}", run.Name, t, run.Groups.Length, Format.Percent(stored.Accuracy));
                        }
                        else
                        {
                            if (learnerAt != t - 1) checkpoints.Restore(t - 1, learner);
                            var result = Learn(run, learner, t, share, stepTrain, tiles, memory, after, buildSeconds, cancellationToken);
                            checkpoints.Write(t, result, learner);
                            learnerAt = t;
                            run.Steps.Add(result);
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
            return resumed;
        }
        /// <summary>
        /// Step <paramref name="t"/> learned from its data and the memory before and after it (<paramref name="before"/>,
        /// <paramref name="after"/>), tested on the test sets of every step so far.
        /// </summary>
        private StepResult Learn(ContinualRun run, IContinualLearner learner, int t, int share, LabeledDataset stepTrain, int tiles, ContinualMemory before,
            ContinualMemory after, double buildSeconds, CancellationToken cancellationToken)
        {
            var groups = run.Groups[..t];
            var stepTests = _stream.StepTests(t, run.Groups).Select(test => AtTileResolution(test, tiles)).ToArray();
            try
            {
                var clock = Stopwatch.StartNew();
                var evaluations = learner.Learn(new ContinualStep(t, groups[^1], groups, stepTrain, stepTests, share), before, after,
                    Seeds.Derive(_o.Seed, $"{run.Strategy}/seed{run.Seed}/step{t}"), cancellationToken);
                var result = Result(t, groups, evaluations, buildSeconds + clock.Elapsed.TotalSeconds, buildSeconds, after);
                _env.Log.LogInformation("{Run}: step {Step}/{Steps} done: accuracy on the test sets of {Seen} steps {Accuracy}, per step [{Row}], memory {Images} images ({Seconds:0.0} s)",
                    run.Name, t, run.Groups.Length, t, Format.Percent(result.Accuracy), string.Join(", ", result.AccuracyRow.Select(Format.Percent)), result.MemoryImages, result.Seconds);
                return result;
            }
            finally
            {
                foreach (var d in stepTests) d.Dispose();
            }
        }

        /// <summary>
        /// The memory after step <paramref name="t"/>: the builder's memory of the step's classes, made from the step's data
        /// alone (or loaded from the run folder), joined to <paramref name="memory"/> cut to the new share; and the seconds
        /// both took (the build's as recorded when it was built).
        /// </summary>
        private (ContinualMemory After, double BuildSeconds) UpdateMemory(ContinualRun run, MethodSpec spec, ContinualMemory memory, LabeledDataset stepTrain,
            int tiles, int t, int share, CancellationToken cancellationToken)
        {
            var newClasses = run.Groups[t - 1];
            using var built = share == 0 ? null : _pipeline.Obtain(new MemorySpec
            {
                Builder = spec, Budget = Budget.ImagesPerClass(share), Classes = newClasses, Architecture = _buildArch,
                SourceKey = $"{ConfigWriter.ToYaml(_o.Dataset)}|{(_o.Domains is null ? "" : ConfigWriter.ToYaml(_o.Domains[t - 1]))}|{_stream.Name} step {t}: {stepTrain.Count} images of classes [{string.Join(",", newClasses)}]{AtTiles(tiles)}",
                Seed = Seeds.Derive(_o.Seed, $"build/seed{run.Seed}/step{t}"), Slot = $"{RunDirectory.Slug(spec.DisplayName)}/seed{run.Seed}/step{t}{(tiles == 1 ? "" : $"-tiles{tiles}")}{(run.MemorySize is null ? "" : $"/share{share}")}",
            }, stepTrain, cancellationToken);
            var clock = Stopwatch.StartNew();
            var after = memory.Update(t, built?.Set ?? new SelectedMemory([]), stepTrain, newClasses, share, Pruner(cancellationToken),
                Seeds.Derive(_o.Seed, $"shrink/seed{run.Seed}/step{t}"));
            return (after, (built?.BuildSeconds ?? 0) + clock.Elapsed.TotalSeconds);
        }

        /// <summary>Cuts synthetic images to <c>keep</c> per class with the <c>memory.prune_by</c> selector.</summary>
        private SyntheticPruner Pruner(CancellationToken cancellationToken) => (images, keep, seed) =>
        {
            var by = _o.Memory.PruneBy;
            using var picked = _pipeline.Obtain(new MemorySpec
            {
                Builder = by, SourceKey = images.Name, Budget = Budget.ImagesPerClass(keep), Architecture = _buildArch, Seed = seed,
            }, images, cancellationToken);
            return picked.Set is SelectedMemory selection
                ? selection.Indices
                : throw new CondensaException($"memory.prune_by: '{by.DisplayName}' returned learned images; give a selector (e.g. yoco, herding, random)");
        };

        public void Dispose()
        {
            _pipeline?.Dispose();
            foreach (var d in Enumerable.Reverse(_owned)) d.Dispose();
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

    /// <summary>A checkpoint written under another class split is an error, not a result.</summary>
    private static void Write(RunContext ctx, ContinualOptions o, string dataset, bool byDomain, int steps, MemoryPolicy policy, List<ContinualRun> runs, RunOutcome outcome)
    {
        var dir = ctx.Directory;
        foreach (var run in runs)
        {
            var json = run.ToJson();
            json.Insert(0, "scenario", "continual");
            dir.WriteJson($"runs/{run.Name}.json", json);
        }
        foreach (var run in runs.Where(r => r.Steps.Count > 0))
            dir.WriteCsv($"runs/{run.Name}-accuracy.csv", ["after_step", .. run.Groups.Select((_, j) => $"step_{j + 1}")],
                run.Steps.Select(s => (IReadOnlyList<object?>)[s.Step, .. run.Groups.Select((_, j) => j < s.AccuracyRow.Length ? (object?)s.AccuracyRow[j] : null)]));
        var summaries = runs.Where(r => r.Complete).GroupBy(r => (r.Strategy, r.Builder, r.MemorySize)).Select(g => ContinualSummary.Of(g.ToList())).ToList();

        new ContinualResults
        {
            Dataset = dataset, Incremental = byDomain ? "domain" : "class", Steps = steps,
            Memory = string.Join(" | ", o.Memory.Policies), Arch = o.Arch, BuildArch = o.EffectiveBuildArch,
            ThreadsPerWorker = o.ThreadsPerWorker, Runs = runs.Select(r => r.ToRecord()).ToList(), Summary = summaries.Select(s => s.ToRow()).ToList(),
        }.With(outcome).Write(dir);
        dir.WriteCsv("results.csv", ["strategy", "builder", "seed", "step", "classes", "accuracy", "seconds", "build_seconds", "memory_images", "memory_bytes"],
            runs.SelectMany(r => r.Steps.Select(s => (IReadOnlyList<object?>)[r.Strategy, r.Builder, r.Seed, s.Step, string.Join(" ", s.Classes), s.Accuracy, s.Seconds, s.BuildSeconds, s.MemoryImages, s.MemoryBytes])));
        if (summaries.Count == 0)
        {
            if (outcome.Failed > 0) dir.WriteText("results.md", outcome.Markdown().TrimStart());
            return;
        }

        var classesSeen = summaries[0].ClassesSeen;
        bool swept = o.Memory.Sizes is { Count: > 0 };
        string Memory(ContinualSummary s) => o.Memory.At(s.MemorySize).ToPolicy().ToString();
        var header = new[] { "strategy", "builder" }.Concat(swept ? ["memory"] : Array.Empty<string>()).Concat(classesSeen.Select((c, t) => byDomain ? $"step {t + 1}" : $"step {t + 1} ({c})"))
            .Concat(["final", "final gain over random", "avg. incremental", "forgetting", "BWT", "memory (stored)"]).ToArray();
        var random = o.Builders.FirstOrDefault(b => b.Name == "random")?.DisplayName;
        string Gain(ContinualSummary s) =>
            summaries.FirstOrDefault(r => r.Builder == random && r.Strategy == s.Strategy && r.MemorySize == s.MemorySize) is { } baseline && !double.IsNaN(s.FinalMean) && !double.IsNaN(baseline.FinalMean)
                ? $"{100 * (s.FinalMean - baseline.FinalMean):+0.00;-0.00;0.00}" : "";
        var md = new StringBuilder();
        md.AppendLine($"Accuracy (%) on the test sets of all steps so far ({(byDomain ? "domains" : "classes")} seen), {dataset}, {steps} steps, memory {(swept ? "of each size below" : policy)}, mean ± std; per step and final over " +
            $"{o.Seeds} class orders x the models of each step (gdumb: {o.Gdumb.Models}, eeil: 1), the other columns over class orders. " +
            "Forgetting: mean drop from the best accuracy on a step's classes (Chaudhry et al. 2018); BWT: mean A[T][j] − A[j][j] (Lopez-Paz and Ranzato 2017).");
        var table = new ReportTable(header);
        foreach (var s in summaries)
            table.Add([s.Strategy, s.Builder, .. swept ? [new ReportCell(Memory(s))] : Array.Empty<ReportCell>(), .. s.StepMean.Select((m, t) => new ReportCell(Format.MeanStd(m, s.StepStd[t]))),
                Format.MeanStd(s.FinalMean, s.FinalStd), Gain(s), Format.MeanStd(s.AiaMean, s.AiaStd), MeanStdOrNa(s.ForgettingMean, s.ForgettingStd), MeanStdOrNa(s.BwtMean, s.BwtStd),
                $"{s.MemoryImagesFinal:0} images, {Format.Kilobytes(s.MemoryBytesFinal)}"]);
        md.AppendLine().Append(table.ToMarkdown());
        if (swept)
        {
            // final accuracy against memory size: one row per (strategy, builder), one column per size, the best of each column in bold
            string unit = o.Memory.Total is null ? "per class" : "in total";
            var sizes = o.Memory.Sizes!.Order().ToList();
            var pairs = summaries.Select(s => (s.Strategy, s.Builder)).Distinct().ToList();
            ContinualSummary? Of((string Strategy, string Builder) p, int size) =>
                summaries.FirstOrDefault(s => s.Strategy == p.Strategy && s.Builder == p.Builder && s.MemorySize == size && !double.IsNaN(s.FinalMean));
            var bySize = new ReportTable(["strategy + builder", .. sizes.Select(n => $"{n} {unit}")]);
            foreach (var p in pairs)
                bySize.Add([$"{p.Strategy} + {p.Builder}", .. sizes.Select(n => Of(p, n) is { } s
                    ? new ReportCell(Format.MeanStd(s.FinalMean, s.FinalStd), summaries.Where(x => x.Strategy == s.Strategy && x.MemorySize == n && !double.IsNaN(x.FinalMean)).Max(x => x.FinalMean) == s.FinalMean)
                    : new ReportCell(""))]);
            md.AppendLine().AppendLine($"Final accuracy (%) against memory size ({unit}), mean ± std over class orders and models; the best of each strategy and size in bold:")
                .AppendLine().Append(bySize.ToMarkdown());
            Plots.SavePng(Plots.Line($"{dataset}: final accuracy against memory size ({steps} steps)", $"memory size (images {unit})", "final test accuracy (%)",
                pairs.Select(p => (p, points: sizes.Select(n => Of(p, n)).Where(x => x is not null).Select(x => x!).ToList())).Where(x => x.points.Count > 0)
                    .Select(x => new Series($"{x.p.Strategy} + {x.p.Builder}", x.points.Select(s => (double)s.MemorySize!.Value).ToArray(),
                        x.points.Select(s => 100 * s.FinalMean).ToArray(), x.points.Select(s => 100 * s.FinalStd).ToArray())).ToList()),
                dir.PathOf("final_vs_memory.png"));
        }
        md.Append(outcome.Markdown());
        dir.WriteText("results.md", md.ToString());
        AnsiConsole.Write(table.ToConsole());

        Plots.SavePng(Plots.Line($"{dataset}: accuracy on the {(byDomain ? "domains" : "classes")} seen ({steps} steps, memory {(swept ? "of several sizes" : policy)})",
            byDomain ? "domains seen" : "classes seen", "test accuracy (%)",
            summaries.Select(s => new Series($"{s.Strategy} + {s.Builder}{(swept ? $", {Memory(s)}" : "")}", s.ClassesSeen.Select((c, t) => byDomain ? t + 1.0 : c).ToArray(),
                s.StepMean.Select(m => 100 * m).ToArray(), s.StepStd.Select(d => 100 * d).ToArray())).ToList()), dir.PathOf("accuracy_vs_classes.png"));
    }

    private static string MeanStdOrNa(double mean, double std) => double.IsNaN(mean) ? "n/a" : Format.MeanStd(mean, std);
}
