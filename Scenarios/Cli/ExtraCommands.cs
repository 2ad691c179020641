using System.CommandLine;
using Condensa.Scenarios.Bench;

namespace Condensa.Scenarios.Cli;

/// <summary>Verbs beyond run / validate / methods: benchmarks.</summary>
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
        yield return bench;
        yield return ArchitectureSearch.NasCommands.Create(verbose);
    }
}
