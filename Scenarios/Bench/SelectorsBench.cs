using System.Diagnostics;
using Condensa.Data;
using Condensa.Memory;
using Condensa.Methods.Selection.Dynamics;
using Condensa.Methods.Selection.Scores;
using Condensa.Models;
using Spectre.Console;

namespace Condensa.Scenarios.Bench;

/// <summary>
/// <c>tools/bench/selectors</c>: seconds each registered selector takes to pick ipc 10 from all 60,000 Fashion-MNIST
/// training images, given the recorded training dynamics and embeddings (recorded once, beforehand, and not timed;
/// the target is under 60 s per selector on 2 cores). GraNd's repeated trainings are training, not selection:
/// it is timed with repeat = 1 (its other repeats cost one recording each). DeepFool, whose default tests the runner-up
/// class only, is run a second time testing every class, and the bench prints how many picks the two share.
/// </summary>
internal static class SelectorsBench
{
    public static int Run(MemoryBuilderRegistry registry, string arch, int epochs, IReadOnlyCollection<string> only, bool everyClass)
    {
        using var splits = DatasetCatalog.Load(new DatasetOptions(), seed: 0);
        var train = splits.Train;
        using var recordings = new InMemoryArtifactCache();
        MemoryRequest Request(string method) => new()
        {
            Method = method, Source = train, Budget = Budget.ImagesPerClass(10), Architecture = ArchitectureSpec.Parse(arch), Seed = 0, Cache = recordings,
        };
        AnsiConsole.MarkupLineInterpolated($"[bold]selectors[/]: ipc 10 from {train.Count} images; selection model {arch}, {epochs} epochs, checkpoints after every epoch");
        var clock = Stopwatch.StartNew();
        TrainingDynamics.For(Request("recording"), new SelectionModelOptions { SelectionEpochs = epochs }, Enumerable.Range(1, epochs).ToArray(), CancellationToken.None);
        Console.WriteLine($"recording (not timed below): {clock.Elapsed.TotalSeconds:0.0} s");

        var table = new Table().AddColumns("selector", "seconds", "images", "under 60 s");
        var line = new List<string>();
        (MemorySet? Memory, double Seconds) Time(string method, object options, string? label = null)
        {
            var name = label ?? method;
            var builder = registry.Create(new Config.MethodSpec { Name = method, Options = options });
            clock.Restart();
            MemorySet memory;
            try { memory = builder.Build(Request(method), CancellationToken.None); }
            catch (CondensaException e)
            {
                // a selector that cannot run on this recording (e.g. tdds needs 3 epochs) is reported, and the others still run
                table.AddRow(Markup.Escape(name), "-", "-", Markup.Escape(e.Message));
                Console.WriteLine($"{name}: skipped: {e.Message}");
                return (null, 0);
            }
            double seconds = clock.Elapsed.TotalSeconds;
            table.AddRow(Markup.Escape(name), $"{seconds:0.00}", memory.Count.ToString(), seconds < 60 ? "yes" : "[red]no[/]");
            line.Add($"{name.Replace(' ', '_')}={seconds:0.00}");
            Console.WriteLine($"{name}: {seconds:0.00} s");
            return (memory, seconds);
        }
        foreach (var r in registry.All.Where(r => r.Kind == "selector" && (only.Count == 0 || only.Contains(r.Name))))
        {
            var options = Activator.CreateInstance(r.OptionsType)!;
            if (options is SelectionModelOptions s) s.SelectionEpochs = epochs;
            foreach (var (name, value) in new (string, object)[] { ("Repeat", 1), ("Checkpoints", epochs), ("TrajectoryEpochs", Math.Max(3, epochs)), ("StopEpoch", epochs), ("ScoreEpochs", epochs) })
                if (r.OptionsType.GetProperty(name) is { } p && p.CanWrite) p.SetValue(options, value);
            var (forwardImages, gradientImages) = (DeepFoolSelector.ForwardImages, DeepFoolSelector.GradientImages);
            var (memory, seconds) = Time(r.Name, options);
            if (memory is null) continue;
            if (options is DeepFoolOptions)
            {
                // FLOPs from the model spec: a forward per image of a forward pass, about as much per image of an input-gradient pass
                long images = DeepFoolSelector.ForwardImages - forwardImages + DeepFoolSelector.GradientImages - gradientImages;
                double gflops = images * ModelFactory.Flops(ArchitectureSpec.Parse(arch), train.Shape, train.NumClasses).Forward / seconds / 1e9;
                Console.WriteLine($"deepfool: {DeepFoolSelector.ForwardImages - forwardImages} images through forward passes, {DeepFoolSelector.GradientImages - gradientImages} through input-gradient passes, {gflops:0.0} GFLOP/s in float32");
                line.Add(FormattableString.Invariant($"gflops={gflops:0.0} precision=float32"));
            }
            if (everyClass && options is DeepFoolOptions deepFool)
            {
                deepFool.CandidateClasses = train.NumClasses;
                var (every, everySeconds) = Time(r.Name, deepFool, "deepfool (every class)");
                var shared = ((SelectedMemory)memory).Indices.Intersect(((SelectedMemory)every!).Indices).Count();
                Console.WriteLine($"deepfool: {shared} of {memory.Count} picks shared with testing every class ({everySeconds:0.00} s)");
            }
        }
        AnsiConsole.Write(table);
        Console.WriteLine("selector_seconds " + string.Join(" ", line));
        return 0;
    }
}
