using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Condensa.Hosting;
using Condensa.Reporting;
using Condensa.Study;
using Spectre.Console;

namespace Condensa.Scenarios.ArchitectureSearch;

/// <summary>
/// The architecture-search report: per proxy, how its ranking of the candidates agrees with whole-set training.
/// Top-k correlations are computed over <b>the k candidates with the highest proxy accuracy</b> (the thesis' protocol),
/// all values signed.
/// </summary>
internal static class NasReport
{
    /// <param name="Steps">Minibatch steps of one training of a candidate (null in a study stored before they were recorded).</param>
    /// <param name="StoredBytes">Bytes of the set's stored images and labels (null in a study stored before they were recorded).</param>
    /// <param name="Studies">The study, or a proxy's rungs under successive halving, first to last.</param>
    public sealed record StudyResult(string Label, NasStudyKind Kind, IReadOnlyList<SearchStudy> Studies, int Images, long? Steps, double BuildSeconds, long? StoredBytes)
    {
        /// <summary>The study, or the last rung.</summary>
        public SearchStudy Study => Studies[^1];
    }

    /// <summary>A candidate's result in one study: its value (validation accuracy or score), whole-set test accuracy, and the seconds it took.</summary>
    internal sealed record Candidate(double Value, double? Test, double Seconds);

    public static void Write(RunContext ctx, NasOptions o, IReadOnlyList<StudyResult> studies, Work.RunOutcome outcome)
    {
        var results = studies.ToDictionary(s => s.Label, s => Completed(s.Studies));
        var whole = results["whole"];
        int topFraction = o.TopFraction > 0 ? Math.Max(2, (int)Math.Round(o.TopFraction * whole.Count)) : 0;
        var proxies = new JsonArray();
        string fractionHeader = topFraction >= 2 ? $"Spearman top {100 * o.TopFraction:0.#}%" : "Spearman top fraction (off)";
        var table = new ReportTable("proxy", "images", "stored", "steps", $"Spearman top {o.TopK}", $"Kendall top {o.TopK}", fractionHeader, "Spearman all", $"precision@{o.TopK}", "best arch", "its test acc. (whole)", "true rank", "minutes");
        var md = new StringBuilder();
        md.AppendLine($"Architecture search on {o.Dataset.Name}: {whole.Count} candidates ranked by mean validation accuracy over {o.Repeats} trainings (steps: minibatch steps of one training); top k = the k candidates with the highest proxy accuracy (k = {o.TopK}; top {100 * o.TopFraction:0.#}% = {topFraction} candidates).");
        md.AppendLine();
        foreach (var s in studies)
        {
            var mine = results[s.Label];
            var archs = mine.Keys.Where(whole.ContainsKey).ToArray();
            double seconds = s.BuildSeconds + mine.Values.Sum(c => c.Seconds);
            var row = new JsonObject
            {
                ["name"] = s.Label,
                ["kind"] = Config.Naming.EnumValue(s.Kind),
                ["study"] = s.Study.Name,
                ["candidates"] = archs.Length,
                ["failed_candidates"] = s.Study.GetTrials(TrialState.Failed).Count,
                ["images"] = s.Images,
                ["stored_bytes"] = s.StoredBytes,
                ["training_steps"] = s.Steps,
                ["seconds"] = Math.Round(seconds, 1),
            };
            if (archs.Length >= 2)
            {
                var proxy = archs.Select(a => mine[a].Value).ToArray();
                var truth = archs.Select(a => whole[a].Value).ToArray();
                int k = Math.Min(o.TopK, archs.Length);
                int best = Array.IndexOf(proxy, proxy.Max());
                var bestArch = archs[best];
                row["k"] = k;
                row["spearman_topk"] = Round(RankingMetrics.TopKSpearman(proxy, truth, k));
                row["kendall_topk"] = Round(RankingMetrics.TopKKendallTauB(proxy, truth, k));
                row["topk_overlap"] = Round(RankingMetrics.PrecisionAtK(proxy, truth, k));
                if (topFraction >= 2)
                {
                    int kf = Math.Min(topFraction, archs.Length);
                    row["k_top_fraction"] = kf;
                    row["spearman_top_fraction"] = Round(RankingMetrics.TopKSpearman(proxy, truth, kf));
                    row["kendall_top_fraction"] = Round(RankingMetrics.TopKKendallTauB(proxy, truth, kf));
                }
                row["spearman_all"] = Round(RankingMetrics.Spearman(proxy, truth));
                row["kendall_all"] = Round(RankingMetrics.KendallTauB(proxy, truth));
                row["best_arch"] = bestArch;
                row["best_arch_whole_accuracy"] = whole[bestArch].Test is { } t ? Round(t) : null;
                row["best_arch_true_rank"] = RankingMetrics.BestTrueRank(proxy, truth);
                if (s.Kind != NasStudyKind.Whole)
                {
                    table.Add(s.Label, s.Images.ToString(CultureInfo.InvariantCulture), Stored(s), s.Steps?.ToString(CultureInfo.InvariantCulture) ?? "", F(row["spearman_topk"]), F(row["kendall_topk"]),
                        F(row["spearman_top_fraction"]), F(row["spearman_all"]), F(row["topk_overlap"]), bestArch, whole[bestArch].Test is { } tt ? Format.Percent(tt) : "",
                        row["best_arch_true_rank"]!.ToString(), $"{seconds / 60:0.0}");
                    Plots.SavePng(Plots.Scatter($"{s.Label} proxy vs whole-set validation accuracy",
                        $"{s.Label} proxy validation accuracy (%)", "whole-set validation accuracy (%)", proxy.Select(p => 100 * p).ToArray(), truth.Select(p => 100 * p).ToArray(),
                        TopMask(proxy, k)), ctx.Directory.PathOf($"scatter-{RunDirectory.Slug(s.Label)}.png"), 700, 600);
                }
            }
            if (s.Kind == NasStudyKind.Whole) row.Remove("best_arch_true_rank");
            proxies.Add(row);
        }
        var json = new JsonObject
        {
            ["scenario"] = "nas",
            ["dataset"] = o.Dataset.Name,
            ["candidates"] = whole.Count,
            ["repeats"] = o.Repeats,
            ["topk_definition"] = "correlations over the k candidates with the highest proxy validation accuracy, against their whole-set validation accuracy; signed values",
            ["proxies"] = new JsonArray(proxies.Where(p => p!["kind"]!.GetValue<string>() != "whole").Select(p => p!.DeepClone()).ToArray()),
            ["whole"] = proxies.First(p => p!["kind"]!.GetValue<string>() == "whole")!.DeepClone(),
        };
        outcome.WriteTo(json);
        ctx.Directory.WriteJson("results.json", json);
        ctx.Directory.WriteText("results.md", md + table.ToMarkdown() + outcome.Markdown());
        ctx.Directory.WriteCsv("trials.csv", ["study", "proxy", "number", "arch", "state", "validation_accuracy", "test_accuracy", "seconds", "attempts", "worker"],
            studies.SelectMany(s => s.Studies).Select(study => (Study: study, Label: study.UserAttrs["label"].GetString()!)).SelectMany(s => s.Study.GetTrials().Select(t => (IReadOnlyList<object?>)[
                s.Study.Name, s.Label, t.Number, t.Params.TryGetValue("arch", out var a) ? a.GetString() : "", t.State.ToString().ToLowerInvariant(), t.Value,
                t.UserAttrs.TryGetValue("test_accuracy", out var ta) ? ta.GetDouble() : null,
                t.UserAttrs.TryGetValue("seconds", out var sec) ? sec.GetDouble() : null, t.Attempts, t.Worker])));
        if (table.Rows.Count > 0) AnsiConsole.Write(table.ToConsole());
    }

    /// <summary>
    /// The candidates of a study, or of a proxy's rungs: a candidate's value is its value at the last rung it reached plus
    /// that rung's index (so a survivor outranks every candidate dropped before it), its seconds those of all its rungs.
    /// </summary>
    internal static Dictionary<string, Candidate> Completed(IReadOnlyList<SearchStudy> rungs)
    {
        var candidates = new Dictionary<string, Candidate>();
        for (int r = 0; r < rungs.Count; r++)
            foreach (var t in rungs[r].GetTrials(TrialState.Complete).Where(t => t.Value is not null && t.Params.ContainsKey("arch")))
            {
                var arch = t.Params["arch"].GetString()!;
                double seconds = (t.UserAttrs.TryGetValue("seconds", out var s) ? s.GetDouble() : 0) + (candidates.TryGetValue(arch, out var before) ? before.Seconds : 0);
                candidates[arch] = new Candidate(t.Value!.Value + (rungs.Count > 1 ? r : 0), t.UserAttrs.TryGetValue("test_accuracy", out var test) ? test.GetDouble() : null, seconds);
            }
        return candidates;
    }

    private static bool[] TopMask(double[] proxy, int k)
    {
        var mask = new bool[proxy.Length];
        foreach (var i in RankingMetrics.TopK(proxy, k)) mask[i] = true;
        return mask;
    }

    private static string Stored(StudyResult s) => s.StoredBytes is long b ? Format.Kilobytes(b) : "";

    private static double Round(double v) => double.IsNaN(v) ? v : Math.Round(v, 4);
    private static string F(JsonNode? v) => v is null ? "" : v.GetValue<double>().ToString("0.00", System.Globalization.CultureInfo.InvariantCulture);
}
