using System.Diagnostics;
using System.Globalization;
using Condensa.Data;
using Condensa.Memory;
using Condensa.Methods.Synthesis;
using Condensa.Runtime;
using Condensa.Training;
using static TorchSharp.torch;

namespace Condensa.Scenarios.Bench;

/// <summary>
/// The timing core of <c>tools/bench/condense</c>: seconds per DM iteration and per DC/DSA outer iteration on
/// Fashion-MNIST (60,000 training images, 10 classes), default ConvNet, real init, <c>batch_real</c> 256, in the given
/// precision (the real side and, for DC/DSA, the network's inner training). The first <c>--warmup</c> iterations run
/// untimed: the first pays for the allocator's and oneDNN's warm-up, and the .NET runtime recompiles the hot managed
/// code with its profile (tiered compilation) during about the first 10 DM iterations. The last line holds
/// <c>seconds_per_iteration</c>, which the bench compares with the PyTorch reference run beside it, and the GFLOP/s
/// achieved, counted from the model spec (<see cref="FlopsPerIteration"/>).
/// </summary>
internal static class CondenseBenchmark
{
    /// <summary>
    /// Runs <paramref name="untimed"/> untimed (default: 1 for DM, 0 for DC/DSA, whose outer iteration is long) and
    /// <paramref name="iterations"/> timed iterations of <paramref name="method"/> (dm, dc or dsa) at <paramref name="ipc"/> and prints the timings.
    /// </summary>
    public static int Run(string method, int ipc, int? untimed, int iterations, Training.Precision precision, TextWriter output)
    {
        int warmup = untimed ?? (method == "dm" ? 1 : 0);
        if (warmup < 0 || iterations < 1)
            throw new CondensaException($"bench condense: --warmup {warmup} --iterations {iterations}; allowed: a warm-up of 0 or more and at least 1 timed iteration");
        int total = warmup + iterations;
        SynthesisOptions options = method switch
        {
            "dm" => new DmOptions { Iterations = total, CheckpointEvery = 0, RealPrecision = precision },
            "dc" => new DcOptions { Iterations = total, Init = SyntheticInit.Real, CheckpointEvery = 0, RealPrecision = precision, InnerPrecision = precision },
            "dsa" => new DsaOptions { Iterations = total, CheckpointEvery = 0, RealPrecision = precision, InnerPrecision = precision },
            _ => throw new CondensaException($"unknown method '{method}' for the condensation benchmark; allowed: dm, dc, dsa"),
        };
        Synthesizer synthesizer = options switch
        {
            DmOptions dm => new DistributionMatching(dm),
            DcOptions dc => new GradientMatching(dc),
            _ => new GradientMatching((DsaOptions)options),
        };
        using var splits = DatasetCatalog.Load(new DatasetOptions(), seed: 0);
        output.WriteLine(FormattableString.Invariant(
            $"condense {method}: ipc {ipc}, {warmup} untimed and {iterations} timed iteration(s), {splits.Train.Name} ({splits.Train.Count} images), precision {precision}, {get_num_threads()} threads, load average {LoadAverage()}"));
        var printer = new IterationPrinter(output);
        var request = new MemoryRequest { Method = method, Source = splits.Train, Budget = Budget.ImagesPerClass(ipc), Seed = 0, Progress = printer };
        var result = synthesizer.Condense(request, CancellationToken.None);
        result.Memory.Dispose();
        double[] wall = [.. result.IterationSeconds.Skip(warmup)], cpu = [.. printer.CpuSeconds.Skip(warmup)];
        output.WriteLine(FormattableString.Invariant(
            $"seconds per {(method == "dm" ? "iteration" : "outer iteration")}: median {Median(wall):0.00}, min {wall.Min():0.00}, max {wall.Max():0.00} (over {wall.Length}); process CPU seconds per iteration {cpu.Average():0.00}"));
        var (forward, training) = Models.ModelFactory.Flops(Models.ArchitectureSpec.Default, splits.Train.Shape, splits.Train.NumClasses);
        double gflops = FlopsPerIteration(options, ipc, splits.Train.NumClasses, forward, training) / Median(wall) / 1e9;
        output.WriteLine(FormattableString.Invariant(
            $"seconds_per_iteration={Median(wall):0.000} cpu_seconds_per_iteration={cpu.Average():0.000} gflops={gflops:0.0} precision={(precision.IsBFloat16(CPU) ? "bfloat16" : "float32")}"));
        return 0;
    }

    /// <summary>
    /// Floating-point operations of one DM iteration or one DC/DSA outer iteration, from a network's <paramref name="forward"/>
    /// and <paramref name="training"/> (forward and backward) cost per image; augmentation and the optimizer are not
    /// counted. DM: per class, a forward pass of <c>batch_real</c> real images and a training pass of the ipc synthetic
    /// ones. DC/DSA: T outer steps of, per class, a training pass of <c>batch_real</c> real images and two of the ipc
    /// synthetic ones (their parameter gradient, then the gradient of the matching distance through it); between two
    /// outer steps, ζ_θ epochs of training passes over the synthetic set.
    /// </summary>
    internal static double FlopsPerIteration(SynthesisOptions options, int ipc, int classes, double forward, double training) => options switch
    {
        DmOptions dm => classes * (dm.BatchReal * forward + ipc * training),
        GradientMatchingOptions gm when gm.Loops(ipc) is var (outer, inner) =>
            outer * classes * (gm.BatchReal * training + 2.0 * ipc * training) + (outer - 1) * inner * (double)classes * ipc * training,
        _ => throw new ArgumentOutOfRangeException(nameof(options), options.GetType().Name, "no FLOP count for this synthesizer"),
    };

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
