using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Condensa.Memory;
using Condensa.Reporting;
using Condensa.Scenarios.ArchitectureSearch;
using Condensa.Scenarios.Comparison;
using Condensa.Scenarios.ContinualLearning;
using Condensa.Scenarios.Train;
using static Condensa.Scenarios.Serve.Dashboard;

namespace Condensa.Scenarios.Serve;

/// <summary>
/// A run page's charts, drawn from the run's own files by scenario: each an inline SVG (ScottPlot, as the run's PNGs)
/// with its numbers in a table beside it, and matrices as heatmap tables whose cells hold the values.
/// train: training curve (training.csv) and confusion matrix; compare: accuracy vs budget per builder with ± std bands
/// and build seconds; continual: accuracy vs classes seen with bands, mean accuracy matrix per strategy and builder;
/// nas: proxy vs whole-set accuracy per proxy with the top-k by proxy marked (trials.csv).
/// </summary>
internal static class RunCharts
{
    public static string Of(RunFolder run) => Guarded(() => run.Results switch
    {
        TrainResults train => Train(run, train),
        CompareResults compare => Compare(compare),
        ContinualResults continual => Continual(continual),
        NasResults nas => Nas(run, nas),
        null when run.Scenario == "train" => Train(run, null),   // a training still running: its curve so far
        _ => "",
    });

    /// <summary>What <paramref name="draw"/> draws, or a note when the run's files are incomplete or malformed (a run being written, or an older format).</summary>
    public static string Guarded(Func<string> draw)
    {
        try
        {
            return draw();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return $"<p class=\"failed\">charts: the run's files are incomplete or malformed ({E(e.Message)})</p>";
        }
    }

    /// <summary>
    /// A memory grid's caption (memory.png beside its memory.json): builder, size, build seconds, the class of each row,
    /// and links to the memory's files; empty for other images.
    /// </summary>
    public static string GridCaption(RunFolder run, string image)
    {
        if (!image.EndsWith("/" + MemoryStore.GridFile, StringComparison.Ordinal)) return "";
        var folder = image[..^MemoryStore.GridFile.Length];
        if (run.Text(folder + MemoryStore.MetadataFile) is not { } text) return "";
        var meta = JsonNode.Parse(text)!;
        var names = meta["class_names"]?.AsArray().Select(n => n!.GetValue<string>()).ToArray() ?? [];
        var rows = meta["classes"]!.AsArray().Select(c => c!.GetValue<int>()).Select(c => c < names.Length ? names[c] : c.ToString(CultureInfo.InvariantCulture));
        var files = new[] { MemoryStore.MetadataFile, MemoryStore.SelectionFile, MemoryStore.ImagesFile, MemoryStore.LabelsFile }
            .Where(f => run.File(folder + f) is not null).Select(f => $"<a href=\"{E(run.FileLink(folder + f))}\">{E(f)}</a>");
        int factor = meta["factor"]?.GetValue<int>() ?? 1;
        var decoding = factor > 1 ? $" (multi-formation: {factor}x{factor} tiles each, {E(meta["training_images"]?.ToString())} training images)" : "";
        var bytes = meta["stored_bytes"] is { } stored ? $", {E(Format.Kilobytes(stored.GetValue<double>()))} stored" : "";
        return $"<br>{E(meta["method"]?.ToString())}, {E(meta["count"]?.ToString())} stored images{decoding}{bytes}, built in {meta["seconds"]?.GetValue<double>():0.0} s<br>" +
               $"rows, top to bottom: {E(string.Join(", ", rows))}<br>{string.Join(" ", files)}";
    }

    private static string Train(RunFolder run, TrainResults? results)
    {
        var html = new StringBuilder();
        var csv = run.Csv("training.csv");
        if (csv.Count > 0)
        {
            var epoch = Column(csv, "epoch");
            var series = new List<Series> { new("train loss", epoch, Column(csv, "loss")), new("train accuracy", epoch, Column(csv, "train_accuracy")) };
            var tested = csv.Where(r => r.GetValueOrDefault("test_accuracy") is { Length: > 0 }).ToList();
            if (tested.Count > 0) series.Add(new("test accuracy", Column(tested, "epoch"), Column(tested, "test_accuracy")));
            html.Append("<h2>Training curve</h2>").Append(Chart(Plots.Line("Training curve", "epoch", "loss / accuracy", series), series, "epoch"));
        }
        if (results?.ConfusionMatrix is { } confusion)
        {
            var names = results.PerClassAccuracy?.Keys.ToArray() ?? [];
            var counts = confusion.Select(r => r.Select(v => (double)v).ToArray()).ToArray();
            string Name(int i) => i < names.Length ? names[i] : i.ToString(CultureInfo.InvariantCulture);
            html.Append("<h2>Confusion matrix</h2><p>rows: true class, columns: predicted; shade: share of the row</p>")
                .Append(Heatmap(counts.Select((r, i) => (Name(i), r.Select(v => (double?)v).ToArray(), r.Sum())).ToList(),
                    Enumerable.Range(0, counts.Length).Select(Name).ToArray(), v => v.ToString("0", CultureInfo.InvariantCulture)));
        }
        return html.ToString();
    }

    private static string Compare(CompareResults results)
    {
        var rows = results.Rows;
        if (rows.Count == 0) return "";
        var html = new StringBuilder();
        // the charts show the first protocol's cells that have a number (a failed cell has none)
        var charted = rows.Where(r => r.AccuracyMean is not null && r.Protocol == rows[0].Protocol).ToList();
        foreach (var arch in rows.Select(r => r.Arch).Distinct())
        {
            var ofArch = charted.Where(r => r.Arch == arch).ToList();
            var series = AccuracySeries(ofArch.Where(r => r.Ipc is not null), r => r.Method, r => r.Ipc!.Value);
            if (series.Count > 0)
                html.Append($"<h2>Accuracy vs images per class ({E(arch)})</h2>")
                    .Append(Chart(Plots.Line("test accuracy vs images per class", "images per class", "test accuracy (%)", series), series, "ipc"));
            var sweeps = AccuracySeries(ofArch.Where(r => r.Sweep is not null && r.Iterations is not null), r => $"{r.Sweep}, {r.Budget}", r => r.Iterations!.Value);
            if (sweeps.Count > 0)
                html.Append($"<h2>Accuracy vs synthesis iterations ({E(arch)})</h2>")
                    .Append(Chart(Plots.Line("test accuracy vs synthesis iterations", "iterations", "test accuracy (%)", sweeps), sweeps, "iterations"));
        }
        var builds = new ReportTable("builder", "budget", "images", "build seconds", "accuracy");
        foreach (var r in rows)
            builds.Add(r.Method, r.Budget, r.MemoryImages.ToString(CultureInfo.InvariantCulture), r.BuildSeconds.ToString(CultureInfo.InvariantCulture),
                r.AccuracyMean is double mean ? $"{100 * mean:0.00} ± {100 * (r.AccuracyStd ?? 0):0.00}" : r.Failure ?? "");
        return html.Append("<h2>Memory builds</h2>").Append(builds.ToHtml()).ToString();
    }

    /// <summary>Compare rows as accuracy series: one per <paramref name="name"/>, x from <paramref name="x"/>, mean ± std in percent.</summary>
    private static List<Series> AccuracySeries(IEnumerable<CompareRow> rows, Func<CompareRow, string> name, Func<CompareRow, int> x) =>
        rows.GroupBy(name).Select(g =>
        {
            var pts = g.OrderBy(x).ToList();
            return new Series(g.Key, pts.Select(p => (double)x(p)).ToArray(), pts.Select(p => 100 * p.AccuracyMean!.Value).ToArray(),
                pts.Select(p => 100 * (p.AccuracyStd ?? 0)).ToArray());
        }).ToList();

    private static string Continual(ContinualResults results)
    {
        if (results.Summary.Count == 0) return "";
        var byDomain = results.Incremental == "domain";
        // a run of several memory sizes names each series' size
        static string Name(string strategy, string builder, int? size) => $"{strategy} + {builder}{(size is int n ? $", memory {n}" : "")}";
        var series = results.Summary.Select(s => new Series(Name(s.Strategy, s.Builder, s.MemorySize),
            s.ClassesSeen.Select((c, t) => byDomain ? t + 1.0 : c).ToArray(),
            s.StepAccuracyMean.Select(a => 100 * (a ?? double.NaN)).ToArray(),
            s.StepAccuracyStd.Select(a => 100 * (a ?? double.NaN)).ToArray())).ToList();
        var html = new StringBuilder("<h2>Accuracy on everything seen, after each step</h2>")
            .Append(Chart(Plots.Line("accuracy after each step (mean ± std over runs)", byDomain ? "domains seen" : "classes seen", "test accuracy (%)", series), series,
                byDomain ? "domains" : "classes"));
        foreach (var group in results.Runs.Where(r => r.AccuracyMatrix.Count > 0).GroupBy(r => Name(r.Strategy, r.Builder, r.MemorySize)))
        {
            var matrices = group.Select(r => r.AccuracyMatrix).ToList();
            var steps = matrices.Max(m => m.Count);
            var mean = Enumerable.Range(0, steps).Select(i => (double?[])Enumerable.Range(0, steps).Select(j =>
            {
                var values = matrices.Where(m => i < m.Count && j < m[i].Count && m[i][j] is not null).Select(m => m[i][j]!.Value).ToList();
                return values.Count > 0 ? 100 * values.Average() : (double?)null;
            }).ToArray()).ToList();
            html.Append($"<h3>Accuracy matrix: {E(group.Key)} (mean of {matrices.Count} runs)</h3><p>row: after step i; column: test data of step j (%)</p>")
                .Append(Heatmap(mean.Select((r, i) => ($"after step {i + 1}", r, 100.0)).ToList(), Enumerable.Range(1, steps).Select(j => $"step {j}").ToArray(),
                    v => v.ToString("0.0", CultureInfo.InvariantCulture)));
        }
        return html.ToString();
    }

    private static string Nas(RunFolder run, NasResults results)
    {
        var trials = run.Csv("trials.csv").Where(t => t.GetValueOrDefault("state") == "complete" && t.GetValueOrDefault("validation_accuracy") is { Length: > 0 }).ToList();
        if (results.Proxies is not { } proxies || trials.Count == 0) return "";
        var whole = trials.Where(t => t["proxy"] == "whole").GroupBy(t => t["arch"]).ToDictionary(g => g.Key, g => g.Average(t => Parse(t["validation_accuracy"])));
        var html = new StringBuilder();
        foreach (var proxy in proxies)
        {
            var name = proxy.Name;
            var k = proxy.K ?? 0;
            var points = trials.Where(t => t["proxy"] == name && whole.ContainsKey(t["arch"])).GroupBy(t => t["arch"])
                .Select(g => (Arch: g.Key, Proxy: 100 * g.Average(t => Parse(t["validation_accuracy"])), Whole: 100 * whole[g.Key])).OrderByDescending(p => p.Proxy).ToList();
            if (points.Count == 0) continue;
            var top = points.Select((_, i) => i < k).ToArray();
            var plot = Plots.Scatter($"{name}: proxy vs whole-set validation accuracy", "proxy validation accuracy (%)", "whole-set validation accuracy (%)",
                points.Select(p => p.Proxy).ToArray(), points.Select(p => p.Whole).ToArray(), top, $"top {k} by proxy");
            var table = new ReportTable("rank by proxy", "architecture", "proxy %", "whole %");
            foreach (var (p, i) in points.Select((p, i) => (p, i)))
                table.Add(new ReportCell($"{i + 1}", top[i]), new ReportCell(p.Arch, top[i]), new ReportCell($"{p.Proxy:0.00}", top[i]), new ReportCell($"{p.Whole:0.00}", top[i]));
            html.Append($"<h2>Proxy {E(name)} against whole-set training</h2><div class=\"chart\">").Append(Plots.Svg(plot, 560, 480)).Append(table.ToHtml()).Append("</div>");
        }
        return html.ToString();
    }

    /// <summary>An SVG chart with the values of its series in a table beside it, one row per x.</summary>
    private static string Chart(ScottPlot.Plot plot, IReadOnlyList<Series> series, string xName)
    {
        var table = new StringBuilder($"<table><tr><th>{E(xName)}</th>").Append(string.Concat(series.Select(s => $"<th>{E(s.Name)}</th>"))).Append("</tr>");
        foreach (var x in series.SelectMany(s => s.X).Distinct().Order())
        {
            table.Append($"<tr><td>{x.ToString("0.###", CultureInfo.InvariantCulture)}</td>");
            foreach (var s in series)
            {
                var i = Array.IndexOf(s.X, x);
                table.Append("<td>").Append(i < 0 || double.IsNaN(s.Y[i]) ? "" : s.Error is { } err ? $"{s.Y[i]:0.00} ± {err[i]:0.00}" : $"{s.Y[i]:0.0000}").Append("</td>");
            }
            table.Append("</tr>");
        }
        return $"<div class=\"chart\">{Plots.Svg(plot)}{table}</table></div>";
    }

    /// <summary>A matrix as a table whose cells are shaded by value / row scale (blue), values printed; empty cells for null.</summary>
    private static string Heatmap(IReadOnlyList<(string Name, double?[] Values, double Scale)> rows, string[] columns, Func<double, string> format)
    {
        var html = new StringBuilder("<table><tr><th></th>").Append(string.Concat(columns.Select(c => $"<th>{E(c)}</th>"))).Append("</tr>");
        foreach (var (name, values, scale) in rows)
        {
            html.Append($"<tr><th>{E(name)}</th>");
            foreach (var v in values)
            {
                if (v is not { } value || double.IsNaN(value)) { html.Append("<td></td>"); continue; }
                var share = scale > 0 ? Math.Clamp(value / scale, 0, 1) : 0;
                html.Append($"<td class=\"heat\" style=\"background: rgba(31, 119, 180, {share.ToString("0.00", CultureInfo.InvariantCulture)}); color: {(share > 0.55 ? "#fff" : "#222")}\">{format(value)}</td>");
            }
            html.Append("</tr>");
        }
        return html.Append("</table>").ToString();
    }

    private static double[] Column(IEnumerable<IReadOnlyDictionary<string, string>> rows, string name) => rows.Select(r => Parse(r[name])).ToArray();

    private static double Parse(string text) => text.Length == 0 ? double.NaN : double.Parse(text, CultureInfo.InvariantCulture);

    private static double Number(JsonNode? node) => NumberOrNull(node) ?? double.NaN;

    private static double? NumberOrNull(JsonNode? node) => node is JsonValue v && v.TryGetValue<double>(out var d) ? d : null;
}
