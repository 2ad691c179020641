using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Condensa.Data;
using Condensa.Config;
using Condensa.Memory;
using Condensa.Models;
using Condensa.Study;
using Condensa.Training;
using Condensa.Work;
using Microsoft.Extensions.Logging;
using TorchSharp;
using static TorchSharp.torch;

namespace Condensa.Scenarios.ArchitectureSearch;

/// <summary>
/// What a study ranks the candidates by: the whole training set (ground truth), a proxy set (one rung of it under
/// successive halving), the early-stopping baseline, a training-free score, or (mode search) the whole set for the
/// proxy's best candidates and the baselines.
/// </summary>
internal enum NasStudyKind { Whole, Proxy, EarlyStopping, TrainingFree, SearchWhole }

/// <summary>
/// The studies of an architecture search and their objective. Each study holds one work unit per candidate, run exactly
/// once by whichever worker claims it. A study carries everything a worker needs in its user attributes (the resolved
/// config, its kind, and for a proxy the proxy images themselves), so <c>condensa worker --storage URL</c> on any
/// machine with the dataset can join it.
/// </summary>
internal static class NasStudies
{
    private const string ArchParam = "arch";

    /// <summary>
    /// A study name that changes whenever anything its trials depend on changes (dataset, candidates, training, seed,
    /// execution settings; for a proxy also its builder and budget), so a ground-truth study is computed once and reused
    /// by every run that agrees on those, and a changed config never mixes results.
    /// </summary>
    public static string StudyName(NasOptions o, NasStudyKind kind, ProxyOptions? proxy, string settingsKey, int rung = 0)
    {
        var key = new StringBuilder();
        key.Append(ConfigWriter.ToYaml(o.Dataset)).Append(o.Seed).Append(o.Repeats).Append(string.Join(',', o.Space.Candidates(o.Seed))).Append(settingsKey);
        key.Append(ConfigWriter.ToYaml(kind is NasStudyKind.Whole or NasStudyKind.SearchWhole ? o.WholeTrain : o.ProxyTrain));
        if (kind == NasStudyKind.EarlyStopping) key.Append($"whole set, the steps of proxy_train on {EarlyStoppingIpc(o)} images per class");
        if (proxy is not null) key.Append(ConfigWriter.ToYaml(proxy)).Append(o.BuildArch);
        if (kind == NasStudyKind.SearchWhole) key.Append(ConfigWriter.ToYaml(o.Search));
        var hash = Fingerprint.Of(key.ToString())[..10];
        var label = kind switch
        {
            NasStudyKind.Whole => "whole",
            NasStudyKind.EarlyStopping => "early-stopping",
            NasStudyKind.SearchWhole => "search-whole",
            _ => "proxy-" + proxy!.Name + (proxy.Pruning.Rungs > 1 ? $"-rung{rung}" : ""),
        };
        return $"nas-{o.Dataset.Name}-{label}-{hash}";
    }

    /// <summary>
    /// The attributes a worker needs beside the run's: the study's kind and label, the images and minibatch steps of
    /// one training, and a proxy's images and build time.
    /// </summary>
    /// <param name="rung">The rung of a proxy under successive halving, and its training epochs (null: the proxy's own).</param>
    public static Dictionary<string, JsonElement> Attrs(NasStudyKind kind, string label, int images, long storedBytes, long steps, LabeledDataset? proxySet, double buildSeconds,
        (int Rung, int Epochs)? rung = null)
    {
        var attrs = new Dictionary<string, JsonElement>
        {
            ["kind"] = JsonSerializer.SerializeToElement(kind.ToString()),
            ["label"] = JsonSerializer.SerializeToElement(label),
            ["images"] = JsonSerializer.SerializeToElement(images),
            ["stored_bytes"] = JsonSerializer.SerializeToElement(storedBytes),
            ["steps"] = JsonSerializer.SerializeToElement(steps),
            ["build_seconds"] = JsonSerializer.SerializeToElement(buildSeconds),
        };
        if (proxySet is not null) attrs["proxy_set"] = TensorJson.Write(proxySet);
        if (rung is var (r, epochs))
        {
            attrs["rung"] = JsonSerializer.SerializeToElement(r);
            attrs["epochs"] = JsonSerializer.SerializeToElement(epochs);
        }
        return attrs;
    }

    /// <summary>The rung of a study (0 for a study without successive halving).</summary>
    public static int RungOf(SearchStudy study) => study.UserAttrs.TryGetValue("rung", out var r) ? r.GetInt32() : 0;

    /// <summary>One unit per candidate of <paramref name="candidates"/> (default: the whole space), in the space's order, keyed by the study and the candidate.</summary>
    public static IReadOnlyList<WorkUnit> Units(NasOptions o, string study, IReadOnlyCollection<string>? candidates = null) =>
        o.Space.Candidates(o.Seed).Select(c => c.ToString()).Where(arch => candidates is null || candidates.Contains(arch)).Select(arch =>
            new WorkUnit(Fingerprint.Of($"{study}|{arch}"), UnitParams.Of(arch, (ArchParam, arch)))).ToList();

    /// <summary>Images per class of the proxy whose training early stopping matches: the first proxy's (10 without proxies).</summary>
    private static int EarlyStoppingIpc(NasOptions o) => o.Proxies.Count > 0 ? o.Proxies[0].Ipc : 10;

    /// <summary>
    /// How a study trains each candidate. Early stopping (the thesis' baseline) trains on the whole training set for the
    /// same number of iterations as a proxy, with the proxy's schedule: <c>proxy_train</c> with the steps and the decay
    /// step it has on the first proxy's images.
    /// </summary>
    public static TrainOptions Training(NasOptions o, NasStudyKind kind, int numClasses, int? epochs = null) => kind switch
    {
        NasStudyKind.Whole or NasStudyKind.SearchWhole => o.WholeTrain,
        NasStudyKind.Proxy when epochs is int e => WithEpochs(o.ProxyTrain, e),
        NasStudyKind.Proxy or NasStudyKind.TrainingFree => o.ProxyTrain,
        _ => o.ProxyTrain.WithStepsOf(EarlyStoppingIpc(o) * Math.Max(numClasses, 1)),
    };

    /// <summary><paramref name="train"/> for <paramref name="epochs"/> epochs, its step decay at half of them.</summary>
    private static TrainOptions WithEpochs(TrainOptions train, int epochs)
    {
        var copy = train.Clone();
        (copy.Epochs, copy.DecayEpoch) = (epochs, null);
        return copy;
    }

    /// <summary>Images a training-free score sees: one batch of the training set, the same for every candidate (NASWOT: 128).</summary>
    public const int TrainingFreeBatch = 128;

    /// <summary>Everything a worker needs to run the trials of one study.</summary>
    public sealed class WorkerContext : IUnitExecutor
    {
        public required NasOptions Options { get; init; }
        public required NasStudyKind Kind { get; init; }
        public required DatasetSplits Splits { get; init; }
        public required LabeledDataset TrainSet { get; init; }
        public required TrainOptions Train { get; init; }
        public required Device Device { get; init; }
        public required IReadOnlyList<string> Candidates { get; init; }
        public required string Label { get; init; }
        public required ILogger Log { get; init; }

        /// <summary>The training-free score's batch (kind TrainingFree), else null.</summary>
        public Tensor? Batch { get; init; }

        public double Run(Trial unit, CancellationToken cancellationToken) => Objective(unit, this, cancellationToken);

        public void Dispose()
        {
            Batch?.Dispose();
            if (!ReferenceEquals(TrainSet, Splits.Train)) TrainSet.Dispose();
            Splits.Dispose();
        }
    }

    /// <summary>Rebuilds a study's trial context from its attributes (what a joining worker does).</summary>
    public static WorkerContext Context(UnitEnvironment env)
    {
        var o = (NasOptions)env.Options;
        var study = env.Study;
        var kind = Enum.Parse<NasStudyKind>(study.UserAttrs["kind"].GetString()!);
        var splits = DatasetCatalog.Load(o.Dataset, Seeds.Derive(o.Seed, "data"));
        var trainSet = kind == NasStudyKind.Proxy ? TensorJson.Read(study.UserAttrs["proxy_set"], splits.Train) : splits.Train;
        var train = Training(o, kind, splits.Train.NumClasses, study.UserAttrs.TryGetValue("epochs", out var e) ? e.GetInt32() : null);
        var onDevice = trainSet.To(env.Settings.Device);
        if (!ReferenceEquals(onDevice, trainSet) && !ReferenceEquals(trainSet, splits.Train)) trainSet.Dispose();
        Tensor? batch = null;
        if (kind == NasStudyKind.TrainingFree)
        {
            var pick = Shuffling.Permutation(onDevice.Count, new Random(unchecked((int)Seeds.Derive(o.Seed, "training-free batch")))).Take(TrainingFreeBatch).ToArray();
            batch = onDevice.Images.index_select(0, tensor(pick, device: onDevice.Device));
        }
        return new WorkerContext
        {
            Options = o, Kind = kind, Splits = splits, TrainSet = onDevice, Train = train, Device = env.Settings.Device, Batch = batch,
            Candidates = o.Space.Candidates(o.Seed).Select(c => c.ToString()).ToArray(), Label = study.UserAttrs["label"].GetString()!, Log = env.Log,
        };
    }

    /// <summary>
    /// The objective: train the trial's candidate <c>repeats</c> times on the study's training set and return the mean
    /// validation accuracy (the thesis ranks by it), recording each repeat's; the whole-set
    /// study also records the mean test accuracy (the "performance of best" column). Seeds depend only on the
    /// candidate and the repeat, so any worker computes the same result.
    /// </summary>
    public static double Objective(Trial trial, WorkerContext ctx, CancellationToken cancellationToken)
    {
        var arch = trial.Text(ArchParam);
        if (!ctx.Candidates.Contains(arch))
            throw new CondensaException($"Study '{trial.Study.Name}', unit {trial.Number}: {arch} is not a candidate of the space this run searches.");
        var spec = ArchitectureSpec.Parse(arch);
        var o = ctx.Options;
        var clock = Stopwatch.StartNew();
        var val = new double[o.Repeats];
        var test = new double[o.Repeats];
        bool whole = ctx.Kind is NasStudyKind.Whole or NasStudyKind.SearchWhole;
        LabeledDataset[] tests = whole ? [ctx.Splits.Validation!, ctx.Splits.Test] : [ctx.Splits.Validation!];
        for (int r = 0; r < o.Repeats; r++)
        {
            long seed = Seeds.Derive(o.Seed, $"nas/{(ctx.Kind == NasStudyKind.SearchWhole ? NasStudyKind.Whole : ctx.Kind)}/{arch}", r);
            if (ctx.Batch is { } batch)
            {
                using var model = ModelFactory.Create(spec, ctx.TrainSet.Shape, ctx.TrainSet.NumClasses, seed);
                model.to(ctx.Device);
                val[r] = Naswot.Score(model, batch);
            }
            else
            {
                var results = MemoryEvaluation.TrainAndTest(ctx.TrainSet, null, spec, ctx.Train, tests, seed, ctx.Device, cancellationToken);
                val[r] = results[0].Accuracy;
                if (whole) test[r] = results[1].Accuracy;
            }
        }
        trial.SetUserAttr("val_accuracies", val);
        trial.SetUserAttr("seconds", clock.Elapsed.TotalSeconds);
        if (whole) trial.SetUserAttr("test_accuracy", test.Average());
        ctx.Log.LogInformation("[{Label}] trial {Number}: {Arch} {Score} ({Seconds:0.0} s)", ctx.Label, trial.Number, arch,
            ctx.Batch is null ? "validation " + Reporting.Format.Percent(val.Average()) : $"score {val.Average():0.00}", clock.Elapsed.TotalSeconds);
        return val.Average();
    }
}

/// <summary>A small labeled set (a proxy memory) as JSON: shape, float32 images and int64 labels in base64, so it travels with a study.</summary>
internal static class TensorJson
{
    public static JsonElement Write(LabeledDataset set)
    {
        using var images = set.Images.cpu().contiguous();
        using var labels = set.Labels.cpu().contiguous();
        return JsonSerializer.SerializeToElement(new
        {
            shape = images.shape,
            images = Convert.ToBase64String(images.bytes),
            labels = Convert.ToBase64String(labels.bytes),
        });
    }

    /// <summary>The set in <paramref name="like"/>'s class space and normalization.</summary>
    public static LabeledDataset Read(JsonElement json, LabeledDataset like)
    {
        var shape = json.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        var images = torch.zeros(shape);
        images.bytes = Convert.FromBase64String(json.GetProperty("images").GetString()!);
        var labels = torch.zeros(shape[0], ScalarType.Int64);
        labels.bytes = Convert.FromBase64String(json.GetProperty("labels").GetString()!);
        return new LabeledDataset(like.Name + "-proxy", images, labels, like.ClassNames, like.Normalization) { Digits = like.Digits };
    }
}
