using Condensa.Reporting;
using Condensa.Data;
using Condensa.Hosting;
using Condensa.Memory;
using Condensa.Models;
using Condensa.Study;
using Condensa.Work;
using Microsoft.Extensions.Logging;

namespace Condensa.Scenarios.ArchitectureSearch;

/// <summary>
/// Scenario <c>nas</c> (thesis 3.3.2, 4.4.6, 5.3.6): train every candidate ConvNet on small proxy sets and on the whole
/// training set, rank the candidates by mean validation accuracy, and measure how well each proxy's ranking predicts
/// the whole-set ranking (Spearman and Kendall over all candidates and over the top k by proxy, precision at k, the
/// true rank of the proxy's best). Each of <c>whole</c>, every proxy and <c>early-stopping</c> is a study of one unit
/// per candidate, in a store (SQLite by default, PostgreSQL for many machines) that any number of workers share; the
/// coordinator builds the proxy sets through the memory pipeline while the workers already train on the whole set. A
/// study's name depends only on what its trials depend on, so the ground truth is computed once per store and reused
/// by every search that agrees with it.
/// </summary>
public sealed class NasScenario : IUnitScenario
{
    public string Name => "nas";
    public string Description => "Rank architectures on proxy sets and score the ranking against whole-dataset training (Spearman)";
    public Type OptionsType => typeof(NasOptions);

    public IReadOnlyList<string> StudyNames(RunOptions options, RunInfo run)
    {
        var o = (NasOptions)options;
        return
        [
            NasStudies.StudyName(o, NasStudyKind.Whole, null, run.SettingsKey),
            .. o.Proxies.Select(p => NasStudies.StudyName(o, NasStudyKind.Proxy, p, run.SettingsKey)),
            .. o.EarlyStopping ? [NasStudies.StudyName(o, NasStudyKind.EarlyStopping, null, run.SettingsKey)] : Array.Empty<string>(),
        ];
    }

    public IReadOnlyList<SearchStudy> Plan(PlanContext plan, RunOptions options, CancellationToken cancellationToken)
    {
        var o = (NasOptions)options;
        var log = plan.Context.Log;
        var names = StudyNames(o, plan.Run);
        log.LogInformation("nas: {Count} candidates, {Proxies} proxies{Early}, {Repeats} trainings each",
            o.Space.Candidates(o.Seed).Count, o.Proxies.Count, o.EarlyStopping ? " + early stopping" : "", o.Repeats);
        var studies = new List<SearchStudy>();
        using var splits = DatasetCatalog.Load(o.Dataset, Seeds.Derive(o.Seed, "data"));
        splits.Describe(log);
        var train = splits.Train.To(plan.Settings.Device);
        SearchStudy Create(string name, NasStudyKind kind, string label, int images, long storedBytes, LabeledDataset? proxySet = null, double buildSeconds = 0) =>
            plan.Create(name, NasStudies.Units(o, name), NasStudies.Attrs(kind, label, images, storedBytes,
                NasStudies.Training(o, kind, train.NumClasses).TotalSteps(proxySet?.Count ?? train.Count), proxySet, buildSeconds), usesRunFolder: false);
        try
        {
            long wholeBytes = MemorySet.BytesOf(train.Count, train.Shape, bytesPerPixel: 1);
            studies.Add(Create(names[0], NasStudyKind.Whole, "whole", train.Count, wholeBytes));
            using var pipeline = plan.Pipeline();
            for (int p = 0; p < o.Proxies.Count; p++)
            {
                var proxy = o.Proxies[p];
                using var memory = pipeline.Obtain(new MemorySpec
                {
                    Builder = proxy.Builder!, SourceKey = $"{Config.ConfigWriter.ToYaml(o.Dataset)}|data seed {Seeds.Derive(o.Seed, "data")}|train",
                    Budget = Budget.ImagesPerClass(proxy.Ipc), Architecture = ArchitectureSpec.Parse(o.BuildArch), Seed = Seeds.Derive(o.Seed, "proxy/" + proxy.Name),
                    Slot = $"proxy-{RunDirectory.Slug(proxy.Name)}",
                }, train, cancellationToken);
                using var proxySet = memory.Materialize();
                studies.Add(Create(names[1 + p], NasStudyKind.Proxy, proxy.Name, proxySet.Count, memory.StoredBytes, proxySet, memory.BuildSeconds));
            }
            if (o.EarlyStopping)
                studies.Add(Create(names[^1], NasStudyKind.EarlyStopping, "early-stopping", train.Count, wholeBytes));
        }
        finally
        {
            if (!ReferenceEquals(train, splits.Train)) train.Dispose();
        }
        return studies;
    }

    public IUnitExecutor Open(UnitEnvironment environment) => NasStudies.Context(environment);

    public void Report(RunContext context, RunOptions options, IReadOnlyList<SearchStudy> studies, RunOutcome outcome)
    {
        if (studies.Count == 0) return;
        NasReport.Write(context, (NasOptions)options, studies.Select(s => new NasReport.StudyResult(
            s.UserAttrs["label"].GetString()!, Enum.Parse<NasStudyKind>(s.UserAttrs["kind"].GetString()!), s,
            s.UserAttrs["images"].GetInt32(), s.UserAttrs.TryGetValue("steps", out var steps) ? steps.GetInt64() : null, s.UserAttrs["build_seconds"].GetDouble(),
            s.UserAttrs.TryGetValue("stored_bytes", out var bytes) ? bytes.GetInt64() : null)).ToList(), outcome);
    }
}
