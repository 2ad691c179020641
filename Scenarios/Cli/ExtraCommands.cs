using System.CommandLine;
using Condensa.Scenarios.Bench;
using Microsoft.Extensions.DependencyInjection;

namespace Condensa.Scenarios.Cli;

/// <summary>Verbs beyond run / validate / methods: benchmarks, workers and the status of a study store.</summary>
internal static class ExtraCommands
{
    public static IEnumerable<Command> Create(Option<bool> verbose)
    {
        var bench = new Command("bench", "Benchmarks against the PyTorch reference measured on this machine (tools/bench/*)");
        var epochs = new Option<int>("--epochs") { Description = "Timed passes over the 10,000 images", DefaultValueFactory = _ => 2 };
        var arch = new Option<string>("--arch") { Description = "Architecture", DefaultValueFactory = _ => Models.ArchitectureSpec.Default.ToString() };
        var throughput = new Command("train-throughput", "Training and inference images/s of a ConvNet on Fashion-MNIST (batch 256, no augmentation) vs the PyTorch reference") { epochs, arch };
        throughput.SetAction(pr => CondensaCli.Guard(pr.GetValue(verbose), _ => TrainThroughput.Run(pr.GetValue(arch)!, pr.GetValue(epochs))));
        bench.Subcommands.Add(throughput);

        var selArch = new Option<string>("--arch") { Description = "Selection-model architecture", DefaultValueFactory = _ => Models.ArchitectureSpec.Default.ToString() };
        var selEpochs = new Option<int>("--epochs") { Description = "Selection-model epochs recorded (not timed)", DefaultValueFactory = _ => 5 };
        var only = new Option<string[]>("--only") { Description = "Time only these selectors", AllowMultipleArgumentsPerToken = true };
        var selectors = new Command("selectors", "Seconds per selector to pick ipc 10 from all 60,000 Fashion-MNIST images, given recorded dynamics") { selArch, selEpochs, only };
        selectors.SetAction(pr => CondensaCli.Guard(pr.GetValue(verbose), host =>
            SelectorsBench.Run(host.Services.GetRequiredService<Memory.MemoryBuilderRegistry>(), pr.GetValue(selArch)!, pr.GetValue(selEpochs), pr.GetValue(only) ?? [])));
        bench.Subcommands.Add(selectors);

        var method = new Argument<string>("METHOD") { Description = "dm, dsa or dc" };
        var ipc = new Option<int>("--ipc") { Description = "Images per class", DefaultValueFactory = _ => 10 };
        var iterations = new Option<int>("--iterations") { Description = "Iterations timed (DM) or outer iterations (DC/DSA)", DefaultValueFactory = _ => 5 };
        var threads = new Option<int>("--threads") { Description = "libtorch threads (0 = one per core)" };
        var condense = new Command("condense", "Seconds per DM iteration / DC and DSA outer iteration on Fashion-MNIST vs the original PyTorch code") { method, ipc, iterations, threads };
        condense.SetAction(pr => CondensaCli.Guard(pr.GetValue(verbose), _ =>
            Methods.Synthesis.CondenseBenchmark.Run(pr.GetValue(method)!, pr.GetValue(ipc), pr.GetValue(iterations), Console.Out, pr.GetValue(threads))));
        bench.Subcommands.Add(condense);
        yield return bench;
        foreach (var command in WorkerCommands.Create(verbose)) yield return command;
    }
}
