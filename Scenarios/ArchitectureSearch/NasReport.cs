using System.Globalization;
using System.Text;
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
        var rows = new List<NasProxyRow>();
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
            var row = new NasProxyRow
            {
                Name = s.Label, Kind = Config.Naming.EnumValue(s.Kind), Study = s.Study.Name, Candidates = archs.Length,
                FailedCandidates = s.Study.GetTrials(TrialState.Failed).Count, Images = s.Images, StoredBytes = s.StoredBytes, TrainingSteps = s.Steps,
                Seconds = Math.Round(seconds, 1),
            };
            if (archs.Length >= 2)
            {
                var proxy = archs.Select(a => mine[a].Value).ToArray();
                var truth = archs.Select(a => whole[a].Value).ToArray();
                int k = Math.Min(o.TopK, archs.Length);
                int best = Array.IndexOf(proxy, proxy.Max());
                var bestArch = archs[best];
                int kf = Math.Min(topFraction, archs.Length);
                row = row with
                {
                    K = k,
                    SpearmanTopk = Round(RankingMetrics.TopKSpearman(proxy, truth, k)),
                    KendallTopk = Round(RankingMetrics.TopKKendallTauB(proxy, truth, k)),
                    TopkOverlap = Round(RankingMetrics.PrecisionAtK(proxy, truth, k)),
                    KTopFraction = topFraction >= 2 ? kf : null,
                    SpearmanTopFraction = topFraction >= 2 ? Round(RankingMetrics.TopKSpearman(proxy, truth, kf)) : null,
                    KendallTopFraction = topFraction >= 2 ? Round(RankingMetrics.TopKKendallTauB(proxy, truth, kf)) : null,
                    SpearmanAll = Round(RankingMetrics.Spearman(proxy, truth)),
                    KendallAll = Round(RankingMetrics.KendallTauB(proxy, truth)),
                    BestArch = bestArch,
                    BestArchWholeAccuracy = whole[bestArch].Test is { } t ? Round(t) : null,
                    BestArchTrueRank = s.Kind == NasStudyKind.Whole ? null : RankingMetrics.BestTrueRank(proxy, truth),
                };
                if (s.Kind != NasStudyKind.Whole)
                {
                    table.Add(s.Label, s.Images.ToString(CultureInfo.InvariantCulture), Stored(s), s.Steps?.ToString(CultureInfo.InvariantCulture) ?? "", F(row.SpearmanTopk), F(row.KendallTopk),
                        F(row.SpearmanTopFraction), F(row.SpearmanAll), F(row.TopkOverlap), bestArch, whole[bestArch].Test is { } tt ? Format.Percent(tt) : "",
                        $"{row.BestArchTrueRank}", $"{seconds / 60:0.0}");
                    Plots.SavePng(Plots.Scatter($"{s.Label} proxy vs whole-set validation accuracy",
                        $"{s.Label} proxy validation accuracy (%)", "whole-set validation accuracy (%)", proxy.Select(p => 100 * p).ToArray(), truth.Select(p => 100 * p).ToArray(),
                        TopMask(proxy, k)), ctx.Directory.PathOf($"scatter-{RunDirectory.Slug(s.Label)}.png"), 700, 600);
                }
            }
            rows.Add(row);
        }
        new NasResults
        {
            Dataset = o.Dataset.Name, Candidates = whole.Count, Repeats = o.Repeats,
            TopkDefinition = "correlations over the k candidates with the highest proxy validation accuracy, against their whole-set validation accuracy; signed values",
            Proxies = rows.Where(r => r.Kind != "whole").ToList(), Whole = rows.First(r => r.Kind == "whole"),
        }.With(outcome).Write(ctx.Directory);
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
    private static string F(double? v) => v is double d ? d.ToString("0.00", CultureInfo.InvariantCulture) : "";
}
