using System.Text.Json.Nodes;
using Condensa.Hosting;
using Condensa.Memory;
using Condensa.Models;
using Condensa.Reporting;
using Condensa.Study;
using Condensa.Training;
using Condensa.Work;
using Spectre.Console;

namespace Condensa.Scenarios.Comparison;

/// <summary>
/// compare's report from its stored units: results.json, results.csv, results.md (the accuracy table with each memory's
/// stored bytes, failed cells named, the gain over random, any iteration sweep) and the accuracy-vs-budget and
/// accuracy-vs-iterations plots.
/// </summary>
internal static class CompareReport
{
    /// <summary>
    /// One table row: a (builder, budget, architecture) cell over all its memories and models, and how its models were
    /// trained. <see cref="Failed"/> models (or their memory's build) failed; such a cell shows <see cref="Failure"/>, not a number.
    /// </summary>
    private sealed record Row(string Method, string Budget, int? Ipc, double? Fraction, string Arch, string Protocol, double Mean, double Std, int Models, double BuildSeconds, int Images,
        TrainOptions Eval, int Failed, string? Failure, int TrainingImages, double StoredBytes, int? Iterations, string? Sweep)
    {
        public bool HasNumber => Failed == 0;

        /// <summary>The cell's text: mean ± std with the memory's stored bytes, or what stopped it ("diverged (2 of 4 models)").</summary>
        public string Cell => HasNumber ? $"{Format.MeanStd(Mean, Std)} ({Format.Kilobytes(StoredBytes)})" : $"{Failure} ({Failed} of {Failed + Models} models)";
    }

    public static void Write(RunContext ctx, CompareOptions o, IReadOnlyList<FrozenTrial> all, RunOutcome outcome)
    {
        string Key(FrozenTrial t, string kind) => t.Params["kind"].GetString() == kind ? $"{UnitParams.Text(t.Params, "builder")}|{UnitParams.Text(t.Params, "budget")}" : "";
        var rows = new List<Row>();
        var sweeps = new IterationSweeps(o.Builders);
        foreach (var spec in o.Builders)
        foreach (var (label, budget) in o.Budgets)
        {
            var cell = $"{spec.DisplayName}|{label}";
            var built = all.Where(t => t.State == TrialState.Complete && Key(t, CompareScenario.Build) == cell).ToList();
            foreach (var protocol in o.EvalProtocols)
            foreach (var arch in o.EffectiveEvalArchs)
            {
                // in plan order (memory, then model), so the mean is summed in one order whoever ran the units
                var evaluations = all.Where(t => Key(t, CompareScenario.Evaluate) == cell && UnitParams.Text(t.Params, "arch") == arch && CompareScenario.ProtocolOf(t.Params) == protocol)
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
                    built.Count == 0 ? double.NaN : built.Average(t => Attr(t, "stored_bytes", null)), IterationSweeps.Iterations(spec), sweeps.SweepOf(spec)));
            }
        }
        WriteTables(ctx, o, rows, outcome);
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

    private static void WriteTables(RunContext ctx, CompareOptions o, List<Row> rows, RunOutcome outcome)
    {
        var buildArch = ArchitectureSpec.Parse(o.BuildArch);
        var random = o.Builders.FirstOrDefault(b => b.Name == "random");
        new CompareResults
        {
            Dataset = o.Dataset.Name, BuildArch = buildArch.ToString(), Seeds = o.Seeds, ThreadsPerWorker = o.ThreadsPerWorker, ModelsPerMemory = o.Models,
            EvalEpochs = o.Eval.Epochs, EvalAugmentation = o.Eval.Augmentation,
            Rows = rows.Select(r => new CompareRow
            {
                Method = r.Method, Ipc = r.Ipc, Fraction = r.Fraction, Arch = r.Arch, Protocol = r.Protocol, BuildArch = buildArch.ToString(),
                AccuracyMean = r.HasNumber ? Math.Round(r.Mean, 6) : null, AccuracyStd = r.HasNumber ? Math.Round(r.Std, 6) : null,
                Models = r.Models, FailedModels = r.Failed,
                GainOverRandom = random is not null && GainOver(rows, random.DisplayName, r.Method, (r.Budget, r.Arch, r.Protocol)) is double gain ? Math.Round(gain, 6) : null,
                Failure = r.Failure, BuildSeconds = Math.Round(r.BuildSeconds, 2), MemoryImages = r.Images, TrainingImages = r.TrainingImages,
                StoredBytes = double.IsNaN(r.StoredBytes) ? null : Math.Round(r.StoredBytes), Iterations = r.Iterations, Sweep = r.Sweep,
                EvalEpochs = r.Eval.Epochs, EvalAugmentation = r.Eval.Augmentation,
            }).ToList(),
        }.With(outcome).Write(ctx.Directory);
        ctx.Directory.WriteCsv("results.csv", ["method", "ipc", "fraction", "arch", "protocol", "build_arch", "accuracy_mean", "accuracy_std", "models", "failed_models", "build_seconds", "memory_images",
                "training_images", "stored_bytes", "iterations", "sweep"],
            rows.Select(r => (IReadOnlyList<object?>)[r.Method, r.Ipc, r.Fraction, r.Arch, r.Protocol, buildArch.ToString(), r.HasNumber ? r.Mean : null, r.HasNumber ? r.Std : null, r.Models, r.Failed,
                r.BuildSeconds, r.Images, r.TrainingImages, r.StoredBytes, r.Iterations, r.Sweep]));

        // one row per method, one column per (budget, arch, protocol); mean ± std in percent, best per column in bold
        var columns = rows.Select(r => (r.Budget, r.Arch, r.Protocol)).Distinct().ToList();
        var methods = rows.Select(r => r.Method).Distinct().ToList();
        bool manyArchs = columns.Select(c => c.Arch).Distinct().Count() > 1, manyProtocols = columns.Select(c => c.Protocol).Distinct().Count() > 1;
        string Header((string Budget, string Arch, string Protocol) c) =>
            c.Budget + (manyArchs ? $" ({c.Arch})" : "") + (manyProtocols ? $" [{c.Protocol} protocol]" : "");
        var md = new System.Text.StringBuilder();
        md.AppendLine($"Test accuracy (%) on {o.Dataset.Name}, mean ± std over {o.Seeds} memories x {o.Models} models, with each memory's stored bytes " +
                      $"(its stored images' pixels and labels); memories built with {buildArch}.");
        var table = new ReportTable(["method", .. columns.Select(Header)]);
        foreach (var m in methods)
            table.Add([m, .. columns.Select(c =>
            {
                var r = rows.FirstOrDefault(x => x.Method == m && x.Budget == c.Budget && x.Arch == c.Arch && x.Protocol == c.Protocol);
                if (r is null) return new ReportCell("");
                bool best = r.HasNumber && rows.Where(x => x.HasNumber && x.Budget == c.Budget && x.Arch == c.Arch && x.Protocol == c.Protocol).Max(x => x.Mean) == r.Mean;
                return new ReportCell(r.Cell, best);
            })]);
        if (rows.Count > 0) md.AppendLine().Append(table.ToMarkdown());
        if (random is not null && rows.Any(r => r.Method == random.DisplayName && r.HasNumber))
        {
            // gain over random in the same run, same protocol, same models (DD-Ranking's fair-comparison measure)
            var gains = new ReportTable(["method", .. columns.Select(Header)]);
            foreach (var m in methods.Where(m => m != random.DisplayName))
                gains.Add([m, .. columns.Select(c => new ReportCell(GainOver(rows, random.DisplayName, m, c) is double g ? $"{100 * g:+0.00;-0.00;0.00}" : ""))]);
            md.AppendLine().AppendLine($"Gain over {random.DisplayName} (points of test accuracy, same run, protocol and architecture):").AppendLine().Append(gains.ToMarkdown());
        }
        var swept = rows.Where(r => r.Sweep is not null && r.Protocol == o.EvalProtocols[0]).ToList();
        if (swept.Count > 0)
        {
            // one row per (sweep, budget, arch), one column per iteration count: accuracy and build time
            var counts = swept.Select(r => r.Iterations!.Value).Distinct().Order().ToList();
            var sweepTable = new ReportTable(["sweep", .. counts.Select(c => $"{c} it.")]);
            foreach (var g in swept.GroupBy(r => (r.Sweep, r.Budget, r.Arch)))
                sweepTable.Add([$"{g.Key.Sweep}, {g.Key.Budget}{(manyArchs ? $" ({g.Key.Arch})" : "")}", .. counts.Select(c => new ReportCell(
                    g.FirstOrDefault(r => r.Iterations == c) is { } r ? r.HasNumber ? $"{Format.MeanStd(r.Mean, r.Std)} ({r.BuildSeconds:0} s)" : r.Cell : ""))]);
            md.AppendLine().AppendLine($"Accuracy against synthesis iterations ({o.EvalProtocols[0]} protocol; build time in seconds, a longer row continuing the shorter one's synthesis):")
                .AppendLine().Append(sweepTable.ToMarkdown());
        }
        md.Append(outcome.Markdown());
        ctx.Directory.WriteText("results.md", md.ToString());
        if (rows.Count > 0) AnsiConsole.Write(table.ToConsole());

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
            var sweepSeries = swept.Where(r => r.Arch == arch && r.HasNumber).GroupBy(r => $"{r.Sweep}, {r.Budget}").Select(g =>
            {
                var pts = g.OrderBy(r => r.Iterations).ToList();
                return new Series(g.Key, pts.Select(p => (double)p.Iterations!.Value).ToArray(), pts.Select(p => 100 * p.Mean).ToArray(), pts.Select(p => 100 * p.Std).ToArray());
            }).ToList();
            if (sweepSeries.Count > 0)
                Plots.SavePng(Plots.Line($"{o.Dataset.Name}: test accuracy vs synthesis iterations ({arch})", "iterations", "test accuracy (%)", sweepSeries),
                    ctx.Directory.PathOf(manyArchs ? $"accuracy_vs_iterations-{RunDirectory.Slug(arch)}.png" : "accuracy_vs_iterations.png"));
        }
    }
}
