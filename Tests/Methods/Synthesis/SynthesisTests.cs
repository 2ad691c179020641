using Condensa.Data;
using Condensa.Memory;
using Condensa.Methods.Selection;
using Condensa.Methods.Synthesis;
using Condensa.Models;
using Condensa.Training;
using TorchSharp;
using static TorchSharp.torch;
using static Condensa.Tests.Support.Tensors;
using Condensa.Runtime;

namespace Condensa.Tests.Methods.Synthesis;

/// <summary>Two classes of 1x8x8 images: a left-bright or a right-bright template (±0.5) under heavy Gaussian noise.</summary>
internal static class NoisyTemplates
{
    public static LabeledDataset Make(int perClass, long seed, float sigma = 2.5f)
    {
        using var scope = NewDisposeScope();
        using var g = new Generator((ulong)seed);
        var left = zeros(1, 8, 8);
        left[.., .., ..4] = 1;
        left -= 0.5f;
        var x = cat([left.expand(perClass, 1, 8, 8), left.flip(2).expand(perClass, 1, 8, 8)], 0) + sigma * randn(2 * perClass, 1, 8, 8, generator: g);
        var y = cat([zeros(perClass, ScalarType.Int64), ones(perClass, ScalarType.Int64)], 0);
        return new LabeledDataset("templates", x, y, ["left", "right"], Normalization.Identity(1));
    }
}

/// <summary>Counts the synthesis iterations (progress increments of the "METHOD ipc K" task) and cancels after a given number.</summary>
internal sealed class CancelAfter(int iterations, CancellationTokenSource source) : IProgressSink, IProgressTask
{
    private double _done;
    public IProgressTask Start(string description, double total) => description.Contains(" ipc ", StringComparison.Ordinal) ? this : NullProgress.Instance.Start(description, total);
    public void Increment(double amount = 1)
    {
        _done += amount;
        if (_done >= iterations) source.Cancel();
    }
    public void Status(string status) { }
    public void Dispose() { }
}

[TestClass]
public sealed class SynthesisTests
{
    private static readonly ArchitectureSpec Tiny = ArchitectureSpec.Parse("convnet-w32-d1-instancenorm-relu-avgpool");
    private static readonly ArchitectureSpec TinyBatchNorm = ArchitectureSpec.Parse("convnet-w32-d1-batchnorm-relu-avgpool");

    private static MemoryRequest Request(LabeledDataset data, int ipc, long seed, ArchitectureSpec? arch = null, string? checkpoints = null, IProgressSink? progress = null,
        string method = "dm") => new()
    {
        Method = method,
        Source = data,
        Budget = Budget.ImagesPerClass(ipc),
        Architecture = arch ?? Tiny,
        Seed = seed,
        CheckpointDirectory = checkpoints,
        Progress = progress ?? NullProgress.Instance,
    };

    private static string TempFolder() => Path.Combine(Path.GetTempPath(), "condensa-synthesis-" + Guid.NewGuid().ToString("N"));

    [TestMethod]
    public void DmGradientReachesTheSyntheticImagesButNotTheNetwork()
    {
        using var net = ModelFactory.Create(Tiny, new ImageShape(1, 8, 8), 2, seed: 3);
        DistributionMatching.Freeze(net);
        using var real0 = randn(16, 1, 8, 8);
        using var real1 = randn(12, 1, 8, 8) + 1;
        using var syn = randn(4, 1, 8, 8).requires_grad_(true);
        var (loss, realMeans, _) = DistributionMatching.MeanEmbeddingLoss(net, net, [real0, real1], [syn.narrow(0, 0, 2), syn.narrow(0, 2, 2)], classesPerForward: 1);
        Assert.IsFalse(realMeans.requires_grad, "the real side must build no autograd graph");
        loss.backward();
        Assert.IsNotNull(syn.grad);
        Assert.IsTrue(syn.grad.abs().sum().item<float>() > 0);
        foreach (var p in net.parameters())
        {
            Assert.IsFalse(p.requires_grad);
            Assert.IsNull(p.grad);
        }
        // The loss is Σ_c ‖mean ψ(real_c) − mean ψ(syn_c)‖², whatever the grouping of the real forwards.
        using (no_grad())
        {
            var expected = (net.Embed(real0).mean([0]) - net.Embed(syn.narrow(0, 0, 2)).mean([0])).pow(2).sum()
                           + (net.Embed(real1).mean([0]) - net.Embed(syn.narrow(0, 2, 2)).mean([0])).pow(2).sum();
            Assert.AreEqual(expected.item<float>(), loss.item<float>(), 1e-4 * expected.item<float>());
            var (grouped, _, _) = DistributionMatching.MeanEmbeddingLoss(net, net, [real0, real1], [syn.narrow(0, 0, 2), syn.narrow(0, 2, 2)], classesPerForward: 2);
            Assert.AreEqual(expected.item<float>(), grouped.item<float>(), 1e-4 * expected.item<float>());
        }
    }

    [TestMethod]
    public void DmRealSideInBFloat16KeepsTheClassMeansAndTheGradient()
    {
        using var net = ModelFactory.Create(Tiny, new ImageShape(1, 8, 8), 2, seed: 3);
        using var twin = ModelFactory.Create(Tiny, new ImageShape(1, 8, 8), 2, seed: 3);
        DistributionMatching.Freeze(net);
        twin.to(ScalarType.BFloat16);
        DistributionMatching.Freeze(twin);
        using var real0 = randn(64, 1, 8, 8);
        using var real1 = randn(64, 1, 8, 8) + 1;
        using var syn = randn(4, 1, 8, 8).requires_grad_(true);
        Tensor[] syns = [syn.narrow(0, 0, 2), syn.narrow(0, 2, 2)];
        var (exact, exactMeans, _) = DistributionMatching.MeanEmbeddingLoss(net, net, [real0, real1], syns, classesPerForward: 2);
        var (mixed, mixedMeans, _) = DistributionMatching.MeanEmbeddingLoss(net, twin, [real0, real1], syns, classesPerForward: 2);
        Assert.AreEqual(ScalarType.Float32, mixedMeans.dtype);
        double relative = ((mixedMeans - exactMeans).norm() / exactMeans.norm()).item<float>();
        Assert.IsTrue(relative is > 0 and < 0.01, $"bfloat16 class means differ by {relative:P3}");
        Assert.AreEqual(exact.item<float>(), mixed.item<float>(), 0.05 * exact.item<float>() + 1e-3);
        mixed.backward();
        Assert.IsTrue(syn.grad is not null && syn.grad.dtype == ScalarType.Float32 && syn.grad.abs().sum().item<float>() > 0);
    }

    [TestMethod]
    public void DsaRealGradientsInBFloat16MoveTheImagesAsFloat32Does()
    {
        using var data = NoisyTemplates.Make(64, seed: 4);
        foreach (var arch in new[] { Tiny, TinyBatchNorm })
        {
            using var init = Condense(Condensa.Training.Precision.Float32, lrImg: 0);
            using var exact = Condense(Condensa.Training.Precision.Float32, lrImg: 0.1);
            using var mixed = Condense(Condensa.Training.Precision.Bfloat16, lrImg: 0.1);
            // The bfloat16 copy follows the network through the outer steps (parameters, batch-norm statistics and modes):
            // its image update is the float32 one up to rounding, and it is not bit-identical (the copy really ran).
            double step = (exact - init).norm().item<float>();
            double difference = (mixed - exact).norm().item<float>();
            Assert.IsTrue(step > 0 && difference > 0 && difference < 0.02 * step, $"{arch}: update {step}, bfloat16 off by {difference}");

            Tensor Condense(Condensa.Training.Precision precision, double lrImg)
            {
                var options = new DsaOptions { Iterations = 1, OuterLoop = 3, InnerLoop = 10, BatchReal = 32, LrImg = lrImg, RealPrecision = precision, PixelBits = 32 };
                return new GradientMatching(options).Condense(Request(data, 2, 7, arch, method: "dsa"), CancellationToken.None).Memory.Images.clone();
            }
        }
    }

    [TestMethod]
    public void DmAndDcIterationsLowerTheMatchingLoss()
    {
        using var data = NoisyTemplates.Make(128, seed: 1);
        var dm = new DistributionMatching(new DmOptions { Iterations = 20, Init = SyntheticInit.Noise, BatchReal = 64 }).Condense(Request(data, 2, 5), CancellationToken.None);
        Assert.IsTrue(dm.Losses.TakeLast(4).Average() < 0.5 * dm.Losses.Take(4).Average(), $"DM losses {string.Join(", ", dm.Losses)}");
        var dc = new GradientMatching(new DcOptions { Iterations = 20, OuterLoop = 2, InnerLoop = 2, BatchReal = 64 }).Condense(Request(data, 2, 5, method: "dc"), CancellationToken.None);
        Assert.IsTrue(dc.Losses.TakeLast(4).Average() < 0.8 * dc.Losses.Take(4).Average(), $"DC losses {string.Join(", ", dc.Losses)}");
    }

    [TestMethod]
    public void DsaAndDmRunWithBatchNormNetworks()
    {
        using var data = NoisyTemplates.Make(64, seed: 2);
        var dsa = new GradientMatching(new DsaOptions { Iterations = 2, OuterLoop = 2, InnerLoop = 1, BatchReal = 32 }).Condense(Request(data, 2, 1, TinyBatchNorm, method: "dsa"), CancellationToken.None);
        var dm = new DistributionMatching(new DmOptions { Iterations = 2, BatchReal = 32 }).Condense(Request(data, 2, 1, TinyBatchNorm), CancellationToken.None);
        foreach (var result in new[] { dsa, dm })
        {
            Assert.IsTrue(result.Losses.All(double.IsFinite));
            Assert.IsTrue(result.Memory.Images.isfinite().all().item<bool>());
            CollectionAssert.AreEqual(new long[] { 0, 0, 1, 1 }, result.Memory.Labels.data<long>().ToArray());
        }
    }

    [TestMethod]
    public void DmImagesTrainBetterModelsThanRandomRealImages()
    {
        using var train = NoisyTemplates.Make(256, seed: 10);
        using var test = NoisyTemplates.Make(400, seed: 11);
        double Accuracy(LabeledDataset memory, long seed)
        {
            using var model = ModelFactory.Create(Tiny, memory.Shape, 2, seed);
            new Trainer(new TrainOptions { Epochs = 50, Lr = 0.01 }).Train(model, memory, seed, CancellationToken.None);
            return Evaluator.Evaluate(model, test).Accuracy;
        }
        var random = new List<double>();
        var dm = new List<double>();
        for (long seed = 0; seed < 3; seed++)
        {
            var request = Request(train, 1, seed);
            using var real = new RandomSelector(new RandomOptions()).Build(request, CancellationToken.None).Materialize(train);
            using var synthetic = new DistributionMatching(new DmOptions { Iterations = 20, PixelBits = 32 }).Build(request, CancellationToken.None).Materialize(train);
            random.Add(Accuracy(real, seed));
            dm.Add(Accuracy(synthetic, seed));
        }
        Assert.IsTrue(dm.Average() > random.Average() + 0.1, $"DM {string.Join(", ", dm)} vs random {string.Join(", ", random)}");
    }

    [TestMethod]
    public void AnInterruptedRunResumesToTheSameImages()
    {
        using var data = NoisyTemplates.Make(64, seed: 3);
        foreach (var (name, make) in new (string, Func<Synthesizer>)[]
                 {
                     ("dm", () => new DistributionMatching(new DmOptions { Iterations = 6, BatchReal = 32 })),
                     ("dsa", () => new GradientMatching(new DsaOptions { Iterations = 4, OuterLoop = 2, InnerLoop = 2, BatchReal = 32 })),
                     ("idm", () => new DistributionMatching(new IdmOptions { Iterations = 6, BatchReal = 16, PoolModels = 2, PoolSteps = 4, PoolSnapshots = 3, PixelBits = 8 })),
                     ("idm-dream", () => new DistributionMatching(new IdmOptions
                     {
                         Iterations = 6, BatchReal = 8, PoolModels = 1, PoolSteps = 2, PoolSnapshots = 2, Sampling = RealSampling.Dream, DreamInterval = 4, DreamPool = 32,
                     })),
                     ("idc-dream", () => new GradientMatching(new IdcOptions
                     {
                         Iterations = 4, OuterLoop = 3, NData = 16, BatchReal = 8, Sampling = RealSampling.Dream, DreamInterval = 2, DreamPool = 32,
                     })),
                 })
        {
            var folder = TempFolder();
            try
            {
                var whole = make().Condense(Request(data, 2, 7, method: name), CancellationToken.None);
                using var cancel = new CancellationTokenSource();
                Assert.ThrowsExactly<OperationCanceledException>(() =>
                    make().Condense(Request(data, 2, 7, checkpoints: folder, progress: new CancelAfter(2, cancel), method: name), cancel.Token));
                var resumed = make().Condense(Request(data, 2, 7, checkpoints: folder, method: name), CancellationToken.None);
                Assert.AreEqual(2, resumed.StartIteration, name);
                Assert.AreEqual(0, whole.Memory.SecondsBeforeResume, name);
                Assert.IsTrue(resumed.Memory.SecondsBeforeResume > 0, $"{name}: the 2 iterations before the resume took time");
                Assert.AreEqual(resumed.Seconds, resumed.Memory.SecondsBeforeResume + resumed.IterationSeconds.Sum(), 1e-9, $"{name}: total = before the resume + after");
                Assert.IsTrue(Identical(resumed.Memory.Images, whole.Memory.Images), $"{name}: resumed images differ");
                var again = make().Condense(Request(data, 2, 7, checkpoints: folder, method: name), CancellationToken.None);
                Assert.AreEqual(whole.Iterations, again.StartIteration, "a finished run resumes at its end");
                Assert.IsTrue(Identical(again.Memory.Images, whole.Memory.Images));
            }
            finally
            {
                if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
            }
        }
    }

    [TestMethod]
    public void ACheckpointIsKeptPerSettingAndNeverRewound()
    {
        using var data = NoisyTemplates.Make(16, seed: 6);
        var folder = TempFolder();
        try
        {
            new DistributionMatching(new DmOptions { Iterations = 2, BatchReal = 8 }).Build(Request(data, 1, 1, checkpoints: folder), CancellationToken.None);
            var other = new DistributionMatching(new DmOptions { Iterations = 1, BatchReal = 8, LrImg = 0.5 }).Condense(Request(data, 1, 1, checkpoints: folder), CancellationToken.None);
            Assert.AreEqual(0, other.StartIteration, "another lr_img is another setting");
            Assert.AreEqual(2, Directory.GetFiles(folder, "dm-*.ckpt").Length);
            var e = Assert.ThrowsExactly<CondensaException>(() =>
                new DistributionMatching(new DmOptions { Iterations = 1, BatchReal = 8 }).Build(Request(data, 1, 1, checkpoints: folder), CancellationToken.None));
            StringAssert.Contains(e.Message, "at iteration 2, beyond iterations = 1");
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void LabelsAreClassMajorForTheTargetClassesOnly()
    {
        using var data = NoisyTemplates.Make(32, seed: 4);
        var request = new MemoryRequest { Method = "dm", Source = data, Budget = Budget.ImagesPerClass(3), Architecture = Tiny, Classes = [1] };
        var memory = (SyntheticMemory)new DistributionMatching(new DmOptions { Iterations = 1, BatchReal = 16 }).Build(request, CancellationToken.None);
        CollectionAssert.AreEqual(new long[] { 1, 1, 1 }, memory.Labels.data<long>().ToArray());
        Assert.AreEqual(3, memory.Count);
    }

    [TestMethod]
    public void BadBudgetsAndOptionsAreReportedWithTheirValues()
    {
        using var data = NoisyTemplates.Make(4, seed: 5);
        var fraction = new MemoryRequest { Method = "dm", Source = data, Budget = new Budget(Fraction: 0.5), Architecture = Tiny };
        var e = Assert.ThrowsExactly<CondensaException>(() => new DistributionMatching(new DmOptions()).Build(fraction, CancellationToken.None));
        StringAssert.Contains(e.Message, "fraction 0.5");
        e = Assert.ThrowsExactly<CondensaException>(() => new DistributionMatching(new DmOptions()).Build(Request(data, 5, 0), CancellationToken.None));
        StringAssert.Contains(e.Message, "has 4 real images");
        e = Assert.ThrowsExactly<CondensaException>(() => new GradientMatching(new DsaOptions { DsaStrategy = "crop_blur" }).Build(Request(data, 1, 0, method: "dsa"), CancellationToken.None));
        StringAssert.Contains(e.Message, "blur");
    }

    [TestMethod]
    public void LoopsFollowTheReferenceTableAndTheThesisRuleElsewhere()
    {
        var options = new DcOptions();
        Assert.AreEqual((1, 1), options.Loops(1));
        Assert.AreEqual((10, 50), options.Loops(10));
        Assert.AreEqual((30, 20), options.Loops(30));
        Assert.AreEqual((40, 15), options.Loops(40));
        Assert.AreEqual((50, 10), options.Loops(50));
        Assert.AreEqual((5, 100), options.Loops(5));
        Assert.AreEqual((100, 5), options.Loops(100));
        Assert.AreEqual((3, 7), new DcOptions { OuterLoop = 3, InnerLoop = 7 }.Loops(10));
    }
}
