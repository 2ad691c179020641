using System.Text;
using Condensa.Hosting;
using Condensa.Reporting;
using Condensa.Study;
using Condensa.Work;
using Spectre.Console;

namespace Condensa.Scenarios.ArchitectureSearch;

/// <summary>
/// The report of a search (mode search): the chosen architecture (the best by whole-set validation accuracy of the proxy's
/// top candidates) and its whole-set test accuracy, beside the best of the random baseline and the default ConvNet
/// trained the same way; the proxy's ranking; and each phase's candidates, epochs, wall time and compute time.
/// </summary>
internal static class NasSearchReport
{
    public static void Write(RunContext ctx, NasOptions o, IReadOnlyList<NasReport.StudyResult> studies, RunOutcome outcome)
    {
        var proxy = studies.First(s => s.Label == o.Proxies[0].Name);
        var whole = studies.FirstOrDefault(s => s.Kind == NasStudyKind.SearchWhole);
        var ranking = NasReport.Completed(proxy.Studies).OrderByDescending(c => c.Value.Value).ToList();
        var json = new NasResults { Mode = "search", Dataset = o.Dataset.Name, Candidates = o.Space.Candidates(o.Seed).Count, Proxy = proxy.Label };
        var md = new StringBuilder();
        var phases = new List<NasPhase>();
        md.AppendLine($"Architecture search on {o.Dataset.Name}: {o.Space.Candidates(o.Seed).Count} candidates ranked on the proxy {proxy.Label} ({proxy.Images} images); " +
                      $"its best {o.Search.Top} trained on the whole set ({o.WholeTrain.Epochs} epochs, {o.Repeats} trainings each) beside {o.Search.RandomBaseline} random candidates and the default ConvNet.");
        md.AppendLine();
        var phaseTable = new ReportTable("phase", "candidates", "epochs", "wall minutes", "compute minutes");
        void Phase(string name, SearchStudy study, int? epochs, double extraSeconds = 0)
        {
            var units = study.GetTrials();
            var started = units.Where(u => u.StartedAt is not null).Select(u => u.StartedAt!.Value).DefaultIfEmpty().Min();
            var finished = units.Where(u => u.FinishedAt is not null).Select(u => u.FinishedAt!.Value).DefaultIfEmpty().Max();
            double wall = finished > started ? (finished - started).TotalSeconds : 0, compute = units.Sum(u => u.UserAttrs.TryGetValue("seconds", out var s) ? s.GetDouble() : 0);
            phases.Add(new NasPhase(name, units.Count, epochs, Math.Round(wall + extraSeconds, 1), Math.Round(compute, 1)));
            phaseTable.Add(name, $"{units.Count}", $"{epochs}", $"{(wall + extraSeconds) / 60:0.0}", $"{compute / 60:0.0}");
        }
        if (proxy.BuildSeconds > 0)
        {
            phases.Add(new NasPhase("proxy set", null, null, Math.Round(proxy.BuildSeconds, 1), Math.Round(proxy.BuildSeconds, 1)));
            phaseTable.Add($"proxy set ({proxy.Label})", "", "", $"{proxy.BuildSeconds / 60:0.0}", $"{proxy.BuildSeconds / 60:0.0}");
        }
        foreach (var rung in proxy.Studies)
            Phase(proxy.Studies.Count > 1 ? $"proxy rung {NasStudies.RungOf(rung)}" : "proxy", rung,
                rung.UserAttrs.TryGetValue("epochs", out var e) ? e.GetInt32() : proxy.Kind == NasStudyKind.TrainingFree ? 0 : o.ProxyTrain.Epochs);
        if (whole is not null) Phase("whole set", whole.Study, o.WholeTrain.Epochs);
        json = json with { Phases = phases, Ranking = ranking.Take(20).Select(c => new NasRanked(c.Key, Math.Round(c.Value.Value, 4))).ToList() };
        md.Append(phaseTable.ToMarkdown());

        var table = new ReportTable("", "architecture", "whole-set validation", "whole-set test");
        if (whole is not null)
        {
            var trained = NasReport.Completed(whole.Studies);
            var (top, random, baseline) = NasScenario.SearchCandidates(o, NasScenario.Ranked(o, proxy.Study));
            (string Arch, NasReport.Candidate Result)? Best(IEnumerable<string> archs) =>
                archs.Where(trained.ContainsKey).Select(a => (Arch: a, Result: trained[a])).OrderByDescending(x => x.Result.Value).ThenBy(x => x.Arch, StringComparer.Ordinal)
                    .Select(x => ((string, NasReport.Candidate)?)x).FirstOrDefault();
            NasPick? Entry((string Arch, NasReport.Candidate Result)? pick) =>
                pick is { } p ? new NasPick(p.Arch, Math.Round(p.Result.Value, 6), p.Result.Test is { } t ? Math.Round(t, 6) : null) : null;
            var chosen = Best(top);
            var bestRandom = Best(random);
            var fallback = baseline is null ? null : Best([baseline]);
            json = json with { Chosen = Entry(chosen), RandomBaselineBest = Entry(bestRandom), RandomBaseline = random.ToList(), DefaultConvnet = Entry(fallback) };
            foreach (var (name, pick) in new[] { ($"chosen (best of the proxy's top {top.Count})", chosen), ($"best of {random.Count} random", bestRandom), ("default ConvNet", fallback) })
            {
                if (pick is not { } p) continue;
                table.Add(name, p.Arch, Format.Percent(p.Result.Value), p.Result.Test is { } t ? Format.Percent(t) : "");
            }
            md.AppendLine().Append(table.ToMarkdown());
        }
        md.AppendLine();
        md.AppendLine("The proxy's ranking (best 10): " + string.Join(", ", ranking.Take(10).Select(c => c.Key)));
        json.With(outcome).Write(ctx.Directory);
        ctx.Directory.WriteText("results.md", md + outcome.Markdown());
        ctx.Directory.WriteCsv("trials.csv", ["study", "proxy", "number", "arch", "state", "value", "test_accuracy", "seconds", "attempts", "worker"],
            studies.SelectMany(s => s.Studies).SelectMany(study => study.GetTrials().Select(t => (IReadOnlyList<object?>)[
                study.Name, study.UserAttrs["label"].GetString(), t.Number, t.Params.TryGetValue("arch", out var a) ? a.GetString() : "", t.State.ToString().ToLowerInvariant(), t.Value,
                t.UserAttrs.TryGetValue("test_accuracy", out var ta) ? ta.GetDouble() : null,
                t.UserAttrs.TryGetValue("seconds", out var sec) ? sec.GetDouble() : null, t.Attempts, t.Worker])));
        if (table.Rows.Count > 0) AnsiConsole.Write(table.ToConsole());
    }
}
