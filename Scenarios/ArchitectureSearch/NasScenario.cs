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
internal sealed class NasScenario : IUnitScenario
{
    public string Name => "nas";
    public string Description => "Rank architectures on proxy sets and score the ranking against whole-dataset training (Spearman)";
    public Type OptionsType => typeof(NasOptions);

    public IReadOnlyList<string> StudyNames(RunOptions options, RunInfo run)
    {
        var o = (NasOptions)options;
        return
        [
            .. o.Mode == NasMode.Evaluate ? [NasStudies.StudyName(o, NasStudyKind.Whole, null, run.SettingsKey)] : Array.Empty<string>(),
            .. o.Proxies.SelectMany(p => Enumerable.Range(0, p.Pruning.Rungs).Select(r => NasStudies.StudyName(o, KindOf(p), p, run.SettingsKey, r))),
            .. o.EarlyStopping ? [NasStudies.StudyName(o, NasStudyKind.EarlyStopping, null, run.SettingsKey)] : Array.Empty<string>(),
            .. o.Mode == NasMode.Search ? [NasStudies.StudyName(o, NasStudyKind.SearchWhole, o.Proxies[0], run.SettingsKey)] : Array.Empty<string>(),
        ];
    }

    private static NasStudyKind KindOf(ProxyOptions proxy) => proxy.Score == ProxyScore.Naswot ? NasStudyKind.TrainingFree : NasStudyKind.Proxy;

    /// <summary>
    /// The studies known from the config: the whole set (mode evaluate), each proxy (its first rung under successive
    /// halving; its set built through the memory pipeline first), early stopping. The later rungs and a search's
    /// whole-set phase follow from results (<see cref="Extend"/>).
    /// </summary>
    public IReadOnlyList<SearchStudy> Plan(PlanContext plan, RunOptions options, CancellationToken cancellationToken)
    {
        var o = (NasOptions)options;
        var log = plan.Context.Log;
        int candidates = o.Space.Candidates(o.Seed).Count;
        log.LogInformation("nas {Mode}: {Count} candidates, {Proxies} proxies{Early}, {Repeats} trainings each",
            Config.Naming.EnumValue(o.Mode), candidates, o.Proxies.Count, o.EarlyStopping ? " + early stopping" : "", o.Repeats);
        var studies = new List<SearchStudy>();
        using var splits = DatasetCatalog.Load(o.Dataset, Seeds.Derive(o.Seed, "data"));
        splits.Describe(log);
        var train = splits.Train.To(plan.Settings.Device);
        try
        {
            long wholeBytes = MemorySet.BytesOf(train.Count, train.Shape, bytesPerPixel: 1);
            if (o.Mode == NasMode.Evaluate)
                studies.Add(Create(plan, o, NasStudyKind.Whole, null, "whole", null, train, train.Count, wholeBytes));
            using var pipeline = plan.Pipeline();
            foreach (var proxy in o.Proxies)
            {
                if (proxy.Score == ProxyScore.Naswot)
                {
                    studies.Add(Create(plan, o, NasStudyKind.TrainingFree, proxy, proxy.Name, null, train, NasStudies.TrainingFreeBatch, 0));
                    continue;
                }
                using var memory = pipeline.Obtain(new MemorySpec
                {
                    Builder = proxy.Builder!, SourceKey = $"{Config.ConfigWriter.ToYaml(o.Dataset)}|data seed {Seeds.Derive(o.Seed, "data")}|train",
                    // keyed by the builder, not the proxy's label: two proxies of one builder and budget (one with successive halving) share their set
                    Budget = Budget.ImagesPerClass(proxy.Ipc), Architecture = ArchitectureSpec.Parse(o.BuildArch), Seed = Seeds.Derive(o.Seed, "proxy/" + proxy.Builder!.DisplayName),
                    Slot = $"proxy-{RunDirectory.Slug(proxy.Builder.DisplayName)}-ipc{proxy.Ipc}",
                }, train, cancellationToken);
                using var proxySet = memory.Materialize();
                studies.Add(Create(plan, o, NasStudyKind.Proxy, proxy, proxy.Name, null, train, proxySet.Count, memory.StoredBytes, proxySet, memory.BuildSeconds,
                    proxy.Pruning.Rungs > 1 ? 0 : null));
            }
            if (o.EarlyStopping)
                studies.Add(Create(plan, o, NasStudyKind.EarlyStopping, null, "early-stopping", null, train, train.Count, wholeBytes));
        }
        finally
        {
            if (!ReferenceEquals(train, splits.Train)) train.Dispose();
        }
        return studies;
    }

    /// <summary>
    /// A study of <paramref name="candidates"/> (default: the whole space) with the attributes its workers need; a rung of
    /// successive halving trains with its rung's epochs.
    /// </summary>
    private static SearchStudy Create(PlanContext plan, NasOptions o, NasStudyKind kind, ProxyOptions? proxy, string label, IReadOnlyCollection<string>? candidates,
        LabeledDataset train, int images, long storedBytes, LabeledDataset? proxySet = null, double buildSeconds = 0, int? rung = null)
    {
        var name = NasStudies.StudyName(o, kind, proxy, plan.Run.SettingsKey, rung ?? 0);
        int? epochs = rung is int r ? proxy!.Pruning.Epochs(o.ProxyTrain.Epochs, r) : null;
        var attrs = NasStudies.Attrs(kind, label, images, storedBytes, NasStudies.Training(o, kind, train.NumClasses, epochs).TotalSteps(proxySet?.Count ?? images),
            proxySet, buildSeconds, rung is int at ? (at, epochs!.Value) : null);
        return plan.Create(name, NasStudies.Units(o, name, candidates), attrs, usesRunFolder: false);
    }

    /// <summary>
    /// What follows from finished studies: under successive halving, the next rung of a proxy once its last rung is
    /// finished, with the survivors (<see cref="SuccessiveHalving.Survivors"/>); in mode search, once the first proxy's
    /// ranking is final, the whole-set study of its best <c>search.top</c> candidates, <c>search.random_baseline</c>
    /// candidates drawn at random from the space and the default ConvNet when the space has it.
    /// </summary>
    public IReadOnlyList<SearchStudy> Extend(PlanContext plan, RunOptions options, IReadOnlyList<SearchStudy> studies, CancellationToken cancellationToken)
    {
        var o = (NasOptions)options;
        var created = new List<SearchStudy>();
        foreach (var proxy in o.Proxies.Where(p => p.Pruning.Rungs > 1))
        {
            var last = Rungs(studies, proxy.Name).Last();
            int rung = NasStudies.RungOf(last);
            if (rung == proxy.Pruning.Rungs - 1 || !Finished(last)) continue;
            var survivors = proxy.Pruning.Survivors(Ranked(o, last));
            plan.Context.Log.LogInformation("nas: {Proxy} rung {Rung} done; {Survivors} of {Candidates} candidates go on to rung {Next} ({Epochs} epochs)",
                proxy.Name, rung, survivors.Count, last.GetTrials().Count, rung + 1, proxy.Pruning.Epochs(o.ProxyTrain.Epochs, rung + 1));
            var attrs = new Dictionary<string, System.Text.Json.JsonElement>(last.UserAttrs);
            int epochs = proxy.Pruning.Epochs(o.ProxyTrain.Epochs, rung + 1);
            attrs["rung"] = System.Text.Json.JsonSerializer.SerializeToElement(rung + 1);
            attrs["epochs"] = System.Text.Json.JsonSerializer.SerializeToElement(epochs);
            attrs["steps"] = System.Text.Json.JsonSerializer.SerializeToElement(NasStudies.Training(o, NasStudyKind.Proxy, 0, epochs).TotalSteps(attrs["images"].GetInt32()));
            var name = NasStudies.StudyName(o, NasStudyKind.Proxy, proxy, plan.Run.SettingsKey, rung + 1);
            foreach (var key in plan.Run.Attrs().Keys) attrs.Remove(key);
            created.Add(plan.Create(name, NasStudies.Units(o, name, survivors.ToHashSet()), attrs, usesRunFolder: false));
        }
        if (o.Mode == NasMode.Search && !studies.Any(s => KindOf(s) == NasStudyKind.SearchWhole) && created.Count == 0)
        {
            var first = o.Proxies[0];
            var final = Rungs(studies, first.Name).Last();
            if ((first.Pruning.Rungs == 1 || NasStudies.RungOf(final) == first.Pruning.Rungs - 1) && Finished(final))
            {
                var (top, random, baseline) = SearchCandidates(o, Ranked(o, final));
                plan.Context.Log.LogInformation("nas search: the proxy's best {Top} candidates, {Random} random ones{Default} train on the whole set",
                    top.Count, random.Count, baseline is null ? "" : " and the default ConvNet");
                using var splits = DatasetCatalog.Load(o.Dataset, Seeds.Derive(o.Seed, "data"));
                var candidates = top.Concat(random).Concat(baseline is null ? [] : [baseline]).ToHashSet();
                created.Add(Create(plan, o, NasStudyKind.SearchWhole, first, "search-whole", candidates, splits.Train, splits.Train.Count,
                    MemorySet.BytesOf(splits.Train.Count, splits.Train.Shape, bytesPerPixel: 1)));
            }
        }
        return created;
    }

    /// <summary>The proxy's best candidates by its final ranking, the seeded random baseline, and the default ConvNet when the space has it.</summary>
    internal static (IReadOnlyList<string> Top, IReadOnlyList<string> Random, string? Default) SearchCandidates(NasOptions o, IReadOnlyList<(string Candidate, int Position, double Value)> ranked)
    {
        var space = o.Space.Candidates(o.Seed).Select(c => c.ToString()).ToList();
        var top = ranked.OrderByDescending(r => r.Value).ThenBy(r => r.Position).Take(o.Search.Top).Select(r => r.Candidate).ToList();
        var random = new Random(unchecked((int)Seeds.Derive(o.Seed, "search random baseline")));
        var order = Enumerable.Range(0, space.Count).ToArray();
        random.Shuffle(order);
        var drawn = order.Take(Math.Min(o.Search.RandomBaseline, space.Count)).Order().Select(i => space[i]).ToList();
        var baseline = ArchitectureSpec.Default.ToString();
        return (top, drawn, space.Contains(baseline) ? baseline : null);
    }

    /// <summary>The complete units of a study as (candidate, position in the space, value).</summary>
    internal static IReadOnlyList<(string Candidate, int Position, double Value)> Ranked(NasOptions o, SearchStudy study)
    {
        var positions = o.Space.Candidates(o.Seed).Select((c, i) => (c.ToString(), i)).ToDictionary(x => x.Item1, x => x.i);
        return study.GetTrials(TrialState.Complete).Where(t => t.Value is not null)
            .Select(t => (Arch: t.Params["arch"].GetString()!, Value: t.Value!.Value)).Select(t => (t.Arch, positions[t.Arch], t.Value)).ToList();
    }

    /// <summary>A proxy's studies, rung by rung.</summary>
    private static IReadOnlyList<SearchStudy> Rungs(IReadOnlyList<SearchStudy> studies, string label) =>
        studies.Where(s => KindOf(s) is NasStudyKind.Proxy or NasStudyKind.TrainingFree && s.UserAttrs["label"].GetString() == label).OrderBy(NasStudies.RungOf).ToList();

    private static NasStudyKind KindOf(SearchStudy study) => Enum.Parse<NasStudyKind>(study.UserAttrs["kind"].GetString()!);

    /// <summary>True when no unit of the study waits or runs.</summary>
    private static bool Finished(SearchStudy study) => study.Summary(TimeSpan.MaxValue) is { Waiting: 0, Running: 0 };

    public IUnitExecutor Open(UnitEnvironment environment) => NasStudies.Context(environment);

    public void Report(RunContext context, RunOptions options, IReadOnlyList<SearchStudy> studies, RunOutcome outcome)
    {
        if (studies.Count == 0) return;
        var o = (NasOptions)options;
        var results = studies.GroupBy(s => s.UserAttrs["label"].GetString()!).Select(g =>
        {
            var rungs = g.OrderBy(NasStudies.RungOf).ToList();
            var first = rungs[0].UserAttrs;
            return new NasReport.StudyResult(g.Key, KindOf(rungs[0]), rungs, first["images"].GetInt32(),
                rungs[^1].UserAttrs.TryGetValue("steps", out var steps) ? steps.GetInt64() : null, first["build_seconds"].GetDouble(),
                first.TryGetValue("stored_bytes", out var bytes) ? bytes.GetInt64() : null);
        }).ToList();
        if (o.Mode == NasMode.Search) NasSearchReport.Write(context, o, results, outcome);
        else NasReport.Write(context, o, results, outcome);
    }
}
