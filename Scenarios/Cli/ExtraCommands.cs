using System.CommandLine;
using Condensa.Scenarios.Bench;
using Microsoft.Extensions.DependencyInjection;

namespace Condensa.Scenarios.Cli;

/// <summary>Verbs beyond run / validate / methods: benchmarks, workers and the status of a study store.</summary>
internal static class ExtraCommands
{
    public static IEnumerable<Command> Create(Option<bool> verbose)
    {
        var bench = new Command("bench", "Benchmarks: the C# side of tools/bench/*, which run the PyTorch reference beside them");
        Command Bench(string name, string description, Func<ParseResult, Microsoft.Extensions.Hosting.IHost, int> run, params Symbol[] symbols)
        {
            var threads = new Option<int>("--threads") { Description = "libtorch threads (0 = one per core)" };
            var command = new Command(name, description) { threads };
            foreach (var symbol in symbols)
                if (symbol is Option option) command.Options.Add(option);
                else command.Arguments.Add((Argument)symbol);
            command.SetAction(pr => CondensaCli.Guard(pr.GetValue(verbose), host =>
            {
                if (pr.GetValue(threads) is > 0 and var t) TorchSharp.torch.set_num_threads(t);
                Runtime.LibTorchSwitches.Apply();
                return run(pr, host);
            }));
            bench.Subcommands.Add(command);
            return command;
        }
        Option<Training.Precision> Precision() => new("--precision") { Description = "auto, float32 or bfloat16", DefaultValueFactory = _ => Training.Precision.Auto };

        var epochs = new Option<int>("--epochs") { Description = "Timed passes over the 10,000 images", DefaultValueFactory = _ => 2 };
        var arch = new Option<string>("--arch") { Description = "Architecture", DefaultValueFactory = _ => Models.ArchitectureSpec.Default.ToString() };
        var throughputPrecision = Precision();
        Bench("train-throughput", "Training and inference images/s of a ConvNet on Fashion-MNIST (batch 256, no augmentation)",
            (pr, _) => TrainThroughput.Run(pr.GetValue(arch)!, pr.GetValue(epochs), pr.GetValue(throughputPrecision)), epochs, arch, throughputPrecision);

        var repeats = new Option<int>("--repeats") { Description = "Timed runs of each kernel (the best counts)", DefaultValueFactory = _ => 20 };
        Bench("peak", "This machine's convolution and matrix-product GFLOP/s in float32 and bfloat16", (pr, _) => Peak.Run(pr.GetValue(repeats)), repeats);

        var imagesPerClass = new Option<int>("--images-per-class") { Description = "Memory size per class", DefaultValueFactory = _ => 10 };
        var evalEpochs = new Option<int>("--epochs") { Description = "Training epochs", DefaultValueFactory = _ => 300 };
        var evalPrecision = Precision();
        Bench("evaluate", "Seconds of one evaluate_synset: a fresh ConvNet trained on a memory of real images, then tested",
            (pr, _) => EvaluationBench.Run(pr.GetValue(imagesPerClass), pr.GetValue(evalEpochs), pr.GetValue(evalPrecision)), imagesPerClass, evalEpochs, evalPrecision);

        var selArch = new Option<string>("--arch") { Description = "Selection-model architecture", DefaultValueFactory = _ => Models.ArchitectureSpec.Default.ToString() };
        var selEpochs = new Option<int>("--epochs") { Description = "Selection-model epochs recorded (not timed)", DefaultValueFactory = _ => 5 };
        var only = new Option<string[]>("--only") { Description = "Time only these selectors", AllowMultipleArgumentsPerToken = true };
        var everyClass = new Option<bool>("--every-class") { Description = "Also run DeepFool testing every class and count the picks it shares", DefaultValueFactory = _ => true };
        Bench("selectors", "Seconds per selector to pick ipc 10 from all 60,000 Fashion-MNIST images, given recorded dynamics",
            (pr, host) => SelectorsBench.Run(host.Services.GetRequiredService<Memory.MemoryBuilderRegistry>(), pr.GetValue(selArch)!, pr.GetValue(selEpochs), pr.GetValue(only) ?? [], pr.GetValue(everyClass)), selArch, selEpochs, only, everyClass);

        var method = new Argument<string>("METHOD") { Description = "dm, dsa or dc" };
        var ipc = new Option<int>("--ipc") { Description = "Images per class", DefaultValueFactory = _ => 10 };
        var iterations = new Option<int>("--iterations") { Description = "Iterations timed (DM) or outer iterations (DC/DSA)", DefaultValueFactory = _ => 5 };
        var warmup = new Option<int?>("--warmup") { Description = "Iterations run first and not timed (default: 1 for dm, 0 for dc and dsa)" };
        var condensePrecision = Precision();
        Bench("condense", "Seconds per DM iteration / DC and DSA outer iteration on Fashion-MNIST",
            (pr, _) => Condensa.Scenarios.Bench.CondenseBenchmark.Run(pr.GetValue(method)!, pr.GetValue(ipc), pr.GetValue(warmup), pr.GetValue(iterations), pr.GetValue(condensePrecision), Console.Out),
            method, ipc, warmup, iterations, condensePrecision);
        yield return bench;
        foreach (var command in WorkerCommands.Create(verbose)) yield return command;
        yield return ServeCommand.Create(verbose);
    }
}
