using System.Diagnostics;
using Condensa.Data;
using Condensa.Models;
using Condensa.Training;
using Spectre.Console;
using TorchSharp;
using static TorchSharp.torch;

namespace Condensa.Scenarios.Bench;

/// <summary>
/// <c>tools/bench/train-throughput</c>: images/s of one ConvNet on 10,000 Fashion-MNIST images, batch 256, no
/// augmentation, SGD with momentum (training) and no-grad eval-mode forward over the 10,000 test images (inference),
/// beside the PyTorch reference measured on this machine (../shared/reference/pytorch-reference-fmnist.md §4d/§4e,
/// 2 threads): default glibc malloc train ≈ 190, inference ≈ 545 (474–615) images/s; with the tuned
/// GLIBC_TUNABLES train ≈ 410, inference ≈ 1,170. The reference row is picked by the allocator setting of this
/// process, so both sides are compared under the same one.
/// </summary>
public static class TrainThroughput
{
    private const int Images = 10_000, Batch = 256;

    public static int Run(string arch, int epochs)
    {
        bool tuned = (Environment.GetEnvironmentVariable("GLIBC_TUNABLES") ?? "").Contains("mmap_max=0", StringComparison.Ordinal);
        var (refTrain, refInfer) = tuned ? (410.0, 1170.0) : (190.0, 545.0);
        using var splits = DatasetCatalog.Load(new DatasetOptions(), seed: 0);
        using var train = splits.Train.Subset(Enumerable.Range(0, Images).Select(i => (long)i).ToArray());
        var test = splits.Test;
        var spec = ArchitectureSpec.Parse(arch);
        using var model = ModelFactory.Create(spec, train.Shape, train.NumClasses, seed: 0);
        using var optimizer = optim.SGD(model.parameters(), 0.01, momentum: 0.9, weight_decay: 5e-4);
        AnsiConsole.MarkupLineInterpolated($"[bold]train-throughput[/] {spec} on {train.Count} Fashion-MNIST images, batch {Batch}, {get_num_threads()} threads, allocator: {(tuned ? "tuned GLIBC_TUNABLES" : "glibc default")}");

        void TrainEpoch(int steps)
        {
            model.train();
            for (int s = 0; s < steps; s++)
            {
                using var scope = NewDisposeScope();
                long start = (long)s * Batch % Images, n = Math.Min(Batch, Images - start);
                var loss = nn.functional.cross_entropy(model.call(train.Images.narrow(0, start, n)), train.Labels.narrow(0, start, n));
                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
            }
        }
        void Infer()
        {
            model.eval();
            using var _ = inference_mode();
            for (long start = 0; start < test.Count; start += Batch)
            {
                using var scope = NewDisposeScope();
                model.call(test.Images.narrow(0, start, Math.Min(Batch, test.Count - start)));
            }
        }

        TrainEpoch(3); // warm-up: allocator, oneDNN kernels, JIT
        var trainRates = new List<double>();
        int stepsPerEpoch = (Images + Batch - 1) / Batch;
        for (int e = 0; e < epochs; e++)
        {
            var clock = Stopwatch.StartNew();
            TrainEpoch(stepsPerEpoch);
            trainRates.Add(Images / clock.Elapsed.TotalSeconds);
        }
        var inferRates = new List<double>();
        for (int e = 0; e < Math.Max(2, epochs); e++)
        {
            var clock = Stopwatch.StartNew();
            Infer();
            inferRates.Add(test.Count / clock.Elapsed.TotalSeconds);
        }
        double trainRate = Median(trainRates), inferRate = Median(inferRates);
        var table = new Table().AddColumns("", "Condensa (images/s)", "PyTorch reference (images/s)", "ratio");
        table.AddRow("training", $"{trainRate:0}", $"{refTrain:0}", $"{trainRate / refTrain:0.00}x");
        table.AddRow("inference", $"{inferRate:0}", $"{refInfer:0}", $"{inferRate / refInfer:0.00}x");
        AnsiConsole.Write(table);
        Console.WriteLine($"train_epochs_images_per_second=[{string.Join(", ", trainRates.Select(r => r.ToString("0")))}] inference=[{string.Join(", ", inferRates.Select(r => r.ToString("0")))}]");
        Console.WriteLine($"train_throughput_ratio={trainRate / refTrain:0.00} inference_throughput_ratio={inferRate / refInfer:0.00}");
        return 0;
    }

    private static double Median(List<double> xs)
    {
        var s = xs.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }
}
