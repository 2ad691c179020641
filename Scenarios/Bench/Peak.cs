using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace Condensa.Scenarios.Bench;

/// <summary>
/// <c>condensa bench peak</c>: this machine's limit for the work the benchmarks time, measured now: GFLOP/s of a
/// convolution shaped like the default ConvNet's largest layer (256 images, 128 to 128 channels, 16x16, 3x3, padding 1;
/// 19.3 GFLOP) and of a 2048 x 2048 matrix product (17.2 GFLOP), each in float32 and bfloat16, forward only, the best of
/// several runs after a warm-up. The benches report their achieved GFLOP/s as a fraction of these.
/// </summary>
internal static class Peak
{
    public static int Run(int repeats)
    {
        var results = new List<string>();
        foreach (var (name, dtype) in new[] { ("float32", ScalarType.Float32), ("bfloat16", ScalarType.BFloat16) })
        {
            using var scope = NewDisposeScope();
            using var _ = inference_mode();
            var x = randn(256, 128, 16, 16).to(dtype);
            var w = randn(128, 128, 3, 3).to(dtype);
            double conv = Best(() => nn.functional.conv2d(x, w, padding: [1, 1]).Dispose(), 2.0 * 256 * 16 * 16 * 128 * 128 * 9, repeats);
            var a = randn(2048, 2048).to(dtype);
            var b = randn(2048, 2048).to(dtype);
            double matmul = Best(() => a.matmul(b).Dispose(), 2.0 * 2048 * 2048 * 2048, repeats);
            Console.WriteLine($"{name}: convolution {conv:0} GFLOP/s, matrix product {matmul:0} GFLOP/s ({get_num_threads()} threads)");
            results.Add(FormattableString.Invariant($"conv_{name}_gflops={conv:0.0} matmul_{name}_gflops={matmul:0.0}"));
        }
        Console.WriteLine(string.Join(' ', results));
        return 0;
    }

    /// <summary>The best GFLOP/s of <paramref name="repeats"/> timed runs of <paramref name="work"/> after two untimed ones.</summary>
    private static double Best(Action work, double flops, int repeats)
    {
        work();
        work();
        double best = 0;
        for (int i = 0; i < repeats; i++)
        {
            var clock = Stopwatch.StartNew();
            work();
            best = Math.Max(best, flops / clock.Elapsed.TotalSeconds / 1e9);
        }
        return best;
    }
}
