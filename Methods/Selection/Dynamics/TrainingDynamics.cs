using Condensa.Data;
using Condensa.Memory;
using Condensa.Models;
using Condensa.Training;
using Microsoft.Extensions.Logging;
using TorchSharp;
using static TorchSharp.torch;
using Condensa.Runtime;

namespace Condensa.Methods.Selection.Dynamics;

/// <summary>The selection model's view of every sample after an epoch: embeddings (N x d) and softmax probabilities (N x C), from one eval-mode pass.</summary>
public sealed record Checkpoint(int Epoch, Tensor Embeddings, Tensor Probabilities);

/// <summary>
/// Training dynamics of the selection model (DeepCore's EarlyTrain, TDDS' and YOCO's recorders in one): the model is
/// trained for E epochs on the source without augmentation, and for every sample and epoch the softmax probabilities,
/// loss and correctness that its training step saw are kept (E x N); at checkpoint epochs one eval-mode pass records
/// embeddings and probabilities of all samples. Last-layer gradients are never materialized: they factor as
/// <c>g_i = e_i ⊗ [1, h_i]</c> with <c>e_i = p_i − onehot(y_i)</c>, the gradient of the cross-entropy on the logits (see
/// <see cref="GradientFactors"/> and, for DeepCore's variant, <c>LastLayerGradients</c>).
/// Recorded once per run and shared by every selector through the request's artifact cache.
/// </summary>
public sealed class TrainingDynamics : IDisposable
{
    private readonly Dictionary<int, Checkpoint> _checkpoints;
    private readonly ClassifierModel? _model;

    private TrainingDynamics(ClassifierModel? model, Tensor probabilities, Tensor losses, Tensor correct, Tensor labels, Dictionary<int, Checkpoint> checkpoints, int numClasses)
    {
        _model = model;
        Probabilities = probabilities;
        Losses = losses;
        Correct = correct;
        Labels = labels;
        _checkpoints = checkpoints;
        NumClasses = numClasses;
    }

    /// <summary>The trained selection model (DeepFool attacks it; eval mode).</summary>
    public ClassifierModel Model => _model ?? throw new InvalidOperationException("these dynamics were built by hand without a model");
    /// <summary>E x N x C softmax probabilities seen by the training step of each sample in each epoch.</summary>
    public Tensor Probabilities { get; }
    /// <summary>E x N cross-entropy losses seen by the training step.</summary>
    public Tensor Losses { get; }
    /// <summary>E x N: whether the training step classified the sample correctly.</summary>
    public Tensor Correct { get; }
    /// <summary>N labels of the source.</summary>
    public Tensor Labels { get; }
    public int NumClasses { get; }
    public int Epochs => (int)Probabilities.shape[0];
    public int Count => (int)Probabilities.shape[1];
    public IReadOnlyCollection<int> CheckpointEpochs => _checkpoints.Keys;
    /// <summary>The checkpoint after the last epoch.</summary>
    public Checkpoint Final => _checkpoints[Epochs];

    public Checkpoint At(int epoch) => _checkpoints.TryGetValue(epoch, out var c) ? c
        : throw new InvalidOperationException($"no checkpoint at epoch {epoch}; recorded: {string.Join(", ", _checkpoints.Keys)}");

    /// <summary>Last-layer gradient factors at a checkpoint: E = p − onehot(y) (N x C) and H = [1, h] (N x (d+1)), so g_i = E_i ⊗ H_i.</summary>
    public (Tensor E, Tensor H) GradientFactors(Checkpoint checkpoint)
    {
        using var scope = NewDisposeScope();
        var e = checkpoint.Probabilities - nn.functional.one_hot(Labels, NumClasses).to_type(ScalarType.Float32);
        var h = cat([ones(checkpoint.Embeddings.shape[0], 1), checkpoint.Embeddings], 1);
        return (e.MoveToOuterDisposeScope(), h.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Error norms <c>‖p − onehot(y)‖₂</c> of the training steps, E x N: EL2N (Paul et al. 2021) per epoch, and YOCO's
    /// LBPE per epoch (He et al. 2023, the same formula).
    /// </summary>
    public Tensor ErrorNorms()
    {
        using var scope = NewDisposeScope();
        var y = nn.functional.one_hot(Labels, NumClasses).to_type(ScalarType.Float32);
        return (Probabilities - y.unsqueeze(0)).square().sum(-1).sqrt().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Dynamics from given recordings instead of a training run (tests; tools that replay a run). Losses are derived as
    /// <c>−log p_y</c>; <paramref name="model"/> may be null when no selector needs it.
    /// </summary>
    internal static TrainingDynamics FromRecording(Tensor probabilities, Tensor correct, Tensor labels, IEnumerable<Checkpoint> checkpoints, ClassifierModel? model = null)
    {
        using var scope = NewDisposeScope();
        var losses = probabilities.gather(2, labels.view(1, -1, 1).expand(probabilities.shape[0], -1, 1)).squeeze(2).log().neg();
        return new TrainingDynamics(model, probabilities.DetachFromDisposeScope(), losses.DetachFromDisposeScope(), correct.DetachFromDisposeScope(),
            labels.DetachFromDisposeScope(), checkpoints.ToDictionary(c => c.Epoch), (int)probabilities.shape[2]);
    }

    /// <summary>
    /// The recording shared by every selector with equal selection-model options on the same source and seed: from the
    /// request's cache, else from its shared folder (recorded there by an earlier build of the run, in this process or
    /// another), else recorded now and kept in both. A recording with every wanted checkpoint (or more) is reused, so
    /// selectors asking for fewer checkpoints never train the selection model again.
    /// </summary>
    public static TrainingDynamics For(MemoryRequest request, SelectionModelOptions options, IReadOnlyCollection<int>? checkpoints, CancellationToken cancellationToken)
    {
        var arch = options.SelectionArch is { } a ? ArchitectureSpec.Parse(a) : request.Architecture;
        var wanted = (checkpoints ?? []).Append(options.SelectionEpochs).Distinct().Order().ToArray();
        var key = $"dynamics|{request.Source.Name}|{request.Source.Count}|{options.SelectionModel(request.Architecture)}|{request.Seed}|{Runtime.ExecutionSettings.KeyOf(request.Device.type.ToString().ToLowerInvariant(), get_num_threads())}";
        var recordings = request.Cache.GetOrAdd(key, () => new List<TrainingDynamics>());
        var found = recordings.FirstOrDefault(r => wanted.All(r.CheckpointEpochs.Contains));
        if (found is not null) return found;
        if (request.SharedDirectory is not { } shared)
        {
            recordings.Add(Record(request.Source, arch, options, wanted, request.Seed, request.Device, request.Progress, cancellationToken));
            return recordings[^1];
        }
        var folder = Path.Combine(shared, "dynamics", Fingerprint.Of(key));
        using (Runtime.FileLock.Acquire(folder + ".lock", cancellationToken))
        {
            var kept = TryLoad(folder, arch, request.Source, request.Device);
            if (kept is not null && wanted.All(kept.CheckpointEpochs.Contains))
            {
                request.Log.LogInformation("selection model {Arch} ({Epochs} epochs): recording loaded from {Folder}", arch, options.SelectionEpochs, folder);
                recordings.Add(kept);
                return kept;
            }
            kept?.Dispose();
            var recorded = Record(request.Source, arch, options, wanted, request.Seed, request.Device, request.Progress, cancellationToken);
            recorded.Save(folder, arch);
            recordings.Add(recorded);
            return recorded;
        }
    }

    private const string MetadataFile = "recording.json";

    private sealed record Metadata(string Arch, int NumClasses, int[] Checkpoints);

    /// <summary>Writes the recording to <paramref name="folder"/> (tensors, the model's weights, then <c>recording.json</c>, which marks it complete).</summary>
    private void Save(string folder, ArchitectureSpec arch)
    {
        var directory = new Reporting.RunDirectory(folder);
        File.Delete(Path.Combine(folder, MetadataFile));
        foreach (var (name, tensor) in new[] { ("probabilities", Probabilities), ("losses", Losses), ("correct", Correct), ("labels", Labels) })
            directory.WriteAtomic(name + ".pt", tmp => tensor.save(tmp));
        foreach (var c in _checkpoints.Values)
        {
            directory.WriteAtomic($"embeddings-{c.Epoch}.pt", tmp => c.Embeddings.save(tmp));
            directory.WriteAtomic($"probabilities-{c.Epoch}.pt", tmp => c.Probabilities.save(tmp));
        }
        directory.WriteAtomic("model.bin", tmp => Model.save(tmp));
        directory.WriteJson(MetadataFile, new Metadata(arch.ToString(), NumClasses, [.. _checkpoints.Keys.Order()]));
    }

    /// <summary>A recording <see cref="Save"/> wrote for this architecture and source, or null.</summary>
    private static TrainingDynamics? TryLoad(string folder, ArchitectureSpec arch, LabeledDataset source, Device device)
    {
        var path = Path.Combine(folder, MetadataFile);
        if (!File.Exists(path)) return null;
        var meta = System.Text.Json.JsonSerializer.Deserialize<Metadata>(File.ReadAllText(path), Reporting.RunDirectory.Json);
        if (meta is null || meta.Arch != arch.ToString() || meta.NumClasses != source.NumClasses) return null;
        Tensor Load(string name) => Tensor.load(Path.Combine(folder, name + ".pt"));
        var model = ModelFactory.Create(arch, source.Shape, meta.NumClasses, seed: 0);
        model.load(Path.Combine(folder, "model.bin"));
        model.to(device);
        model.eval();
        var checkpoints = meta.Checkpoints.ToDictionary(e => e, e => new Checkpoint(e, Load($"embeddings-{e}"), Load($"probabilities-{e}")));
        return new TrainingDynamics(model, Load("probabilities"), Load("losses"), Load("correct"), Load("labels"), checkpoints, meta.NumClasses);
    }

    /// <summary>Trains the selection model and records its dynamics.</summary>
    public static TrainingDynamics Record(LabeledDataset source, ArchitectureSpec arch, SelectionModelOptions options, IReadOnlyCollection<int> checkpointEpochs,
        long seed, Device device, IProgressSink progress, CancellationToken cancellationToken)
    {
        int epochs = options.SelectionEpochs, n = source.Count, c = source.NumClasses;
        var model = ModelFactory.Create(arch, source.Shape, c, Seeds.Derive(seed, "selection-model"));
        model.to(device);
        var probabilities = zeros(epochs, n, c);
        var losses = zeros(epochs, n);
        var correct = zeros(epochs, n, ScalarType.Bool);
        var checkpoints = new Dictionary<int, Checkpoint>();
        var train = new TrainOptions
        {
            Epochs = epochs, BatchSize = options.SelectionBatchSize, Lr = options.SelectionLr, Schedule = LrSchedule.Cosine, Augmentation = "none",
            Precision = options.SelectionPrecision,
        };
        new Trainer(train).Train(model, source, Seeds.Derive(seed, "selection-shuffle"), cancellationToken, progress: progress,
            onBatch: b =>
            {
                using var scope = NewDisposeScope();
                var idx = b.Indices.cpu();
                var logits = b.Logits.cpu();
                var labels = b.Labels.cpu();
                probabilities[b.Epoch].index_copy_(0, idx, logits.softmax(1));
                losses[b.Epoch].index_copy_(0, idx, nn.functional.cross_entropy(logits, labels, reduction: nn.Reduction.None));
                correct[b.Epoch].index_copy_(0, idx, logits.argmax(1).eq(labels));
            },
            onEpoch: e =>
            {
                if (checkpointEpochs.Contains(e.Epoch)) checkpoints[e.Epoch] = Observe(model, source, e.Epoch);
            });
        model.eval();
        return new TrainingDynamics(model, probabilities, losses, correct, source.Labels.cpu().clone(), checkpoints, c);
    }

    /// <summary>One eval-mode pass without autograd: embeddings and softmax probabilities of every sample (on the CPU).</summary>
    public static Checkpoint Observe(ClassifierModel model, LabeledDataset data, int epoch, int batchSize = 1000)
    {
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using var _ = inference_mode(false);
            using var noGrad = no_grad();
            var device = model.parameters().First().device;
            var format = model.parameters().First().dtype; // bfloat16 while a mixed-precision training observes it
            var embeddings = new List<Tensor>();
            var probs = new List<Tensor>();
            for (long start = 0; start < data.Count; start += batchSize)
            {
                using var scope = NewDisposeScope();
                var x = data.Images.narrow(0, start, Math.Min(batchSize, data.Count - start)).to(device).to(format);
                var h = model.Embed(x);
                probs.Add(model.Classifier.call(h).to(ScalarType.Float32).softmax(1).cpu().MoveToOuterDisposeScope());
                embeddings.Add(h.to(ScalarType.Float32).cpu().MoveToOuterDisposeScope());
            }
            var checkpoint = new Checkpoint(epoch, cat(embeddings, 0), cat(probs, 0));
            foreach (var t in embeddings.Concat(probs)) t.Dispose();
            return checkpoint;
        }
        finally
        {
            model.train(wasTraining);
        }
    }

    public void Dispose()
    {
        _model?.Dispose();
        Probabilities.Dispose();
        Losses.Dispose();
        Correct.Dispose();
        Labels.Dispose();
        foreach (var c in _checkpoints.Values) { c.Embeddings.Dispose(); c.Probabilities.Dispose(); }
    }
}
