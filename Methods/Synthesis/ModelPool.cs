using System.Text.Json;
using Condensa.Data;
using Condensa.Memory;
using Condensa.Models;
using Condensa.Training;
using Microsoft.Extensions.Logging;
using TorchSharp;
using static TorchSharp.torch;

namespace Condensa.Methods.Synthesis;

/// <summary>
/// The networks distribution matching draws from when it does not draw fresh ones: N networks, each trained S steps of
/// SGD on random real batches of the classes being condensed (batch 256, lr 0.01, momentum 0.9, weight decay 5e-4, no
/// augmentation: the training IDM gives the networks of its queue), with M snapshots of each from its initialization
/// to its last step. IDM (Zhao et al., CVPR 2023, "efficient model sampling") trains its queue while it condenses, a few
/// steps per iteration; its networks learn from real data only, never from the synthetic images, so snapshots trained
/// beforehand follow the same distribution of training progress (0 to S steps), cost nothing per iteration, and are
/// shared by every memory built from the same data and seed. Each snapshot records its training accuracy over the
/// steps since the one before (IDM weighs its regularization with it); the initialization's is 0. Built once per
/// identity, kept in the run's shared folder so that every worker of the machine and every later build loads it.
/// </summary>
internal sealed class ModelPool : IDisposable
{
    private sealed record Snapshot(int Model, int Step, double Accuracy, Tensor[] State);

    private readonly List<Snapshot> _snapshots;

    private ModelPool(List<Snapshot> snapshots) => _snapshots = snapshots;

    /// <summary>Snapshots held (models x snapshots per model).</summary>
    public int Count => _snapshots.Count;

    /// <summary>The training accuracy (0..1) recorded with snapshot <paramref name="index"/>.</summary>
    public double Accuracy(int index) => _snapshots[index].Accuracy;

    /// <summary>Copies snapshot <paramref name="index"/>'s weights and buffers into <paramref name="net"/> (same architecture, any number format).</summary>
    public void Load(int index, ClassifierModel net)
    {
        using var noGrad = no_grad();
        foreach (var (target, source) in net.state_dict().Values.Zip(_snapshots[index].State)) target.copy_(source);
    }

    /// <summary>
    /// The pool of <paramref name="options"/> for the request's data (its target classes) and seed: from the request's
    /// artifact cache, else from the run's shared folder, else trained and kept in both.
    /// </summary>
    public static ModelPool Obtain(MemoryRequest request, SynthesisContext context, DistributionMatchingOptions options, CancellationToken cancellationToken)
    {
        var key = $"model pool|{request.Source.Name}|{request.Source.Count}|classes {string.Join(',', context.Classes)}|{context.Architecture}|" +
                  $"{options.PoolModels} x {options.PoolSteps} steps, {options.PoolSnapshots} snapshots|seed {context.Seed}|" +
                  $"{Runtime.ExecutionSettings.KeyOf(context.Device.type.ToString().ToLowerInvariant(), get_num_threads())}";
        return request.Cache.GetOrAdd(key, () =>
        {
            if (request.SharedDirectory is not { } shared) return Train(context, options, request, cancellationToken);
            var folder = Path.Combine(shared, "model-pools", Fingerprint.Of(key));
            using var _ = Runtime.FileLock.Acquire(folder + ".lock", cancellationToken);
            if (TryLoad(folder, context) is { } kept)
            {
                request.Log.LogInformation("model pool ({Models} x {Steps} steps): loaded from {Folder}", options.PoolModels, options.PoolSteps, folder);
                return kept;
            }
            var pool = Train(context, options, request, cancellationToken);
            pool.Save(folder, context, options);
            return pool;
        });
    }

    /// <summary>The steps at which a network of <paramref name="steps"/> steps is snapshotted: M evenly spaced from 0 to S.</summary>
    public static int[] SnapshotSteps(int steps, int snapshots) =>
        Enumerable.Range(0, snapshots).Select(k => (int)Math.Round((double)steps * k / (snapshots - 1))).Distinct().ToArray();

    private static ModelPool Train(SynthesisContext context, DistributionMatchingOptions options, MemoryRequest request, CancellationToken cancellationToken)
    {
        var at = SnapshotSteps(options.PoolSteps, options.PoolSnapshots);
        var snapshots = new List<Snapshot>();
        using var real = context.Source.WithClasses(context.Classes, context.Source.Name + "-pool");
        var train = new TrainOptions
        {
            BatchSize = 256, Lr = 0.01, Momentum = 0.9, WeightDecay = 5e-4, Schedule = LrSchedule.Constant, Augmentation = "none", Steps = options.PoolSteps,
        };
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int m = 0; m < options.PoolModels; m++)
        {
            using var net = ModelFactory.Create(context.Architecture, context.Shape, context.Source.NumClasses, Seeds.Derive(context.Seed, "pool", m));
            net.to(context.Device);
            snapshots.Add(new Snapshot(m, 0, 0, State(net)));
            int step = 0;
            long correct = 0, seen = 0;
            new Trainer(train).Train(net, real, Seeds.Derive(context.Seed, "pool-batches", m), cancellationToken, progress: request.Progress, onBatch: b =>
            {
                step++;
                correct += b.Logits.argmax(1).eq(b.Labels).sum().item<long>();
                seen += b.Labels.shape[0];
                if (!at.Contains(step)) return;
                snapshots.Add(new Snapshot(m, step, (double)correct / seen, State(net)));
                (correct, seen) = (0, 0);
            });
        }
        request.Log.LogInformation("model pool: {Models} networks x {Steps} steps on {Images} real images, {Snapshots} snapshots, {Seconds:0} s",
            options.PoolModels, options.PoolSteps, real.Count, snapshots.Count, clock.Elapsed.TotalSeconds);
        return new ModelPool(snapshots);
    }

    /// <summary>A float32 copy of the network's weights and buffers on the CPU (the network may be computing in bfloat16).</summary>
    private static Tensor[] State(ClassifierModel net)
    {
        using var noGrad = no_grad();
        return net.state_dict().Values.Select(t => t.to(ScalarType.Float32).cpu().clone().DetachFromDisposeScope()).ToArray();
    }

    private const string MetadataFile = "pool.json";

    private sealed record Entry(int Model, int Step, double Accuracy);

    private sealed record PoolFile(string Arch, int Snapshots, List<Entry> Entries);

    private void Save(string folder, SynthesisContext context, DistributionMatchingOptions options)
    {
        var directory = new Reporting.RunDirectory(folder);
        File.Delete(Path.Combine(folder, MetadataFile));
        for (int i = 0; i < _snapshots.Count; i++)
        {
            var state = _snapshots[i].State;
            directory.WriteAtomic($"snapshot-{i}.pt", tmp => cat(state.Select(t => t.reshape(-1)).ToArray()).save(tmp));
        }
        directory.WriteJson(MetadataFile, new PoolFile(context.Architecture.ToString(), _snapshots.Count, _snapshots.Select(s => new Entry(s.Model, s.Step, s.Accuracy)).ToList()));
    }

    private static ModelPool? TryLoad(string folder, SynthesisContext context)
    {
        var path = Path.Combine(folder, MetadataFile);
        if (!File.Exists(path)) return null;
        var meta = JsonSerializer.Deserialize<PoolFile>(File.ReadAllText(path), Reporting.RunDirectory.Json);
        if (meta is null || meta.Arch != context.Architecture.ToString()) return null;
        using var shape = ModelFactory.Create(context.Architecture, context.Shape, context.Source.NumClasses, seed: 0);
        var shapes = shape.state_dict().Values.Select(t => t.shape).ToArray();
        var snapshots = meta.Entries.Select((e, i) =>
        {
            using var flat = Tensor.load(Path.Combine(folder, $"snapshot-{i}.pt"));
            var parts = flat.split(shapes.Select(s => s.Aggregate(1L, (a, b) => a * b)).ToArray());
            return new Snapshot(e.Model, e.Step, e.Accuracy, parts.Zip(shapes, (p, s) => p.reshape(s).clone().DetachFromDisposeScope()).ToArray());
        }).ToList();
        return new ModelPool(snapshots);
    }

    public void Dispose()
    {
        foreach (var s in _snapshots)
            foreach (var t in s.State) t.Dispose();
        _snapshots.Clear();
    }
}
