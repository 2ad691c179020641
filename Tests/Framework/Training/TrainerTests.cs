using Condensa.Data;
using Condensa.Models;
using Condensa.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Condensa.Tests.Framework.Training;

/// <summary>Predicts argmax of the flattened pixels: a model with known outputs for evaluator tests.</summary>
internal sealed class PixelArgmaxModel : ClassifierModel
{
    private readonly nn.Module<Tensor, Tensor> _classifier;

    public PixelArgmaxModel(int size) : base("pixel-argmax")
    {
        var linear = nn.Linear(size, size);
        using (no_grad())
        {
            linear.weight!.copy_(eye(size));
            linear.bias!.zero_();
        }
        _classifier = linear;
        EmbeddingSize = size;
        RegisterComponents();
    }

    public override nn.Module<Tensor, Tensor> Classifier => _classifier;
    public override int EmbeddingSize { get; }
    public override Tensor Embed(Tensor x) => x.flatten(1);
}

internal static class TinyData
{
    /// <summary>Two classes of 1x8x8 images: class 0 bright on the left half, class 1 on the right, plus noise.</summary>
    public static LabeledDataset Halves(int perClass, long seed)
    {
        using var scope = NewDisposeScope();
        var g = new Generator((ulong)seed);
        var left = zeros(1, 8, 8);
        left[.., .., ..4] = 1;
        var right = left.flip(2);
        var x = cat([left.expand(perClass, 1, 8, 8), right.expand(perClass, 1, 8, 8)], 0) + 0.3f * randn(2 * perClass, 1, 8, 8, generator: g);
        var y = cat([zeros(perClass, ScalarType.Int64), ones(perClass, ScalarType.Int64)], 0);
        return new LabeledDataset("halves", x, y, ["left", "right"], Normalization.Identity(1));
    }
}

[TestClass]
public sealed class TrainerTests
{
    private static readonly ArchitectureSpec Tiny = ArchitectureSpec.Parse("convnet-w32-d1-instancenorm-relu-avgpool");

    [TestMethod]
    public void EvaluatorCountsAgainstAHandMadeConfusionMatrix()
    {
        // pixels (a, b): prediction = argmax -> 0,1,1,0,1 ; labels 0,1,0,0,1
        var x = tensor(new float[] { 2, 1, 0, 3, 1, 5, 4, 0, 0, 1 }).view(5, 1, 1, 2);
        var y = tensor(new long[] { 0, 1, 0, 0, 1 });
        using var data = new LabeledDataset("hand", x, y, ["a", "b"], Normalization.Identity(1));
        using var model = new PixelArgmaxModel(2);
        var r = Evaluator.Evaluate(model, data, batchSize: 2);
        Assert.AreEqual(4.0 / 5, r.Accuracy, 1e-12);
        CollectionAssert.AreEqual(new long[] { 2, 1 }, r.Confusion[0]);
        CollectionAssert.AreEqual(new long[] { 0, 2 }, r.Confusion[1]);
        Assert.AreEqual(2.0 / 3, r.PerClassAccuracy[0], 1e-12);
        Assert.AreEqual(1.0, r.PerClassAccuracy[1], 1e-12);
    }

    [TestMethod]
    public void StepScheduleDecaysOnceAtHalfAndCosineAnneals()
    {
        var options = new TrainOptions { Epochs = 10, Lr = 0.01 };
        Assert.AreEqual(100, options.TotalSteps(2560), "10 epochs of 10 batches of 256");
        Assert.AreEqual(50, options.DecayStepOf(2560), "the decay at epoch 5, the first step of that epoch");
        var step = new Trainer(options);
        Assert.AreEqual(0.01, step.RateAt(49, 100, 50), 1e-15);
        Assert.AreEqual(0.001, step.RateAt(50, 100, 50), 1e-15);
        Assert.AreEqual(0.001, step.RateAt(99, 100, 50), 1e-15);
        var cosine = new Trainer(new TrainOptions { Epochs = 10, Lr = 0.2, Schedule = LrSchedule.Cosine });
        Assert.AreEqual(0.2, cosine.RateAt(0, 100, 50), 1e-15);
        Assert.AreEqual(0.1, cosine.RateAt(50, 100, 50), 1e-12);
        Assert.AreEqual(0.2 * 0.5 * (1 + Math.Cos(Math.PI * 0.9)), cosine.RateAt(90, 100, 50), 1e-12);
    }

    [TestMethod]
    public void AStepBudgetCarriesTheStepsAndTheScheduleOfAnotherTrainingToMoreImages()
    {
        // The proxy: 10 images, batch 4 -> 3 steps per epoch, 6 epochs = 18 steps, decayed from epoch 3 = step 9.
        var proxy = new TrainOptions { Epochs = 6, BatchSize = 4, Lr = 0.05 };
        var whole = proxy.WithStepsOf(10);
        Assert.AreEqual(18, whole.TotalSteps(32));
        Assert.AreEqual(9, whole.DecayStepOf(32));
        using var data = TinyData.Halves(16, seed: 1);   // 32 images: 8 steps per pass, so 18 steps are 2 passes and 2 steps
        using var model = ModelFactory.Create(Tiny, data.Shape, 2, seed: 3);
        var seenPerEpoch = new List<int>();
        var history = new Trainer(whole).Train(model, data, 5, CancellationToken.None, onBatch: b =>
        {
            if (b.Epoch == seenPerEpoch.Count) seenPerEpoch.Add(0);
            seenPerEpoch[b.Epoch] += (int)b.Indices.shape[0];
        });
        CollectionAssert.AreEqual(new[] { 32, 32, 8 }, seenPerEpoch, "18 steps of 4 images over 32 images");
        Assert.AreEqual(3, history.Count);
        Assert.AreEqual(0.005, history[1].Lr, 1e-15, "the second pass (steps 8-15) ends after the decay at step 9");
        Assert.AreEqual(0.005, history[2].Lr, 1e-15);

        // Steps equal to epochs x batches give the epoch-based training bit for bit.
        var byEpochs = new TrainOptions { Epochs = 4, BatchSize = 8, Lr = 0.05 };
        float[] Weights(TrainOptions o)
        {
            using var m = ModelFactory.Create(Tiny, data.Shape, 2, seed: 3);
            new Trainer(o).Train(m, data, 7, CancellationToken.None);
            return m.parameters().SelectMany(p => p.detach().cpu().data<float>().ToArray()).ToArray();
        }
        CollectionAssert.AreEqual(Weights(byEpochs), Weights(byEpochs.WithStepsOf(data.Count)));
    }

    [TestMethod]
    public void LearnsASeparableProblemAndIsDeterministic()
    {
        using var data = TinyData.Halves(32, seed: 1);
        var options = new TrainOptions { Epochs = 8, BatchSize = 16, Lr = 0.05 };
        float[] Train(long seed, out double accuracy)
        {
            using var model = ModelFactory.Create(Tiny, data.Shape, 2, seed: 3);
            var history = new Trainer(options).Train(model, data, seed, CancellationToken.None);
            Assert.AreEqual(8, history.Count);
            Assert.IsTrue(history[^1].Loss < history[0].Loss, $"loss should fall: {history[0].Loss} -> {history[^1].Loss}");
            accuracy = Evaluator.Evaluate(model, data).Accuracy;
            return model.parameters().SelectMany(p => p.detach().cpu().data<float>().ToArray()).ToArray();
        }
        var a = Train(7, out var accuracy);
        var b = Train(7, out _);
        var c = Train(8, out _);
        Assert.AreEqual(1.0, accuracy, "a 2-class left/right problem is separable");
        CollectionAssert.AreEqual(a, b, "same seed, same parameters");
        CollectionAssert.AreNotEqual(a, c, "another shuffling seed gives another run");
    }

    [TestMethod]
    public void WeightsChangeTheObjective()
    {
        using var data = TinyData.Halves(8, seed: 2);
        var options = new TrainOptions { Epochs = 2, BatchSize = 16, Lr = 0.05 };
        float[] Train(float[]? w)
        {
            using var model = ModelFactory.Create(Tiny, data.Shape, 2, seed: 3);
            new Trainer(options).Train(model, data, 1, CancellationToken.None, weights: w);
            return model.parameters().SelectMany(p => p.detach().data<float>().ToArray()).ToArray();
        }
        var uniform = Train(null);
        CollectionAssert.AreEqual(uniform, Train(Enumerable.Repeat(2f, 16).ToArray()), "uniform weights of any scale equal the plain mean loss");
        CollectionAssert.AreNotEqual(uniform, Train(Enumerable.Range(0, 16).Select(i => i < 8 ? 1f : 3f).ToArray()));
    }

    [TestMethod]
    public void CancellationStopsBetweenSteps()
    {
        using var data = TinyData.Halves(8, seed: 2);
        using var model = ModelFactory.Create(Tiny, data.Shape, 2, seed: 3);
        using var cancel = new CancellationTokenSource();
        int epochs = 0;
        Assert.ThrowsExactly<OperationCanceledException>(() =>
            new Trainer(new TrainOptions { Epochs = 50, BatchSize = 4 }).Train(model, data, 1, cancel.Token,
                onEpoch: _ => { if (++epochs == 2) cancel.Cancel(); }));
        Assert.AreEqual(2, epochs);
    }

    [TestMethod]
    public void MemoryStaysFlatOverTwoThousandSteps()
    {
        using var data = TinyData.Halves(4, seed: 2);
        using var model = ModelFactory.Create(Tiny, data.Shape, 2, seed: 3);
        var trainer = new Trainer(new TrainOptions { Epochs = 1000, BatchSize = 4, Augmentation = "dsa" });
        long before = 0;
        int epoch = 0;
        DisposeScopeManager.Statistics.Reset();
        trainer.Train(model, data, 1, CancellationToken.None, onEpoch: _ =>
        {
            epoch++;
            if (epoch == 100) { GC.Collect(); before = Environment.WorkingSet; }
        });
        GC.Collect();
        long growth = Environment.WorkingSet - before;
        Assert.AreEqual(0, DisposeScopeManager.Statistics.ThreadTotalLiveCount, "no tensor of a training step outlives it");
        Assert.IsTrue(growth < 32L << 20, $"resident memory grew by {growth >> 20} MiB over 1,800 steps");
    }
}
