using System.Diagnostics;
using Condensa.Data;
using Condensa.Memory;
using Condensa.Models;
using Condensa.Training;
using static TorchSharp.torch;

namespace Condensa.Scenarios.Bench;

/// <summary>
/// <c>condensa bench evaluate</c>: one evaluation of a memory the DC papers' way (<see cref="MemoryEvaluation.TrainAndTest"/>,
/// the product's own path): a fresh default ConvNet trained <c>epochs</c> on random real Fashion-MNIST images
/// (<c>images-per-class</c> of each class; SGD lr 0.01, momentum 0.9, weight decay 5e-4, batch 256, the rate x0.1 from
/// half the epochs, no augmentation), then tested on the 10,000 test images. Last line:
/// <c>seconds=X accuracy=Y gflops=Z precision=P</c> (GFLOP/s from the model spec's FLOPs, <see cref="ModelFactory.Flops"/>).
/// </summary>
internal static class EvaluationBench
{
    public static int Run(int imagesPerClass, int epochs, Precision precision)
    {
        using var splits = DatasetCatalog.Load(new DatasetOptions(), seed: 0);
        using var memory = DatasetSampling.SamplePerClass(splits.Train, imagesPerClass, seed: 0);
        var options = new TrainOptions { Epochs = epochs, BatchSize = 256, Lr = 0.01, Augmentation = "none", Precision = precision };
        Console.WriteLine($"evaluate: {epochs} epochs on {memory.Count} images, precision {precision} ({(precision.IsBFloat16(CPU) ? "bfloat16" : "float32")}), {get_num_threads()} threads");
        var clock = Stopwatch.StartNew();
        var result = MemoryEvaluation.TrainAndTest(memory, null, ArchitectureSpec.Default, options, [splits.Test], seed: 0, CPU, CancellationToken.None)[0];
        double seconds = clock.Elapsed.TotalSeconds;
        var (forward, training) = ModelFactory.Flops(ArchitectureSpec.Default, memory.Shape, memory.NumClasses);
        double gflops = ((double)epochs * memory.Count * training + splits.Test.Count * forward) / seconds / 1e9;
        Console.WriteLine(FormattableString.Invariant($"trained and tested in {seconds:0.0} s ({gflops:0.0} GFLOP/s), test accuracy {100 * result.Accuracy:0.00}%"));
        Console.WriteLine(FormattableString.Invariant(
            $"seconds={seconds:0.00} accuracy={result.Accuracy:0.0000} gflops={gflops:0.0} precision={(precision.IsBFloat16(CPU) ? "bfloat16" : "float32")}"));
        return 0;
    }
}
