using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Condensa.Memory;
using Condensa.Reporting;
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
    public static string Of(RunFolder run) => Guarded(() => run.Scenario switch
    {
        "train" => Train(run),
        "compare" => Compare(run),
        "continual" => Continual(run),
        "nas" => Nas(run),
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

    private static string Train(RunFolder run)
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
        if (run.Results?["confusion_matrix"] is JsonArray confusion)
        {
            var names = run.Results["per_class_accuracy"] is JsonObject perClass ? perClass.Select(p => p.Key).ToArray() : [];
            var counts = confusion.Select(r => r!.AsArray().Select(v => v!.GetValue<double>()).ToArray()).ToArray();
            string Name(int i) => i < names.Length ? names[i] : i.ToString(CultureInfo.InvariantCulture);
            html.Append("<h2>Confusion matrix</h2><p>rows: true class, columns: predicted; shade: share of the row</p>")
                .Append(Heatmap(counts.Select((r, i) => (Name(i), r.Select(v => (double?)v).ToArray(), r.Sum())).ToList(),
                    Enumerable.Range(0, counts.Length).Select(Name).ToArray(), v => v.ToString("0", CultureInfo.InvariantCulture)));
        }
        return html.ToString();
    }

    private static string Compare(RunFolder run)
    {
        if (run.Results?["rows"] is not JsonArray { Count: > 0 } rows) return "";
        var html = new StringBuilder();
        // the charts show the first protocol's cells that have a number (a failed cell has none)
        string Protocol(JsonNode? r) => r!["protocol"]?.ToString() ?? "";
        var charted = rows.Where(r => r!["accuracy_mean"] is not null && Protocol(r) == Protocol(rows[0])).ToList();
        string Budget(JsonNode? r) => r!["ipc"] is { } ipc ? $"ipc {ipc}" : $"fraction {r["fraction"]}";
        foreach (var arch in rows.Select(r => r!["arch"]?.ToString() ?? "").Distinct())
        {
            var ofArch = charted.Where(r => (r!["arch"]?.ToString() ?? "") == arch).ToList();
            var series = AccuracySeries(ofArch.Where(r => r!["ipc"] is not null), r => r!["method"]!.ToString(), "ipc");
            if (series.Count > 0)
                html.Append($"<h2>Accuracy vs images per class ({E(arch)})</h2>")
                    .Append(Chart(Plots.Line("test accuracy vs images per class", "images per class", "test accuracy (%)", series), series, "ipc"));
            var sweeps = AccuracySeries(ofArch.Where(r => r!["sweep"] is not null && r["iterations"] is not null), r => $"{r!["sweep"]}, {Budget(r)}", "iterations");
            if (sweeps.Count > 0)
                html.Append($"<h2>Accuracy vs synthesis iterations ({E(arch)})</h2>")
                    .Append(Chart(Plots.Line("test accuracy vs synthesis iterations", "iterations", "test accuracy (%)", sweeps), sweeps, "iterations"));
        }
        var builds = new ReportTable("builder", "budget", "images", "build seconds", "accuracy");
        foreach (var r in rows)
            builds.Add(r!["method"]?.ToString() ?? "", Budget(r), r["memory_images"]?.ToString() ?? "", r["build_seconds"]?.ToString() ?? "",
                r["accuracy_mean"] is { } mean ? $"{100 * mean.GetValue<double>():0.00} ± {100 * r["accuracy_std"]!.GetValue<double>():0.00}" : r["failure"]?.ToString() ?? "");
        return html.Append("<h2>Memory builds</h2>").Append(builds.ToHtml()).ToString();
    }

    /// <summary>Compare rows as accuracy series: one per <paramref name="name"/>, x from the integer field <paramref name="x"/>, mean ± std in percent.</summary>
    private static List<Series> AccuracySeries(IEnumerable<JsonNode?> rows, Func<JsonNode?, string> name, string x) =>
        rows.GroupBy(name).Select(g =>
        {
            var pts = g.OrderBy(r => r![x]!.GetValue<int>()).ToList();
            return new Series(g.Key, pts.Select(p => (double)p![x]!.GetValue<int>()).ToArray(),
                pts.Select(p => 100 * p!["accuracy_mean"]!.GetValue<double>()).ToArray(), pts.Select(p => 100 * p!["accuracy_std"]!.GetValue<double>()).ToArray());
        }).ToList();

    private static string Continual(RunFolder run)
    {
        if (run.Results?["summary"] is not JsonArray { Count: > 0 } summary) return "";
        var byDomain = run.Results["incremental"]?.ToString() == "domain";
        // a run of several memory sizes names each series' size
        static string Name(JsonNode? r) => $"{r!["strategy"]} + {r["builder"]}{(r["memory_size"] is { } size ? $", memory {size}" : "")}";
        var series = summary.Select(s => new Series(Name(s),
            s!["classes_seen"]!.AsArray().Select((c, t) => byDomain ? t + 1.0 : c!.GetValue<double>()).ToArray(),
            s["step_accuracy_mean"]!.AsArray().Select(a => 100 * Number(a)).ToArray(),
            s["step_accuracy_std"]!.AsArray().Select(a => 100 * Number(a)).ToArray())).ToList();
        var html = new StringBuilder("<h2>Accuracy on everything seen, after each step</h2>")
            .Append(Chart(Plots.Line("accuracy after each step (mean ± std over runs)", byDomain ? "domains seen" : "classes seen", "test accuracy (%)", series), series,
                byDomain ? "domains" : "classes"));
        if (run.Results["runs"] is JsonArray runs)
            foreach (var group in runs.Where(r => r!["accuracy_matrix"] is JsonArray).GroupBy(Name))
            {
                var matrices = group.Select(r => r!["accuracy_matrix"]!.AsArray().Select(row => row!.AsArray().Select(NumberOrNull).ToArray()).ToArray()).ToList();
                var steps = matrices.Max(m => m.Length);
                var mean = Enumerable.Range(0, steps).Select(i => (double?[])Enumerable.Range(0, steps).Select(j =>
                {
                    var values = matrices.Where(m => i < m.Length && j < m[i].Length && m[i][j] is not null).Select(m => m[i][j]!.Value).ToList();
                    return values.Count > 0 ? 100 * values.Average() : (double?)null;
                }).ToArray()).ToList();
                html.Append($"<h3>Accuracy matrix: {E(group.Key)} (mean of {matrices.Count} runs)</h3><p>row: after step i; column: test data of step j (%)</p>")
                    .Append(Heatmap(mean.Select((r, i) => ($"after step {i + 1}", r, 100.0)).ToList(), Enumerable.Range(1, steps).Select(j => $"step {j}").ToArray(),
                        v => v.ToString("0.0", CultureInfo.InvariantCulture)));
            }
        return html.ToString();
    }

    private static string Nas(RunFolder run)
    {
        var trials = run.Csv("trials.csv").Where(t => t.GetValueOrDefault("state") == "complete" && t.GetValueOrDefault("validation_accuracy") is { Length: > 0 }).ToList();
        if (run.Results?["proxies"] is not JsonArray proxies || trials.Count == 0) return "";
        var whole = trials.Where(t => t["proxy"] == "whole").GroupBy(t => t["arch"]).ToDictionary(g => g.Key, g => g.Average(t => Parse(t["validation_accuracy"])));
        var html = new StringBuilder();
        foreach (var proxy in proxies)
        {
            var name = proxy!["name"]!.ToString();
            var k = proxy["k"]?.GetValue<int>() ?? 0;
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
