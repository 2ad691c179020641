using System.Diagnostics;
using System.Globalization;
using Condensa.Data;
using Condensa.Memory;
using static TorchSharp.torch;

namespace Condensa.Methods.Synthesis;

/// <summary>
/// The timing core of <c>tools/bench/condense</c>: seconds per DM iteration and per DC/DSA outer iteration on
/// Fashion-MNIST (the data catalog's default options: 60,000 training images, 10 classes), default ConvNet, real init,
/// <c>batch_real</c> 256, beside the PyTorch reference measured on this machine with 2 threads
/// (../shared/reference/pytorch-reference-fmnist.md §0, §4e): DM 3.54 s (glibc default malloc) / 2.63 s (tuned
/// GLIBC_TUNABLES); DSA 309 / 193 s; DC 277 s (default malloc only). The reference column follows this process's allocator
/// setting, so both sides are compared under the same one.
/// </summary>
public static class CondenseBenchmark
{
    /// <summary>Runs <paramref name="iterations"/> iterations of <paramref name="method"/> (dm, dc or dsa) at <paramref name="ipc"/> and prints the timings.</summary>
    /// <param name="threads">libtorch intra-op threads (0: leave the default). On a machine shared with other jobs, 1 thread gives
    /// CPU times free of the spin-waiting that oversubscribed OpenMP threads add.</param>
    public static int Run(string method, int ipc, int iterations, TextWriter output, int threads = 0)
    {
        if (threads > 0) set_num_threads(threads);
        bool tuned = (Environment.GetEnvironmentVariable("GLIBC_TUNABLES") ?? "").Contains("mmap_max=0", StringComparison.Ordinal);
        Synthesizer synthesizer = method switch
        {
            "dm" => new DistributionMatching(new DmOptions { Iterations = iterations, CheckpointEvery = 0 }),
            "dc" => new GradientMatching(new DcOptions { Iterations = iterations, Init = SyntheticInit.Real, CheckpointEvery = 0 }),
            "dsa" => new GradientMatching(new DsaOptions { Iterations = iterations, CheckpointEvery = 0 }),
            _ => throw new CondensaException($"unknown method '{method}' for the condensation benchmark; allowed: dm, dc, dsa"),
        };
        double? reference = (method, tuned) switch
        {
            ("dm", false) => 3.54,
            ("dm", true) => 2.63,
            ("dsa", false) => 309,
            ("dsa", true) => 193,
            ("dc", false) => 277,
            _ => null,
        };
        using var splits = DatasetCatalog.Load(new DatasetOptions(), seed: 0);
        output.WriteLine(FormattableString.Invariant(
            $"condense {method}: ipc {ipc}, {iterations} iteration(s), {splits.Train.Name} ({splits.Train.Count} images), {get_num_threads()} threads, allocator: {(tuned ? "tuned GLIBC_TUNABLES" : "glibc default")}, load average {LoadAverage()}"));
        var printer = new IterationPrinter(output);
        var request = new MemoryRequest { Method = method, Source = splits.Train, Budget = Budget.ImagesPerClass(ipc), Seed = 0, Progress = printer };
        var result = synthesizer.Condense(request, CancellationToken.None);
        result.Memory.Dispose();
        // The first DM iteration also pays for allocator and kernel warm-up; it is left out when there are others.
        int skip = method == "dm" && iterations > 1 ? 1 : 0;
        double[] wall = [.. result.IterationSeconds.Skip(skip)], cpu = [.. printer.CpuSeconds.Skip(skip)];
        double mean = wall.Average();
        output.WriteLine(FormattableString.Invariant(
            $"seconds per {(method == "dm" ? "iteration" : "outer iteration")}: mean {mean:0.00}, median {Median(wall):0.00}, min {wall.Min():0.00}, max {wall.Max():0.00} (over {wall.Length}); process CPU seconds per iteration: mean {cpu.Average():0.00}; reference {(reference is { } r ? $"{r:0.00} s wall (≈ {2 * r:0.0} CPU s on 2 busy threads), ratio {mean / r:0.00}x" : "not measured for this allocator")}; load average now {LoadAverage()}"));
        output.WriteLine(FormattableString.Invariant($"condense_{method}_seconds_per_iteration={mean:0.000} cpu_seconds_per_iteration={cpu.Average():0.000}"));
        return 0;
    }

    private static double Median(double[] xs)
    {
        var s = xs.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    /// <summary>Prints one line per completed iteration with its wall and process CPU time (CPU time is less sensitive to other load on the machine).</summary>
    private sealed class IterationPrinter(TextWriter output) : IProgressSink, IProgressTask
    {
        private Stopwatch _clock = Stopwatch.StartNew();
        private TimeSpan _cpu = Process.GetCurrentProcess().TotalProcessorTime;
        private int _done;
        private string _status = "";

        public List<double> CpuSeconds { get; } = [];

        public IProgressTask Start(string description, double total) => this;

        public void Increment(double amount = 1)
        {
            if (amount <= 0) return;
            _done += (int)amount;
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            CpuSeconds.Add((cpu - _cpu).TotalSeconds);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  iteration {_done}: {_clock.Elapsed.TotalSeconds:0.00} s, CPU {CpuSeconds[^1]:0.00} s, {_status}, load average {LoadAverage()}"));
            (_clock, _cpu) = (Stopwatch.StartNew(), cpu);
        }

        public void Status(string status) => _status = status;

        public void Dispose() { }
    }
}
