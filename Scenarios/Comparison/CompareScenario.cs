using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
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

namespace Condensa.Scenarios.Comparison;

public sealed class CompareOptions : StudyRunOptions
{
    /// <summary>Memory builders to compare: a name, or {name: ..., label: ..., option: value...}.</summary>
    [Required] public List<MethodSpec> Builders { get; set; } = [];

    /// <summary>Budgets in images per class.</summary>
    public List<int> Ipc { get; set; } = [1, 10];

    /// <summary>Budgets as a fraction of each class (DeepCore's protocol), in addition to ipc.</summary>
    public List<double> Fractions { get; set; } = [];

    /// <summary>Class-balanced budgets (per class); false lets a selector spend the total budget across classes.</summary>
    public bool Balanced { get; set; } = true;

    /// <summary>Architecture the builders use (selection model, condensation network).</summary>
    public string BuildArch { get; set; } = ArchitectureSpec.Default.ToString();

    /// <summary>Architectures trained on each memory (cross-architecture evaluation); default: build_arch.</summary>
    public List<string> EvalArchs { get; set; } = [];

    /// <summary>Memories built per builder and budget, each from its own seed.</summary>
    [Range(1, 1000)] public int Seeds { get; set; } = 1;

    /// <summary>Fresh models trained on each memory per evaluation architecture.</summary>
    [Range(1, 1000)] public int Models { get; set; } = 2;

    /// <summary>How evaluation models are trained: by default the DC papers' evaluate_synset schedule (300 epochs, batch 256, lr 0.01 decayed once at half) with DSA augmentation, as the DM paper evaluates every memory; <c>eval_for</c> sets other epochs or augmentation per builder.</summary>
    public TrainOptions Eval { get; set; } = new() { Epochs = 300, BatchSize = 256, Lr = 0.01, Augmentation = "dsa" };

    /// <summary>
    /// Other evaluation epochs or augmentation for some builders, e.g. the DC papers' <c>main.py</c>, which trains models
    /// on DSA memories 1,000 epochs with DSA augmentation and on the others 300 epochs without:
    /// <c>eval_for: [{builders: [dsa], epochs: 1000, augmentation: dsa}]</c>.
    /// </summary>
    public List<EvalOverride> EvalFor { get; set; } = [];

    public IReadOnlyList<string> EffectiveEvalArchs => EvalArchs.Count > 0 ? EvalArchs : [BuildArch];

    /// <summary>
    /// Evaluation protocols every memory is evaluated under, each a column of the table: <c>thesis</c> (the <c>eval</c>
    /// block, with <c>eval_for</c>) and <c>idc</c> (IDC's evaluation: 1,000 epochs, batch 64, the rate x0.2 at 2/3 and 5/6,
    /// per-image DSA color_crop_flip_scale_rotate and CutMix 0.5), so a method's rows can be read apart from the protocol.
    /// </summary>
    public List<string> EvalProtocols { get; set; } = [Training.EvalProtocol.Thesis];

    /// <summary>How models are trained on the memories of <paramref name="builder"/> under <paramref name="protocol"/>: <c>eval</c>, with its <c>eval_for</c> entry applied, or a named protocol.</summary>
    public TrainOptions EvalOf(MethodSpec builder, string protocol = Training.EvalProtocol.Thesis)
    {
        if (protocol != Training.EvalProtocol.Thesis) return Training.EvalProtocol.Of(protocol, Eval, Dataset.IsDigits);
        if (EvalFor.FirstOrDefault(e => e.Builders.Contains(builder.DisplayName)) is not { } entry) return Eval;
        var eval = Eval.Clone();
        if (entry.Epochs is int epochs) (eval.Epochs, eval.DecayEpoch) = (epochs, null);
        if (entry.Augmentation is { } augmentation) eval.Augmentation = augmentation;
        return eval;
    }

    /// <summary>The budgets in order: every ipc, then every fraction, each with its label (<c>ipc 10</c>, <c>fraction 0.1</c>).</summary>
    public IReadOnlyList<(string Label, Budget Budget)> Budgets =>
        Ipc.Select(i => new Budget(Ipc: i, Balanced: Balanced)).Concat(Fractions.Select(f => new Budget(Fraction: f, Balanced: Balanced)))
            .Select(b => (b.ToString(), b)).ToList();

    public override void Validate(Action<string, string> error)
    {
        base.Validate(error);
        if (Ipc.Count == 0 && Fractions.Count == 0) error("ipc", "give at least one budget (ipc or fractions)");
        if (Ipc.Any(i => i < 1)) error("ipc", "images per class must be at least 1");
        if (Dataset.TrainPerClass is int n && Ipc.Where(i => i > n).ToList() is { Count: > 0 } above)
            error("ipc", $"{string.Join(", ", above)} images per class exceed dataset.train_per_class = {n}: no class has that many images to build a memory from");
        if (Fractions.Any(f => f <= 0 || f > 1)) error("fractions", "fractions must be in (0, 1]");
        foreach (var (key, arch) in EffectiveEvalArchs.Select(a => ("eval_archs", a)).Prepend(("build_arch", BuildArch)))
            ArchitectureSpec.Validate(key, arch, error);
        var labels = Builders.GroupBy(b => b.DisplayName).Where(g => g.Count() > 1).Select(g => g.Key).ToArray();
        if (labels.Length > 0) error("builders", $"{string.Join(", ", labels)} appear more than once; give each a distinct 'label'");
        var known = Builders.Select(b => b.DisplayName).ToList();
        foreach (var unknown in EvalFor.SelectMany(e => e.Builders).Where(b => !known.Contains(b)).Distinct())
            error("eval_for", $"'{unknown}' is not a builder of this run; builders: {string.Join(", ", known)}");
        foreach (var twice in EvalFor.SelectMany(e => e.Builders).GroupBy(b => b).Where(g => g.Count() > 1).Select(g => g.Key))
            error("eval_for", $"'{twice}' appears in more than one entry");
        if (EvalProtocols.Count == 0 || EvalProtocols.Distinct().Count() != EvalProtocols.Count) error("eval_protocols", "give each protocol once");
        foreach (var unknown in EvalProtocols.Where(p => !Training.EvalProtocol.Names.Contains(p)))
            error("eval_protocols", $"'{unknown}' is not a protocol; allowed values: {string.Join(", ", Training.EvalProtocol.Names)}");
    }
}

/// <summary>An <c>eval_for</c> entry: evaluation epochs or augmentation for some builders instead of <c>eval</c>'s.</summary>
public sealed class EvalOverride
{
    /// <summary>The builders (by label, or name when they have none) this entry applies to.</summary>
    [Required] public List<string> Builders { get; set; } = [];

    /// <summary>Epochs instead of eval.epochs (the rate decays at half of them).</summary>
    [Range(1, 1_000_000)] public int? Epochs { get; set; }

    /// <summary>Augmentation instead of eval.augmentation: none, dsa or a DSA strategy string.</summary>
    public string? Augmentation { get; set; }
}

/// <summary>
/// Scenario <c>compare</c>: the same budgets built by every listed memory builder, each memory trained on by fresh
/// models and tested on the real test set (the DC papers' protocol), side by side. Its work units are every memory build
/// (builder, budget, seed) and every evaluation (memory, architecture, model), an evaluation waiting for its memory; any
/// number of workers run them, and a unit's seed comes from its identity, so the table does not depend on who ran what.
/// A re-run on the same --out reuses every finished unit (one more builder only computes its own rows).
/// </summary>
public sealed class CompareScenario : ISingleStudyScenario
{
    private const string Build = "build", Evaluate = "evaluate";

    public string Name => "compare";
    public string Description => "Build the same memory budget with several builders and evaluate them side by side";
    public Type OptionsType => typeof(CompareOptions);

    public string DescribePlan(RunOptions options)
    {
        var o = (CompareOptions)options;
        return $"{o.Builders.Count} builders x {o.Budgets.Count} budgets x {o.Seeds} seeds, evaluated on {string.Join(", ", o.EffectiveEvalArchs)} " +
               $"with {o.Models} models each ({o.Eval.Epochs} epochs, augmentation {o.Eval.Augmentation})";
    }

    /// <summary>
    /// The plan: first every memory build, then every evaluation, each after its build, the largest memories' first (an
    /// evaluation's cost grows with its memory, and the longest units first leave the workers the shortest ones to
    /// finish together). Builds that train the same
    /// selection model (same settings, same memory seed) wait for the first of them, which records it for all (in the
    /// run folder), so that no two workers train it at once. Keys hold what a unit's result depends on: a build its
    /// memory's slot and identity, an evaluation also the architecture, the evaluation settings and the model's index.
    /// </summary>
    public IReadOnlyList<WorkUnit> Units(RunOptions options, RunInfo run)
    {
        var o = (CompareOptions)options;
        var units = new List<WorkUnit>();
        var builds = new List<(int Number, MemorySpec Memory, string Identity, string Builder, string Budget, int Seed)>();
        var recorders = new Dictionary<string, int>();
        foreach (var spec in o.Builders)
        foreach (var (label, budget) in o.Budgets)
        for (int s = 0; s < o.Seeds; s++)
        {
            var memory = Memory(o, spec, label, budget, s);
            var identity = memory.Identity(run.SettingsKey);
            int? recorder = null;
            if (spec.Options is Methods.Selection.Dynamics.SelectionModelOptions selection)
            {
                var model = $"{selection.SelectionModel(memory.Architecture)}|seed {s}";
                if (recorders.TryGetValue(model, out var first)) recorder = first;
                else recorders[model] = units.Count;
            }
            builds.Add((units.Count, memory, identity, spec.DisplayName, label, s));
            units.Add(new WorkUnit(run.UnitKey($"{Build}|{memory.Slot}|{identity}"),
                UnitParams.Of($"build {spec.DisplayName} {label} seed {s}", ("kind", Build), ("builder", spec.DisplayName), ("budget", label), ("seed", s)), After: recorder));
        }
        // fraction budgets (usually the larger memories) before ipc ones, each largest first
        foreach (var b in builds.OrderByDescending(b => b.Memory.Budget.Fraction is not null).ThenByDescending(b => b.Memory.Budget.Fraction ?? b.Memory.Budget.Ipc).ThenBy(b => b.Number))
        foreach (var protocol in o.EvalProtocols)
        foreach (var arch in o.EffectiveEvalArchs)
        for (int m = 0; m < o.Models; m++)
            units.Add(new WorkUnit(run.UnitKey($"{Evaluate}|{b.Memory.Slot}|{b.Identity}|{arch}|{EvaluationKey(o, b.Memory.Builder, protocol)}|model {m}|{run.SettingsKey}"),
                UnitParams.Of($"evaluate {b.Builder} {b.Budget} seed {b.Seed} on {arch}{ProtocolNote(protocol)}, model {m}",
                    ("kind", Evaluate), ("builder", b.Builder), ("budget", b.Budget), ("seed", b.Seed), ("arch", arch), ("protocol", protocol), ("model", m)), After: b.Number));
        return units;
    }

    /// <summary>The memory of (builder, budget, memory index s): built from the run's training set with seed <c>Derive(seed, "build", s)</c>.</summary>
    private static MemorySpec Memory(CompareOptions o, MethodSpec builder, string budgetLabel, Budget budget, int s) => new()
    {
        Builder = builder, SourceKey = $"{DataKey(o)}|train", Budget = budget, Architecture = ArchitectureSpec.Parse(o.BuildArch),
        Seed = Condensa.Seeds.Derive(o.Seed, "build", s), Slot = $"{RunDirectory.Slug(builder.DisplayName)}/{RunDirectory.Slug(budgetLabel)}/seed{s}",
    };

    /// <summary>What the dataset is: its resolved settings and the seed of its splits.</summary>
    private static string DataKey(RunOptions o) => $"{ConfigWriter.ToYaml(o.Dataset)}|data seed {Condensa.Seeds.Derive(o.Seed, "data")}";

    /// <summary>What an evaluation's accuracy depends on besides its memory, architecture and model: the schedule, the test set, the seed.</summary>
    private static string EvaluationKey(CompareOptions o, MethodSpec builder, string protocol) =>
        $"{MemoryStore.OptionsJson(o.EvalOf(builder, protocol)).ToJsonString()}|{DataKey(o)}|test|seed {o.Seed}";

    /// <summary>How a unit label or table header names a protocol other than the thesis'.</summary>
    private static string ProtocolNote(string protocol) => protocol == Training.EvalProtocol.Thesis ? "" : $", {protocol} protocol";

    /// <summary>A unit's protocol (units stored before protocols were recorded are the thesis').</summary>
    private static string ProtocolOf(IReadOnlyDictionary<string, System.Text.Json.JsonElement> parameters) =>
        parameters.TryGetValue("protocol", out var p) ? p.GetString()! : Training.EvalProtocol.Thesis;

    /// <summary>The best (builder, budget) cell: the highest mean accuracy over its evaluations.</summary>
    public StudyObjective Objective => new(new Dictionary<string, string> { ["kind"] = Evaluate }, ["builder", "budget"]);

    public IUnitExecutor Open(UnitEnvironment environment) => new Executor(environment);

    /// <summary>Runs compare units: the data loaded once, memories through the pipeline, evaluations by <see cref="MemoryEvaluation.TrainAndTest"/>.</summary>
    private sealed class Executor : IUnitExecutor
    {
        private readonly UnitEnvironment _env;
        private readonly CompareOptions _o;
        private readonly DatasetSplits _splits;
        private readonly LabeledDataset _train, _test;
        private readonly MemoryPipeline _pipeline;

        public Executor(UnitEnvironment env)
        {
            _env = env;
            _o = (CompareOptions)env.Options;
            _splits = DatasetCatalog.Load(_o.Dataset, Condensa.Seeds.Derive(_o.Seed, "data"));
            _splits.Describe(env.Log);
            _train = _splits.Train.To(env.Settings.Device);
            _test = _splits.Test.To(env.Settings.Device);
            _pipeline = env.Pipeline();
        }

        public double Run(Trial unit, CancellationToken cancellationToken)
        {
            var builder = _o.Builders.Single(b => b.DisplayName == unit.Text("builder"));
            var (label, budget) = _o.Budgets.Single(b => b.Label == unit.Text("budget"));
            int s = unit.Int("seed");
            var clock = Stopwatch.StartNew();
            using var memory = _pipeline.Obtain(Memory(_o, builder, label, budget, s), _train, cancellationToken);
            unit.SetUserAttr("memory", memory.Identity);
            unit.SetUserAttr("built", memory.Built);
            if (unit.Text("kind") == Build)
            {
                unit.SetUserAttr("build_seconds", memory.BuildSeconds);
                unit.SetUserAttr("images", memory.Count);
                unit.SetUserAttr("training_images", memory.TrainingImages);
                unit.SetUserAttr("stored_bytes", memory.StoredBytes);
                return memory.BuildSeconds;
            }
            var arch = unit.Text("arch");
            var protocol = ProtocolOf(unit.Params);
            int model = unit.Int("model");
            var slug = $"{RunDirectory.Slug(builder.DisplayName)}/{RunDirectory.Slug(label)}/seed{s}";
            long seed = Condensa.Seeds.Derive(Condensa.Seeds.Derive(_o.Seed, $"eval/{slug}/{arch}{(protocol == Training.EvalProtocol.Thesis ? "" : "/" + protocol)}"), "model", model);
            using var data = memory.Materialize();
            var accuracy = MemoryEvaluation.TrainAndTest(data, memory.Weights, ArchitectureSpec.Parse(arch), _o.EvalOf(builder, protocol), [_test], seed,
                _env.Settings.Device, cancellationToken, _env.Progress)[0].Accuracy;
            unit.SetUserAttr("seconds", clock.Elapsed.TotalSeconds);
            _env.Log.LogInformation("{Method} {Budget} seed {Seed} on {Arch}, model {Model}: {Accuracy} ({Images} images)",
                builder.DisplayName, label, s, arch, model, Format.Percent(accuracy), memory.Count);
            return accuracy;
        }

        public void Dispose()
        {
            _pipeline.Dispose();
            if (!ReferenceEquals(_train, _splits.Train)) _train.Dispose();
            if (!ReferenceEquals(_test, _splits.Test)) _test.Dispose();
            _splits.Dispose();
        }
    }

    /// <summary>
    /// One table row: a (builder, budget, architecture) cell over all its memories and models, and how its models were
    /// trained. <see cref="Failed"/> models (or their memory's build) failed; such a cell shows <see cref="Failure"/>, not a number.
    /// </summary>
    private sealed record Row(string Method, string Budget, int? Ipc, double? Fraction, string Arch, string Protocol, double Mean, double Std, int Models, double BuildSeconds, int Images,
        TrainOptions Eval, int Failed, string? Failure, int TrainingImages, double StoredBytes)
    {
        public bool HasNumber => Failed == 0;

        /// <summary>The cell's text: mean ± std with the memory's stored bytes, or what stopped it ("diverged (2 of 4 models)").</summary>
        public string Cell => HasNumber ? $"{Format.MeanStd(Mean, Std)} ({Format.Kilobytes(StoredBytes)})" : $"{Failure} ({Failed} of {Failed + Models} models)";
    }

    public void Report(RunContext ctx, RunOptions options, IReadOnlyList<SearchStudy> studies, RunOutcome outcome)
    {
        var o = (CompareOptions)options;
        var all = studies.Count == 0 ? [] : studies[0].GetTrials();
        string Key(FrozenTrial t, string kind) => t.Params["kind"].GetString() == kind ? $"{UnitParams.Text(t.Params, "builder")}|{UnitParams.Text(t.Params, "budget")}" : "";
        var rows = new List<Row>();
        foreach (var spec in o.Builders)
        foreach (var (label, budget) in o.Budgets)
        {
            var cell = $"{spec.DisplayName}|{label}";
            var built = all.Where(t => t.State == TrialState.Complete && Key(t, Build) == cell).ToList();
            foreach (var protocol in o.EvalProtocols)
            foreach (var arch in o.EffectiveEvalArchs)
            {
                // in plan order (memory, then model), so the mean is summed in one order whoever ran the units
                var evaluations = all.Where(t => Key(t, Evaluate) == cell && UnitParams.Text(t.Params, "arch") == arch && ProtocolOf(t.Params) == protocol)
                    .OrderBy(t => t.Number).ToList();
                var accuracies = evaluations.Where(t => t.State == TrialState.Complete).Select(t => t.Value!.Value).ToArray();
                var failed = evaluations.Where(t => t.State == TrialState.Failed).Select(t => RunOutcome.RootError(t, all)).ToList();
                if (accuracies.Length == 0 && failed.Count == 0) continue;
                var (mean, std) = MemoryEvaluation.MeanStd(accuracies);
                rows.Add(new Row(spec.DisplayName, label, budget.Ipc, budget.Fraction, arch, protocol, mean, std, accuracies.Length,
                    built.Count == 0 ? double.NaN : built.Average(t => t.UserAttrs["build_seconds"].GetDouble()),
                    built.Count == 0 ? 0 : (int)Math.Round(built.Average(t => t.UserAttrs["images"].GetInt32())), o.EvalOf(spec, protocol),
                    failed.Count, failed.Count == 0 ? null : failed.Any(TrainingDivergedException.Is) ? "diverged" : "failed",
                    built.Count == 0 ? 0 : (int)Math.Round(built.Average(t => Attr(t, "training_images", "images"))),
                    built.Count == 0 ? double.NaN : built.Average(t => Attr(t, "stored_bytes", null))));
            }
        }
        Write(ctx, o, rows, outcome);
    }

    /// <summary>The mean accuracy of <paramref name="method"/> minus <paramref name="baseline"/>'s in one column, or null when either has no number.</summary>
    private static double? GainOver(List<Row> rows, string baseline, string method, (string Budget, string Arch, string Protocol) c)
    {
        Row? Of(string m) => rows.FirstOrDefault(x => x.Method == m && x.Budget == c.Budget && x.Arch == c.Arch && x.Protocol == c.Protocol && x.HasNumber);
        return Of(method) is { } r && Of(baseline) is { } b ? r.Mean - b.Mean : null;
    }

    /// <summary>A numeric user attribute of a build unit, or <paramref name="fallback"/>'s (or NaN) for a unit stored before it was recorded.</summary>
    private static double Attr(FrozenTrial unit, string key, string? fallback) =>
        unit.UserAttrs.TryGetValue(key, out var v) || (fallback is not null && unit.UserAttrs.TryGetValue(fallback, out v)) ? v.GetDouble() : double.NaN;

    private static void Write(RunContext ctx, CompareOptions o, List<Row> rows, RunOutcome outcome)
    {
        var buildArch = ArchitectureSpec.Parse(o.BuildArch);
        var json = new JsonObject
        {
            ["scenario"] = "compare",
            ["dataset"] = o.Dataset.Name,
            ["build_arch"] = buildArch.ToString(),
            ["seeds"] = o.Seeds,
            ["threads_per_worker"] = o.ThreadsPerWorker,
            ["models_per_memory"] = o.Models,
            ["eval_epochs"] = o.Eval.Epochs,
            ["eval_augmentation"] = o.Eval.Augmentation,
            ["rows"] = new JsonArray(rows.Select(r => (JsonNode)new JsonObject
            {
                ["method"] = r.Method,
                ["ipc"] = r.Ipc,
                ["fraction"] = r.Fraction,
                ["arch"] = r.Arch,
                ["protocol"] = r.Protocol,
                ["build_arch"] = buildArch.ToString(),
                ["accuracy_mean"] = r.HasNumber ? Math.Round(r.Mean, 6) : null,
                ["accuracy_std"] = r.HasNumber ? Math.Round(r.Std, 6) : null,
                ["models"] = r.Models,
                ["failed_models"] = r.Failed,
                ["gain_over_random"] = o.Builders.FirstOrDefault(b => b.Name == "random") is { } random
                    && GainOver(rows, random.DisplayName, r.Method, (r.Budget, r.Arch, r.Protocol)) is double gain ? Math.Round(gain, 6) : null,
                ["failure"] = r.Failure,
                ["build_seconds"] = Math.Round(r.BuildSeconds, 2),
                ["memory_images"] = r.Images,
                ["training_images"] = r.TrainingImages,
                ["stored_bytes"] = double.IsNaN(r.StoredBytes) ? null : Math.Round(r.StoredBytes),
                ["eval_epochs"] = r.Eval.Epochs,
                ["eval_augmentation"] = r.Eval.Augmentation,
            }).ToArray()),
        };
        outcome.WriteTo(json);
        ctx.Directory.WriteJson("results.json", json);
        ctx.Directory.WriteCsv("results.csv", ["method", "ipc", "fraction", "arch", "protocol", "build_arch", "accuracy_mean", "accuracy_std", "models", "failed_models", "build_seconds", "memory_images",
                "training_images", "stored_bytes"],
            rows.Select(r => (IReadOnlyList<object?>)[r.Method, r.Ipc, r.Fraction, r.Arch, r.Protocol, buildArch.ToString(), r.HasNumber ? r.Mean : null, r.HasNumber ? r.Std : null, r.Models, r.Failed,
                r.BuildSeconds, r.Images, r.TrainingImages, r.StoredBytes]));

        // Markdown: one row per method, one column per (budget, arch, protocol); mean ± std in percent, best per column in bold.
        var columns = rows.Select(r => (r.Budget, r.Arch, r.Protocol)).Distinct().ToList();
        var methods = rows.Select(r => r.Method).Distinct().ToList();
        bool manyArchs = columns.Select(c => c.Arch).Distinct().Count() > 1, manyProtocols = columns.Select(c => c.Protocol).Distinct().Count() > 1;
        string Header((string Budget, string Arch, string Protocol) c) =>
            c.Budget + (manyArchs ? $" ({c.Arch})" : "") + (manyProtocols ? $" [{c.Protocol} protocol]" : "");
        var md = new System.Text.StringBuilder();
        md.AppendLine($"Test accuracy (%) on {o.Dataset.Name}, mean ± std over {o.Seeds} memories x {o.Models} models, with each memory's stored bytes " +
                      $"(its stored images' pixels and labels); memories built with {buildArch}.");
        if (rows.Count > 0)
        {
            md.AppendLine();
            md.AppendLine("| method | " + string.Join(" | ", columns.Select(Header)) + " |");
            md.AppendLine("|---|" + string.Concat(columns.Select(_ => "---|")));
        }
        var table = new Table().AddColumn("method");
        foreach (var c in columns) table.AddColumn(Header(c));
        foreach (var m in methods)
        {
            var cellsText = columns.Select(c =>
            {
                var r = rows.FirstOrDefault(x => x.Method == m && x.Budget == c.Budget && x.Arch == c.Arch && x.Protocol == c.Protocol);
                if (r is null) return ("", "");
                bool best = r.HasNumber && rows.Where(x => x.HasNumber && x.Budget == c.Budget && x.Arch == c.Arch && x.Protocol == c.Protocol).Max(x => x.Mean) == r.Mean;
                var text = r.Cell;
                return (best ? $"**{text}**" : text, best ? $"[bold]{Markup.Escape(text)}[/]" : Markup.Escape(text));
            }).ToList();
            md.AppendLine($"| {m} | " + string.Join(" | ", cellsText.Select(t => t.Item1)) + " |");
            table.AddRow(new[] { Markup.Escape(m) }.Concat(cellsText.Select(t => t.Item2)).ToArray());
        }
        if (o.Builders.FirstOrDefault(b => b.Name == "random") is { } random && rows.Any(r => r.Method == random.DisplayName && r.HasNumber))
        {
            // gain over random in the same run, same protocol, same models (DD-Ranking's fair-comparison measure)
            md.AppendLine();
            md.AppendLine($"Gain over {random.DisplayName} (points of test accuracy, same run, protocol and architecture):");
            md.AppendLine();
            md.AppendLine("| method | " + string.Join(" | ", columns.Select(Header)) + " |");
            md.AppendLine("|---|" + string.Concat(columns.Select(_ => "---|")));
            foreach (var m in methods.Where(m => m != random.DisplayName))
                md.AppendLine($"| {m} | " + string.Join(" | ", columns.Select(c => GainOver(rows, random.DisplayName, m, c) is double g ? $"{100 * g:+0.00;-0.00;0.00}" : "")) + " |");
        }
        md.Append(outcome.Markdown());
        ctx.Directory.WriteText("results.md", md.ToString());
        if (rows.Count > 0) AnsiConsole.Write(table);

        foreach (var arch in rows.Select(r => r.Arch).Distinct())
        {
            var series = methods.Select(m =>
            {
                var pts = rows.Where(r => r.Method == m && r.Arch == arch && r.Protocol == o.EvalProtocols[0] && r.Ipc is not null && r.HasNumber).OrderBy(r => r.Ipc).ToList();
                return new Series(m, pts.Select(p => (double)p.Ipc!.Value).ToArray(), pts.Select(p => 100 * p.Mean).ToArray(), pts.Select(p => 100 * p.Std).ToArray());
            }).Where(s => s.X.Length > 0).ToList();
            if (series.Count > 0)
                Plots.SavePng(Plots.Line($"{o.Dataset.Name}: test accuracy vs images per class ({arch})", "images per class", "test accuracy (%)", series),
                    ctx.Directory.PathOf(manyArchs ? $"accuracy_vs_ipc-{RunDirectory.Slug(arch)}.png" : "accuracy_vs_ipc.png"));
        }
    }

}
