using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
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

namespace Condensa.Scenarios.Comparison;

public sealed class CompareOptions : RunOptions, IValidatableOptions
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

    /// <summary>How evaluation models are trained (the DC papers' evaluate_synset: 300 epochs without augmentation, 1000 with DSA).</summary>
    public TrainOptions Eval { get; set; } = new() { Epochs = 300, BatchSize = 256, Lr = 0.01, Augmentation = "dsa" };

    public IReadOnlyList<string> EffectiveEvalArchs => EvalArchs.Count > 0 ? EvalArchs : [BuildArch];

    public void Validate(Action<string, string> error)
    {
        if (Ipc.Count == 0 && Fractions.Count == 0) error("ipc", "give at least one budget (ipc or fractions)");
        if (Ipc.Any(i => i < 1)) error("ipc", "images per class must be at least 1");
        if (Fractions.Any(f => f <= 0 || f > 1)) error("fractions", "fractions must be in (0, 1]");
        foreach (var (key, arch) in EffectiveEvalArchs.Select(a => ("eval_archs", a)).Prepend(("build_arch", BuildArch)))
            ArchitectureSpec.Validate(key, arch, error);
        var labels = Builders.GroupBy(b => b.DisplayName).Where(g => g.Count() > 1).Select(g => g.Key).ToArray();
        if (labels.Length > 0) error("builders", $"{string.Join(", ", labels)} appear more than once; give each a distinct 'label'");
    }
}

/// <summary>
/// Scenario <c>compare</c>: the same budgets built by every listed memory builder, each memory trained on by fresh
/// models and tested on the real test set (the DC papers' protocol), side by side. Every memory and every
/// (memory, architecture) evaluation is saved as it finishes, so a re-run on the same --out directory, or a run with
/// one more builder, only computes what is missing.
/// </summary>
public sealed class CompareScenario : IScenario
{
    public string Name => "compare";
    public string Description => "Build the same memory budget with several builders and evaluate them side by side";
    public Type OptionsType => typeof(CompareOptions);

    private sealed record Cell(string Method, string Budget, int? Ipc, double? Fraction, string Arch, int Seed, double[] Accuracies, double BuildSeconds, int Images);

    public int Run(RunContext ctx, RunOptions runOptions, CancellationToken cancellationToken)
    {
        var o = (CompareOptions)runOptions;
        var log = ctx.Log;
        using var splits = DatasetCatalog.Load(o.Dataset, Condensa.Seeds.Derive(o.Seed, "data"));
        var train = splits.Train.To(ctx.Device);
        var test = splits.Test.To(ctx.Device);
        var buildArch = ArchitectureSpec.Parse(o.BuildArch);
        var budgets = o.Ipc.Select(i => (Label: $"ipc {i}", Budget: new Budget(Ipc: i, Balanced: o.Balanced)))
            .Concat(o.Fractions.Select(f => (Label: $"fraction {f}", Budget: new Budget(Fraction: f, Balanced: o.Balanced)))).ToList();
        var cache = new InMemoryArtifactCache();
        var cells = new List<Cell>();
        var evaluation = EvaluationKey(o, test);
        int total = o.Builders.Count * budgets.Count * o.Seeds;
        log.LogInformation("compare: {Builders} builders x {Budgets} budgets x {Seeds} seeds, evaluated on {Archs} with {Models} models each ({Epochs} epochs, augmentation {Aug})",
            o.Builders.Count, budgets.Count, o.Seeds, string.Join(", ", o.EffectiveEvalArchs), o.Models, o.Eval.Epochs, o.Eval.Augmentation);
        using var task = ctx.Progress.Start("compare", total);
        try
        {
            foreach (var spec in o.Builders)
            foreach (var (label, budget) in budgets)
            for (int s = 0; s < o.Seeds; s++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var slug = $"{Slug(spec.DisplayName)}/{Slug(label)}/seed{s}";
                long buildSeed = Condensa.Seeds.Derive(o.Seed, "build", s);
                var (memory, buildSeconds) = MemoryCache.BuildOrLoad(ctx.Directory.PathOf($"memories/{slug}"), train, () =>
                {
                    log.LogInformation("building {Method} {Budget} (seed {Seed})", spec.DisplayName, label, s);
                    return ctx.Builders.Create(spec).Build(new MemoryRequest
                    {
                        Source = train, Budget = budget, Architecture = buildArch, Device = ctx.Device, Seed = buildSeed,
                        Progress = ctx.Progress, Log = log, Cache = cache, CheckpointDirectory = ctx.Directory.PathOf($"checkpoints/{slug}"),
                    }, cancellationToken);
                }, spec, buildSeed);
                using var memorySet = memory.Materialize(train);
                foreach (var archText in o.EffectiveEvalArchs)
                {
                    var arch = ArchitectureSpec.Parse(archText);
                    // keyed by the evaluation settings and the memory's identity: a rebuilt memory is evaluated afresh
                    var cellFile = $"cells/{slug}/{Slug(archText)}-{evaluation}-{MemoryCache.Identity(spec, buildSeed, train)}.json";
                    double[] accuracies;
                    if (ctx.Directory.Exists(cellFile))
                        accuracies = JsonSerializer.Deserialize<double[]>(File.ReadAllText(ctx.Directory.PathOf(cellFile)))!;
                    else
                    {
                        accuracies = MemoryEvaluation.TrainAndTest(memorySet, memory.Weights, arch, o.Eval, test, o.Models,
                            Condensa.Seeds.Derive(o.Seed, $"eval/{slug}/{archText}"), ctx.Device, cancellationToken, ctx.Progress);
                        ctx.Directory.WriteJson(cellFile, accuracies);
                    }
                    var (mean, std) = MemoryEvaluation.MeanStd(accuracies);
                    log.LogInformation("{Method} {Budget} seed {Seed} on {Arch}: {Accuracy} ({Images} images, built in {Seconds:0.0} s)",
                        spec.DisplayName, label, s, archText, Format.MeanStd(mean, std), memory.Count, buildSeconds);
                    cells.Add(new Cell(spec.DisplayName, label, budget.Ipc, budget.Fraction, archText, s, accuracies, buildSeconds, memory.Count));
                }
                task.Increment();
            }
        }
        catch (OperationCanceledException)
        {
            Report(ctx, o, buildArch, cells, "cancelled");
            throw;
        }
        Report(ctx, o, buildArch, cells, "completed");
        return 0;
    }

    /// <summary>A short hash of what an evaluation's accuracies depend on besides the memory and the architecture.</summary>
    private static string EvaluationKey(CompareOptions o, LabeledDataset test) =>
        Condensa.Seeds.Key(o.Seed, $"{MemoryStore.OptionsJson(o.Eval).ToJsonString()}|models {o.Models}|test {test.Name} {test.Count}");

    private static void Report(RunContext ctx, CompareOptions o, ArchitectureSpec buildArch, List<Cell> cells, string status)
    {
        var rows = cells.GroupBy(c => (c.Method, c.Budget, c.Arch)).Select(g =>
        {
            var all = g.SelectMany(c => c.Accuracies).ToArray();
            var (mean, std) = MemoryEvaluation.MeanStd(all);
            var first = g.First();
            return new
            {
                first.Method, first.Budget, first.Ipc, first.Fraction, first.Arch, Mean = mean, Std = std, Models = all.Length,
                BuildSeconds = g.Average(c => c.BuildSeconds), Images = (int)Math.Round(g.Average(c => c.Images)),
            };
        }).ToList();

        var json = new JsonObject
        {
            ["scenario"] = "compare",
            ["status"] = status,
            ["dataset"] = o.Dataset.Name,
            ["build_arch"] = buildArch.ToString(),
            ["seeds"] = o.Seeds,
            ["models_per_memory"] = o.Models,
            ["eval_epochs"] = o.Eval.Epochs,
            ["eval_augmentation"] = o.Eval.Augmentation,
            ["rows"] = new JsonArray(rows.Select(r => (JsonNode)new JsonObject
            {
                ["method"] = r.Method,
                ["ipc"] = r.Ipc,
                ["fraction"] = r.Fraction,
                ["arch"] = r.Arch,
                ["build_arch"] = buildArch.ToString(),
                ["accuracy_mean"] = Math.Round(r.Mean, 6),
                ["accuracy_std"] = Math.Round(r.Std, 6),
                ["models"] = r.Models,
                ["build_seconds"] = Math.Round(r.BuildSeconds, 2),
                ["memory_images"] = r.Images,
            }).ToArray()),
        };
        ctx.Directory.WriteJson("results.json", json);
        ctx.Directory.WriteCsv("results.csv", ["method", "ipc", "fraction", "arch", "build_arch", "accuracy_mean", "accuracy_std", "models", "build_seconds", "memory_images"],
            rows.Select(r => (IReadOnlyList<object?>)[r.Method, r.Ipc, r.Fraction, r.Arch, buildArch.ToString(), r.Mean, r.Std, r.Models, r.BuildSeconds, r.Images]));

        // Markdown: one row per method, one column per (budget, arch); mean ± std in percent, best per column in bold.
        var columns = rows.Select(r => (r.Budget, r.Arch)).Distinct().ToList();
        var methods = rows.Select(r => r.Method).Distinct().ToList();
        bool manyArchs = columns.Select(c => c.Arch).Distinct().Count() > 1;
        string Header((string Budget, string Arch) c) => manyArchs ? $"{c.Budget} ({c.Arch})" : c.Budget;
        var md = new System.Text.StringBuilder();
        md.AppendLine($"Test accuracy (%) on {o.Dataset.Name}, mean ± std over {o.Seeds} memories x {o.Models} models; memories built with {buildArch}.");
        md.AppendLine();
        md.AppendLine("| method | " + string.Join(" | ", columns.Select(Header)) + " |");
        md.AppendLine("|---|" + string.Concat(columns.Select(_ => "---|")));
        var table = new Table().AddColumn("method");
        foreach (var c in columns) table.AddColumn(Header(c));
        foreach (var m in methods)
        {
            var cellsText = columns.Select(c =>
            {
                var r = rows.FirstOrDefault(x => x.Method == m && x.Budget == c.Budget && x.Arch == c.Arch);
                if (r is null) return ("", "");
                bool best = rows.Where(x => x.Budget == c.Budget && x.Arch == c.Arch).Max(x => x.Mean) == r.Mean;
                var text = Format.MeanStd(r.Mean, r.Std);
                return (best ? $"**{text}**" : text, best ? $"[bold]{text}[/]" : text);
            }).ToList();
            md.AppendLine($"| {m} | " + string.Join(" | ", cellsText.Select(t => t.Item1)) + " |");
            table.AddRow(new[] { Markup.Escape(m) }.Concat(cellsText.Select(t => t.Item2)).ToArray());
        }
        ctx.Directory.WriteText("results.md", md.ToString());
        AnsiConsole.Write(table);

        foreach (var arch in rows.Select(r => r.Arch).Distinct())
        {
            var series = methods.Select(m =>
            {
                var pts = rows.Where(r => r.Method == m && r.Arch == arch && r.Ipc is not null).OrderBy(r => r.Ipc).ToList();
                return new Series(m, pts.Select(p => (double)p.Ipc!.Value).ToArray(), pts.Select(p => 100 * p.Mean).ToArray(), pts.Select(p => 100 * p.Std).ToArray());
            }).Where(s => s.X.Length > 0).ToList();
            if (series.Count > 0)
                Plots.Line(ctx.Directory.PathOf(manyArchs ? $"accuracy_vs_ipc-{Slug(arch)}.png" : "accuracy_vs_ipc.png"),
                    $"{o.Dataset.Name}: test accuracy vs images per class ({arch})", "images per class", "test accuracy (%)", series);
        }
    }

    internal static string Slug(string text) => new(text.Select(ch => char.IsLetterOrDigit(ch) || ch is '-' or '.' ? ch : '-').ToArray());
}
