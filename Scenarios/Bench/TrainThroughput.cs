using System.Diagnostics;
using Condensa.Data;
using Condensa.Models;
using Condensa.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Condensa.Scenarios.Bench;

/// <summary>
/// <c>condensa bench train-throughput</c>: images/s of one ConvNet on 10,000 Fashion-MNIST images, batch 256, no
/// augmentation, SGD with momentum (training: the <see cref="Trainer"/>'s step, <see cref="MasterWeights"/> in the
/// chosen precision) and an eval-mode forward without autograd over the 10,000 test images (inference). Prints the
/// achieved GFLOP/s (FLOPs of the convolutions and the classifier, <see cref="ModelFactory.Flops"/>); the last line
/// holds the numbers <c>tools/bench/train-throughput</c> compares with the PyTorch reference run beside it.
/// </summary>
internal static class TrainThroughput
{
    private const int Images = 10_000, Batch = 256;

    public static int Run(string arch, int epochs, Precision precision)
    {
        using var splits = DatasetCatalog.Load(new DatasetOptions(), seed: 0);
        using var train = splits.Train.Subset(Enumerable.Range(0, Images).Select(i => (long)i).ToArray());
        var test = splits.Test;
        var spec = ArchitectureSpec.Parse(arch);
        var (forward, training) = ModelFactory.Flops(spec, train.Shape, train.NumClasses);
        using var model = ModelFactory.Create(spec, train.Shape, train.NumClasses, seed: 0);
        bool bfloat16 = precision.IsBFloat16(CPU);
        var format = bfloat16 ? ScalarType.BFloat16 : ScalarType.Float32;
        Console.WriteLine($"train-throughput {spec} ({training / 1e9:0.000} GFLOP per training image, {forward / 1e9:0.000} per inference) on {train.Count} images, batch {Batch}, {(bfloat16 ? "bfloat16" : "float32")}, {get_num_threads()} threads");

        var trainRates = new List<double>();
        using (var weights = new MasterWeights(model, bfloat16, momentum: 0.9, weightDecay: 5e-4))
        {
            void TrainSteps(int steps)
            {
                model.train();
                for (int s = 0; s < steps; s++)
                {
                    using var scope = NewDisposeScope();
                    long start = (long)s * Batch % Images, n = Math.Min(Batch, Images - start);
                    var logits = model.call(train.Images.narrow(0, start, n).to(format)).to(ScalarType.Float32);
                    var loss = nn.functional.cross_entropy(logits, train.Labels.narrow(0, start, n));
                    weights.ZeroGrad();
                    loss.backward();
                    weights.Step(0.01);
                }
            }
            TrainSteps(3); // warm-up: allocator, oneDNN kernels, JIT
            for (int e = 0; e < epochs; e++)
            {
                var clock = Stopwatch.StartNew();
                TrainSteps((Images + Batch - 1) / Batch);
                trainRates.Add(Images / clock.Elapsed.TotalSeconds);
            }
        }
        var inferRates = new List<double>();
        using (bfloat16 ? new BFloat16Compute(model, keepBuffers: false) : null)
        {
            model.eval();
            for (int e = 0; e < Math.Max(2, epochs); e++)
            {
                var clock = Stopwatch.StartNew();
                using (inference_mode())
                    for (long start = 0; start < test.Count; start += Batch)
                    {
                        using var scope = NewDisposeScope();
                        model.call(test.Images.narrow(0, start, Math.Min(Batch, test.Count - start)).to(format));
                    }
                inferRates.Add(test.Count / clock.Elapsed.TotalSeconds);
            }
        }
        double trainRate = Median(trainRates), inferRate = Median(inferRates);
        Console.WriteLine($"training {string.Join(", ", trainRates.Select(r => $"{r:0}"))} images/s; inference {string.Join(", ", inferRates.Select(r => $"{r:0}"))} images/s");
        Console.WriteLine(FormattableString.Invariant(
            $"train_images_per_second={trainRate:0.0} inference_images_per_second={inferRate:0.0} train_gflops={trainRate * training / 1e9:0.0} inference_gflops={inferRate * forward / 1e9:0.0} precision={(bfloat16 ? "bfloat16" : "float32")}"));
        return 0;
    }

    internal static double Median(IReadOnlyList<double> xs)
    {
        var s = xs.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }
}
