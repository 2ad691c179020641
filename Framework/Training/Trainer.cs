using System.Diagnostics;
using Condensa.Data;
using Condensa.Models;
using Condensa.Training.Augmentation;
using TorchSharp;
using static TorchSharp.torch;
using Condensa.Runtime;

namespace Condensa.Training;

/// <summary>What a training step saw: the epoch, the sample indices of the batch, and the (detached) logits. Valid only during the callback.</summary>
public readonly record struct BatchRecord(int Epoch, Tensor Indices, Tensor Logits, Tensor Labels);

/// <summary>One epoch of a training run: rate, mean loss and accuracy on the (augmented) training batches, wall time, and test accuracy when evaluated.</summary>
public sealed record EpochRecord(int Epoch, double Lr, double Loss, double TrainAccuracy, double Seconds, double? TestAccuracy);

/// <summary>
/// Minibatch SGD with momentum and weight decay over an in-memory dataset (seeded shuffling, optional per-sample
/// weights and differentiable augmentation), in float32 or mixed bfloat16 precision (<see cref="MasterWeights"/>).
/// Every step runs in its own dispose scope, so memory stays flat however long the run; cancellation is checked between
/// steps. A loss that is NaN or infinite stops the run (<see cref="TrainingDivergedException"/>) before the step
/// updates the weights: a diverged model has no accuracy worth reporting.
/// </summary>
public sealed class Trainer
{
    private readonly TrainOptions _options;

    public Trainer(TrainOptions options) => _options = options;

    /// <summary>
    /// Trains <paramref name="model"/> in place for <c>epochs</c> passes over <paramref name="data"/>, or for exactly
    /// <c>steps</c> minibatches when set (reshuffling at every pass). <c>augmentation: dsa</c> flips only if the data
    /// are not digits.
    /// </summary>
    /// <param name="weights">Per-sample loss weights (CRAIG / GradMatch memories), or null.</param>
    /// <param name="test">Evaluated every <c>eval_every</c> epochs and after the last one, or null.</param>
    /// <param name="onEpoch">Called after every epoch (logging, CSV rows).</param>
    /// <param name="onBatch">Called after every step with the batch's logits (training-dynamics recorders).</param>
    /// <param name="extraLoss">
    /// A term added to every step's cross-entropy, given the (augmented) batch and the model's logits on it, e.g. the
    /// knowledge-distillation term of continual learning (the teacher sees the same augmented images).
    /// </param>
    public List<EpochRecord> Train(ClassifierModel model, LabeledDataset data, long seed, CancellationToken cancellationToken,
        float[]? weights = null, LabeledDataset? test = null, Action<EpochRecord>? onEpoch = null, IProgressSink? progress = null,
        Action<BatchRecord>? onBatch = null, Func<Tensor, Tensor, Tensor>? extraLoss = null)
    {
        var o = _options;
        var device = model.parameters().First().device;
        var images = data.Images.to(device);
        var labels = data.Labels.to(device);
        using var sampleWeights = weights is null ? null : tensor(weights, device: device);
        var shuffle = new Random(unchecked((int)seed));
        var augmentation = AugmentationOption.Create(o.Augmentation, data.Digits);
        using var augmentGenerator = new Generator(unchecked((ulong)seed ^ 0x5DEECE66DUL), device: device);
        using var cutmixGenerator = new Generator(unchecked((ulong)seed ^ 0x2545F4914F6CDD1DUL));
        if (o.Cutmix > 0 && weights is not null) throw new CondensaException("cutmix cannot train a weighted memory (CRAIG, GradMatch): their weights are per sample, a mixed image has two");
        int n = data.Count;
        int stepsPerEpoch = (n + o.BatchSize - 1) / o.BatchSize;
        long totalSteps = o.TotalSteps(n);
        long decayStep = o.DecayStepOf(n);
        int epochs = n == 0 ? o.Epochs : (int)((totalSteps + stepsPerEpoch - 1) / stepsPerEpoch);
        var history = new List<EpochRecord>(epochs);
        using var master = new MasterWeights(model, o.Precision.IsBFloat16(device), o.Momentum, o.WeightDecay);
        using var task = (progress ?? NullProgress.Instance).Start($"train {data.Name}", epochs);
        model.train();
        try
        {
            long step = 0;
            for (int epoch = 0; epoch < epochs; epoch++)
            {
                var clock = Stopwatch.StartNew();
                var order = Shuffling.Permutation(n, shuffle);
                int batches = (int)Math.Min(stepsPerEpoch, totalSteps - step), seen = 0;
                double lossSum = 0, lr = 0;
                long correct = 0;
                for (int b = 0; b < batches; b++, step++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    if (o.Schedule == LrSchedule.Step && step == decayStep && step > 0 && o.ResetMomentumAtDecay) master.ResetMomentum();
                    lr = RateAt(step, totalSteps, decayStep);
                    using var scope = NewDisposeScope();
                    int start = b * o.BatchSize, count = Math.Min(o.BatchSize, n - start);
                    var idx = tensor(order.AsSpan(start, count).ToArray(), device: device);
                    var x = images.index_select(0, idx);
                    var y = labels.index_select(0, idx);
                    if (augmentation is not null) x = augmentation.Augment(x, augmentGenerator);
                    var mix = o.Cutmix > 0 ? CutMix.Draw(x, o.Cutmix, cutmixGenerator) : null;
                    if (mix is not null) x = mix.Apply(x);
                    var logits = model.call(master.BFloat16 ? x.to(ScalarType.BFloat16) : x).to(ScalarType.Float32);
                    Tensor loss;
                    if (mix is not null) loss = mix.Loss(logits, y);
                    else if (sampleWeights is null) loss = nn.functional.cross_entropy(logits, y);
                    else
                    {
                        var w = sampleWeights.index_select(0, idx);
                        loss = (nn.functional.cross_entropy(logits, y, reduction: nn.Reduction.None) * w).sum() / w.sum();
                    }
                    if (extraLoss is not null) loss = loss + extraLoss(x, logits);
                    float lossValue = loss.item<float>();
                    if (!float.IsFinite(lossValue)) throw new TrainingDivergedException(step, epoch, lossValue, lr);
                    master.ZeroGrad();
                    loss.backward();
                    master.Step(lr);
                    onBatch?.Invoke(new BatchRecord(epoch, idx, logits.detach(), y));
                    lossSum += lossValue * count;
                    correct += logits.argmax(1).eq(y).sum().item<long>();
                    seen += count;
                }
                double? testAccuracy = null;
                if (test is not null && ((o.EvalEvery > 0 && (epoch + 1) % o.EvalEvery == 0) || epoch == epochs - 1))
                    testAccuracy = Evaluator.Evaluate(model, test).Accuracy;
                var record = new EpochRecord(epoch + 1, lr, lossSum / seen, (double)correct / seen, clock.Elapsed.TotalSeconds, testAccuracy);
                history.Add(record);
                onEpoch?.Invoke(record);
                task.Status($"loss {record.Loss:0.000}");
                task.Increment();
            }
        }
        finally
        {
            if (!ReferenceEquals(images, data.Images)) images.Dispose();
            if (!ReferenceEquals(labels, data.Labels)) labels.Dispose();
        }
        return history;
    }

    /// <summary>
    /// Learning rate at step t of T: step schedule <c>lr</c> before the decay step and <c>lr · decay_factor</c> from it on,
    /// cosine <c>lr · (1 + cos(π t / T)) / 2</c>.
    /// </summary>
    public double RateAt(long step, long totalSteps, long decayStep) => _options.Schedule switch
    {
        LrSchedule.Step => step >= decayStep && decayStep > 0 ? _options.Lr * _options.DecayFactor : _options.Lr,
        LrSchedule.Cosine => _options.Lr * 0.5 * (1 + Math.Cos(Math.PI * step / Math.Max(1, totalSteps))),
        LrSchedule.MultiStep => _options.Lr * Math.Pow(_options.DecayFactor, _options.Milestones.Count(m => step >= (long)Math.Round(m * totalSteps))),
        _ => _options.Lr,
    };
}
