using System.Diagnostics;
using System.Globalization;
using Condensa.Data;
using Condensa.Memory;
using Condensa.Training;
using static TorchSharp.torch;

namespace Condensa.Methods.Synthesis;

/// <summary>
/// The timing core of <c>tools/bench/condense</c>: seconds per DM iteration and per DC/DSA outer iteration on
/// Fashion-MNIST (60,000 training images, 10 classes), default ConvNet, real init, <c>batch_real</c> 256, in the given
/// precision (the real side and, for DC/DSA, the network's inner training). The first DM iteration also pays for the
/// allocator's and oneDNN's warm-up and is left out when there are others. The last line holds
/// <c>seconds_per_iteration</c>, which the bench compares with the PyTorch reference run beside it, and for DM the
/// GFLOP/s achieved (from the model spec: a forward pass per real image, forward and backward per synthetic image).
/// </summary>
public static class CondenseBenchmark
{
    /// <summary>Runs <paramref name="iterations"/> iterations of <paramref name="method"/> (dm, dc or dsa) at <paramref name="ipc"/> and prints the timings.</summary>
    public static int Run(string method, int ipc, int iterations, Training.Precision precision, TextWriter output)
    {
        Synthesizer synthesizer = method switch
        {
            "dm" => new DistributionMatching(new DmOptions { Iterations = iterations, CheckpointEvery = 0, RealPrecision = precision }),
            "dc" => new GradientMatching(new DcOptions { Iterations = iterations, Init = SyntheticInit.Real, CheckpointEvery = 0, RealPrecision = precision, InnerPrecision = precision }),
            "dsa" => new GradientMatching(new DsaOptions { Iterations = iterations, CheckpointEvery = 0, RealPrecision = precision, InnerPrecision = precision }),
            _ => throw new CondensaException($"unknown method '{method}' for the condensation benchmark; allowed: dm, dc, dsa"),
        };
        using var splits = DatasetCatalog.Load(new DatasetOptions(), seed: 0);
        output.WriteLine(FormattableString.Invariant(
            $"condense {method}: ipc {ipc}, {iterations} iteration(s), {splits.Train.Name} ({splits.Train.Count} images), precision {precision}, {get_num_threads()} threads, load average {LoadAverage()}"));
        var printer = new IterationPrinter(output);
        var request = new MemoryRequest { Method = method, Source = splits.Train, Budget = Budget.ImagesPerClass(ipc), Seed = 0, Progress = printer };
        var result = synthesizer.Condense(request, CancellationToken.None);
        result.Memory.Dispose();
        int skip = method == "dm" && iterations > 1 ? 1 : 0;
        double[] wall = [.. result.IterationSeconds.Skip(skip)], cpu = [.. printer.CpuSeconds.Skip(skip)];
        output.WriteLine(FormattableString.Invariant(
            $"seconds per {(method == "dm" ? "iteration" : "outer iteration")}: median {Median(wall):0.00}, min {wall.Min():0.00}, max {wall.Max():0.00} (over {wall.Length}); process CPU seconds per iteration {cpu.Average():0.00}"));
        var line = FormattableString.Invariant($"seconds_per_iteration={Median(wall):0.000} cpu_seconds_per_iteration={cpu.Average():0.000}");
        if (synthesizer is DistributionMatching dm)
        {
            // One DM iteration embeds batch_real real images per class and the ipc synthetic ones (forward and backward).
            var (forward, training) = Models.ModelFactory.Flops(Models.ArchitectureSpec.Default, splits.Train.Shape, splits.Train.NumClasses);
            int classes = splits.Train.NumClasses;
            double gflops = classes * (dm.Options.BatchReal * forward + ipc * training) / Median(wall) / 1e9;
            bool bfloat16 = precision.IsBFloat16(CPU);
            line += FormattableString.Invariant($" gflops={gflops:0.0} precision={(bfloat16 ? "bfloat16" : "float32")}");
        }
        output.WriteLine(line);
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
