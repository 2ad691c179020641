using System.Diagnostics;
using Condensa.Memory;
using Condensa.Training.Augmentation;
using Microsoft.Extensions.Logging;
using TorchSharp;
using static TorchSharp.torch;

namespace Condensa.Methods.Synthesis;

/// <summary>What a condensation produced, with its per-iteration losses and timings (iterations run by this call only).</summary>
/// <param name="StartIteration">Iterations already done by the checkpoint this call resumed from (0 for a fresh run).</param>
/// <param name="Seconds">Total compute time, including the part before the resume.</param>
public sealed record CondensationResult(SyntheticMemory Memory, int Iterations, int StartIteration,
    IReadOnlyList<double> Losses, IReadOnlyList<double> IterationSeconds, double Seconds);

/// <summary>
/// The iteration loop every synthesizer shares: the synthetic set initialized from real images of each class or noise
/// (seeded per class), K iterations of the method's <see cref="Iterate"/>, progress (one increment per iteration), a
/// log line every <c>log_every</c> iterations, a checkpoint every <c>checkpoint_every</c> iterations and at the end, and
/// cancellation between iterations (after writing a checkpoint). Given the same seed, a run interrupted and resumed from
/// its checkpoint produces the same images as an uninterrupted one.
/// </summary>
public abstract class Synthesizer : IMemoryBuilder
{
    private readonly SynthesisOptions _options;

    private protected Synthesizer(SynthesisOptions options) => _options = options;

    public MemorySet Build(MemoryRequest request, CancellationToken cancellationToken) => Condense(request, cancellationToken).Memory;

    /// <summary>Synthesizes <c>Budget.Ipc</c> images for each of the request's target classes.</summary>
    /// <exception cref="CondensaException">Bad options, a budget without ipc, a class with too few real images, or a checkpoint beyond the iterations.</exception>
    /// <exception cref="OperationCanceledException">Cancelled (between two iterations, after writing the checkpoint).</exception>
    public CondensationResult Condense(MemoryRequest request, CancellationToken cancellationToken)
    {
        int ipc = CheckRequest(request);
        string name = request.Method;
        using var context = new SynthesisContext(request, ipc, _options, Augmentation(request.Source.Digits));
        var checkpoint = request.CheckpointDirectory is { } folder ? new SynthesisCheckpoint(folder, name, CheckpointKey(name, context)) : null;
        var saved = checkpoint?.TryLoad(context.Device);
        Prepare(request, context, cancellationToken);
        using var set = saved is { } state
            ? new SyntheticSet(state.Images, state.Momentum, context.Classes, ipc)
            : Initialize(context);
        int start = saved?.Iteration ?? 0, total = _options.Iterations;
        if (start > total)
            throw new CondensaException($"{name}: the checkpoint '{checkpoint!.Path}' is at iteration {start}, beyond iterations = {total}",
                "raise iterations to continue it, or give the run another checkpoint folder");
        double seconds = saved?.Seconds ?? 0;
        var losses = new List<double>();
        var times = new List<double>();
        using var task = request.Progress.Start($"{name} ipc {ipc}", total);
        task.Increment(start);
        if (start > 0) request.Log.LogInformation("{Method}: resuming at iteration {Iteration} from {Path}", name, start, checkpoint!.Path);
        for (int k = start; k < total; k++)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                checkpoint?.Save(set, k, seconds);
                cancellationToken.ThrowIfCancellationRequested();
            }
            var clock = Stopwatch.StartNew();
            double loss;
            using (NewDisposeScope()) loss = Iterate(k, context, set);
            times.Add(clock.Elapsed.TotalSeconds);
            seconds += times[^1];
            losses.Add(loss);
            task.Status($"loss {loss:0.0000}");
            task.Increment();
            if ((k + 1) % _options.LogEvery == 0 || k == start || k == total - 1)
                request.Log.LogInformation("{Method} iteration {Iteration}/{Total}: loss {Loss:0.0000}, {Seconds:0.00} s/iteration",
                    name, k + 1, total, loss, times[^1]);
            if (checkpoint is not null && _options.CheckpointEvery > 0 && (k + 1) % _options.CheckpointEvery == 0)
                checkpoint.Save(set, k + 1, seconds);
        }
        if (checkpoint is not null && start < total && (_options.CheckpointEvery == 0 || total % _options.CheckpointEvery != 0))
            checkpoint.Save(set, total, seconds);
        var images = _options.PixelBits == 8 ? context.Source.Normalization.ToEightBit(set.Images) : set.Images.clone();
        var memory = new SyntheticMemory(images.DetachFromDisposeScope(), set.Labels.clone().DetachFromDisposeScope())
        {
            SecondsBeforeResume = saved?.Seconds ?? 0, IterationsBeforeResume = start, Factor = context.Factor, PixelBits = _options.PixelBits,
        };
        return new CondensationResult(memory, total, start, losses, times, seconds);
    }

    /// <summary>
    /// One iteration k: computes the gradients of the method's loss w.r.t. the images (<see cref="SyntheticSet.SetGradient"/>),
    /// takes its image step(s) (<see cref="SyntheticSet.Step"/>) and returns the loss per class for the log (the
    /// reference's printout). Runs inside a dispose scope.
    /// </summary>
    private protected abstract double Iterate(int iteration, SynthesisContext context, SyntheticSet set);

    /// <summary>Work a method does once before its iterations, e.g. obtaining a model pool (nothing by default).</summary>
    private protected virtual void Prepare(MemoryRequest request, SynthesisContext context, CancellationToken cancellationToken) { }

    /// <summary>The Siamese augmentation for a dataset (by its catalog name), or null.</summary>
    private protected abstract DiffAugment? Augmentation(bool digits);

    /// <summary>
    /// Images from random real images of each class or N(0, 1) noise, each class from its own seeded generator. Under
    /// multi-formation each stored image starts as K² real images of its class, each shrunk into one tile.
    /// </summary>
    private SyntheticSet Initialize(SynthesisContext context)
    {
        using var scope = NewDisposeScope();
        var shape = context.Shape;
        int k2 = context.Factor * context.Factor;
        var images = cat(Enumerable.Range(0, context.Classes.Length).Select(j =>
        {
            using var generator = context.Generator("init", j);
            return _options.Init == SyntheticInit.Real
                ? MultiFormation.Encode(context.RealBatch(j, context.Ipc * k2, generator), context.Factor)
                : randn([context.Ipc, shape.Channels, shape.Height, shape.Width], generator: generator).to(context.Device);
        }).ToArray(), 0);
        return new SyntheticSet(images, zeros_like(images), context.Classes, context.Ipc);
    }

    private int CheckRequest(MemoryRequest request)
    {
        string name = request.Method;
        var problems = new List<string>();
        _options.Validate((key, message) => problems.Add($"{key}: {message}"));
        if (problems.Count > 0) throw new CondensaException($"{name} options: {string.Join("; ", problems)}");
        if (request.Budget.Ipc is not ({ } ipc and > 0))
            throw new CondensaException($"{name} needs a budget in images per class (ipc), got {request.Budget}", "set ipc instead of fraction");
        var classes = request.TargetClasses;
        if (classes.Length == 0) throw new CondensaException($"{name}: no classes to synthesize in '{request.Source.Name}'");
        MultiFormation.Check(request.Source.Shape, _options.Factor, $"{name}: factor");
        int needed = _options.Init == SyntheticInit.Real ? ipc * _options.Factor * _options.Factor : 1;
        foreach (var c in classes)
        {
            if (c < 0 || c >= request.Source.NumClasses)
                throw new CondensaException($"{name}: class {c} is not a class of '{request.Source.Name}' (0..{request.Source.NumClasses - 1})");
            int n = request.Source.IndicesOfClass(c).Length;
            if (n < needed)
                throw new CondensaException($"{name}: class {c} ({request.Source.ClassNames[c]}) has {n} real images in '{request.Source.Name}'; " +
                                            $"ipc {ipc} with init {_options.Init.ToString().ToLowerInvariant()} and factor {_options.Factor} needs at least {needed}");
        }
        return ipc;
    }

    /// <summary>Everything a checkpoint's state depends on; the iteration count, the logging cadence and the stored number format (applied after the last iteration) may change between runs.</summary>
    private string CheckpointKey(string name, SynthesisContext context)
    {
        var options = MemoryStore.OptionsJson(_options);
        foreach (var key in new[] { "iterations", "checkpoint_every", "log_every", "pixel_bits" }) options.Remove(key);
        return $"{name}|seed {context.Seed}|ipc {context.Ipc}|classes {string.Join(',', context.Classes)}|data {context.Source.Name} {context.Source.Count} {context.Shape}" +
               $"|arch {context.Architecture}|options {options.ToJsonString()}";
    }
}
