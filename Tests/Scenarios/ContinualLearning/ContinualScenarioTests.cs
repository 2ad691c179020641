using System.Text.Json.Nodes;
using Condensa.Data;
using Condensa.Hosting;
using Condensa.Config;
using Condensa.Memory;
using Condensa.Models;
using Condensa.Methods.Selection;
using Condensa.Methods.Synthesis;
using Condensa.Scenarios.ContinualLearning;
using Condensa.Study;
using Condensa.Training;
using Condensa.Work;
using Condensa.Tests.Support;

using static TorchSharp.torch;

namespace Condensa.Tests.Scenarios.ContinualLearning;

[TestClass]
public sealed class ContinualScenarioTests
{
    private const string Tiny = "convnet-w32-d1-instancenorm-relu-avgpool";

    private static ContinualOptions Options(params ContinualStrategy[] strategies) => new()
    {
        Scenario = "continual", Seed = 7, Steps = 2, Seeds = 1, Arch = Tiny,
        Builders = [new MethodSpec { Name = "random", Options = new RandomOptions() }],
        Strategies = [.. strategies],
        Memory = new MemoryPolicyOptions { PerClass = 8 },
        Gdumb = new GdumbOptions { Models = 2, Train = new TrainOptions { Epochs = 12, BatchSize = 16, Lr = 0.05 } },
        Eeil = new EeilOptions { Iterations = 40, FinetuneIterations = 8, BatchSize = 16, Lr = 0.05 },
    };

    private static JsonNode Results(string dir) => JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "results.json")))!;

    /// <summary>The numbers of every run: per step the accuracy, the model accuracies and the accuracy-matrix row.</summary>
    private static string Numbers(JsonNode results) =>
        string.Join("\n", results["runs"]!.AsArray().Select(r => $"{r!["strategy"]}/{r["builder"]}: " +
            string.Join(" | ", r["steps"]!.AsArray().Select(s => $"{s!["accuracy"]} {s["model_accuracies"]!.ToJsonString()} {s["accuracy_row"]!.ToJsonString()}"))));

    [TestMethod]
    public void AResumedRunEqualsAnUninterruptedOne()
    {
        using var train = ContinualTestData.Patches(4, 24, seed: 1);
        using var test = ContinualTestData.Patches(4, 10, seed: 2);
        using var folder = new TempRunFolder();
        var o = Options(ContinualStrategy.Gdumb, ContinualStrategy.Eeil);

        var straight = folder.PathOf("straight");
        ContinualScenario.RunStudy(ContinualTestData.Context(straight, new RecordingLogger()), o, ContinualStream.ByClass(train, test), CancellationToken.None);

        // stop the EEIL run right after its first step (as Ctrl+C would), then continue in the same directory
        var resumed = folder.PathOf("resumed");
        using var cancel = new CancellationTokenSource();
        var first = new RecordingLogger(m => { if (m.StartsWith("eeil-random-seed0: step 1/2 done")) cancel.Cancel(); });
        Assert.ThrowsExactly<OperationCanceledException>(() => ContinualScenario.RunStudy(ContinualTestData.Context(resumed, first), o, ContinualStream.ByClass(train, test), cancel.Token));
        Assert.AreEqual("cancelled", Results(resumed)["status"]!.GetValue<string>());
        var eeilCheckpoints = Directory.GetDirectories(Path.Combine(resumed, "checkpoints"), "eeil-random-seed0-*").Single();
        Assert.IsTrue(File.Exists(Path.Combine(eeilCheckpoints, "step1-model.bin")));
        Assert.IsFalse(File.Exists(Path.Combine(eeilCheckpoints, "step2.json")));
        var stopped = StoredUnits.Single(resumed);
        Assert.AreEqual(TrialState.Complete, Unit(stopped, "gdumb").State);
        Assert.AreEqual((TrialState.Waiting, 0), (Unit(stopped, "eeil").State, Unit(stopped, "eeil").Attempts), "the stopped unit is back in the queue, its attempt given back");

        ContinualScenario.RunStudy(ContinualTestData.Context(resumed, new RecordingLogger()), o, ContinualStream.ByClass(train, test), CancellationToken.None);
        var units = StoredUnits.Single(resumed);
        Assert.AreEqual(1, Unit(units, "gdumb").Attempts, "the finished gdumb run is not redone");
        Assert.AreEqual(1, Unit(units, "eeil").Attempts);
        Assert.AreEqual(1, Unit(units, "eeil").UserAttrs["steps_from_checkpoint"].GetInt32(), "eeil continues from its step-1 checkpoint");

        var expected = Results(straight);
        var actual = Results(resumed);
        Assert.AreEqual("completed", actual["status"]!.GetValue<string>());
        Assert.AreEqual(Numbers(expected), Numbers(actual));
        Assert.AreEqual(WithoutTimes(expected["summary"]!), WithoutTimes(actual["summary"]!));

        // a changed gdumb setting: the gdumb run is computed again from scratch, the eeil run is still reused
        o.Gdumb.Train.Epochs = 13;
        var before = StoredUnits.StudyNames(resumed);
        ContinualScenario.RunStudy(ContinualTestData.Context(resumed, new RecordingLogger()), o, ContinualStream.ByClass(train, test), CancellationToken.None);
        var changed = StoredUnits.Of(resumed, StoredUnits.StudyNames(resumed).Except(before).Single());
        Assert.AreEqual((1, 0), (Unit(changed, "gdumb").Attempts, Unit(changed, "gdumb").UserAttrs["steps_from_checkpoint"].GetInt32()), "both gdumb steps trained again");
        Assert.AreEqual((TrialState.Complete, 0), (Unit(changed, "eeil").State, Unit(changed, "eeil").Attempts), "the eeil run is reused as it was");
        Assert.HasCount(1, Directory.GetDirectories(Path.Combine(resumed, "checkpoints"), "gdumb-random-seed0-*"), "the old setting's checkpoints are dropped");
    }

    /// <summary>
    /// <c>memory.sizes</c> runs every (strategy, builder, class order) once per size, and a size's run is the run of a
    /// config with that size alone: after a run with 4 per class, a sweep of 2 and 4 in the same folder reuses the
    /// size-4 unit (never started again, the same numbers) and runs size 2 only; the report gains the table and plot of
    /// final accuracy against memory size.
    /// </summary>
    [TestMethod]
    public void AMemorySweepRunsEachSizeAsTheRunOfThatSizeAlone()
    {
        using var train = ContinualTestData.Patches(4, 24, seed: 1);
        using var test = ContinualTestData.Patches(4, 10, seed: 2);
        using var folder = new TempRunFolder();
        var dir = folder.PathOf("sweep");
        var alone = Options(ContinualStrategy.Gdumb);
        alone.Memory = new MemoryPolicyOptions { PerClass = 4 };
        var four = ContinualScenario.RunStudy(ContinualTestData.Context(dir, new RecordingLogger()), alone, ContinualStream.ByClass(train, test), CancellationToken.None).Single();
        var before = StoredUnits.StudyNames(dir);

        var sweep = Options(ContinualStrategy.Gdumb);
        sweep.Memory = new MemoryPolicyOptions { PerClass = 4, Sizes = [2, 4] };
        var runs = ContinualScenario.RunStudy(ContinualTestData.Context(dir, new RecordingLogger()), sweep, ContinualStream.ByClass(train, test), CancellationToken.None);
        CollectionAssert.AreEquivalent(new int?[] { 2, 4 }, runs.Select(r => r.MemorySize).ToArray());
        var units = StoredUnits.Of(dir, StoredUnits.StudyNames(dir).Except(before).Single());
        var reused = units.Single(u => u.Params["memory_size"].GetInt32() == 4);
        Assert.AreEqual((TrialState.Complete, 0), (reused.State, reused.Attempts), "the size-4 run is the earlier run, reused");
        Assert.AreEqual(1, units.Single(u => u.Params["memory_size"].GetInt32() == 2).Attempts);
        CollectionAssert.AreEqual(four.Steps.Select(s => s.Accuracy).ToArray(), runs.Single(r => r.MemorySize == 4).Steps.Select(s => s.Accuracy).ToArray());
        CollectionAssert.AreEqual(new[] { 4, 8 }, runs.Single(r => r.MemorySize == 2).Steps.Select(s => s.MemoryImages).ToArray(), "2 per class of 2, then 4 classes");

        var md = File.ReadAllText(Path.Combine(dir, "results.md"));
        StringAssert.Contains(md, "| strategy | builder | memory | step 1 (2) |");
        StringAssert.Contains(md, "| gdumb | random | 2 per class |");
        StringAssert.Contains(md, "Final accuracy (%) against memory size (per class)");
        StringAssert.Contains(md, "| strategy + builder | 2 per class | 4 per class |");
        Assert.IsTrue(File.Exists(Path.Combine(dir, "final_vs_memory.png")));
        var summary = Results(dir)["summary"]!.AsArray();
        CollectionAssert.AreEquivalent(new[] { 2, 4 }, summary.Select(x => x!["memory_size"]!.GetValue<int>()).ToArray());
    }

    [TestMethod]
    public void MemorySizesMustBePositiveAndDistinct()
    {
        foreach (var (sizes, message) in new (List<int>, string)[] { ([], "at least 1 image"), ([0, 5], "at least 1 image"), ([5, 5], "a size appears more than once") })
        {
            var o = Options(ContinualStrategy.Gdumb);
            o.Memory = new MemoryPolicyOptions { PerClass = 4, Sizes = sizes };
            var errors = new List<string>();
            o.Validate((key, text) => errors.Add($"{key}: {text}"));
            Assert.IsTrue(errors.Any(e => e.StartsWith("memory.sizes:") && e.Contains(message)), string.Join("; ", errors));
        }
    }

    private static FrozenTrial Unit(IEnumerable<FrozenTrial> units, string strategy) => units.Single(u => u.Params["strategy"].GetString() == strategy);

    private static string WithoutTimes(JsonNode summary)
    {
        var copy = summary.DeepClone().AsArray();
        foreach (var row in copy) row!.AsObject().Remove("seconds_mean");
        return copy.ToJsonString();
    }

    /// <summary>One EEIL run without distillation: the memory alone; without a memory it is plain fine-tuning step after step.</summary>
    private static ContinualRun RehearsalOnly(ContinualStream stream, int perClass, string dir)
    {
        var o = Options(ContinualStrategy.Eeil);
        o.Memory = new MemoryPolicyOptions { PerClass = perClass };
        o.Eeil.Kd = false;
        return ContinualScenario.RunStudy(ContinualTestData.Context(dir, new RecordingLogger()), o, stream, CancellationToken.None).Single();
    }

    /// <summary>The EEIL model after each of the 2 steps of a run of <paramref name="o"/> in <paramref name="dir"/>, as the run's checkpoints hold it.</summary>
    private static byte[][] EeilModelsAfterEachStep(ContinualOptions o, string dir)
    {
        using var train = ContinualTestData.Patches(4, 24, seed: 5);
        using var test = ContinualTestData.Patches(4, 10, seed: 6);
        ContinualScenario.RunStudy(ContinualTestData.Context(dir, new RecordingLogger()), o, ContinualStream.ByClass(train, test), CancellationToken.None);
        var checkpoints = Directory.GetDirectories(Path.Combine(dir, "checkpoints"), "eeil-*").Single();
        return [File.ReadAllBytes(Path.Combine(checkpoints, "step1-model.bin")), File.ReadAllBytes(Path.Combine(checkpoints, "step2-model.bin"))];
    }

    /// <summary>
    /// Castro's temporary distillation acts in the balanced fine-tuning alone: it changes the model after step 2 when
    /// there is a fine-tuning phase and nothing without one.
    /// </summary>
    [TestMethod]
    public void TemporaryDistillationOfTheNewClassesActsOnlyInTheFineTuning()
    {
        using var folder = new TempRunFolder();
        byte[] Step2(bool temporary, int finetuneIterations, string dir)
        {
            var o = Options(ContinualStrategy.Eeil);
            o.Eeil.KdInFinetune = false;
            o.Eeil.TemporaryKd = temporary;
            o.Eeil.FinetuneIterations = finetuneIterations;
            o.Eeil.FinetuneLrFactor = 1;
            o.Eeil.KdWeight = 10;
            return EeilModelsAfterEachStep(o, folder.PathOf(dir))[1];
        }
        CollectionAssert.AreNotEqual(Step2(false, 20, "plain"), Step2(true, 20, "temporary"), "the temporary term takes part in fine-tuning");
        CollectionAssert.AreEqual(Step2(false, 0, "plain-no-finetune"), Step2(true, 0, "temporary-no-finetune"), "and nowhere else");
    }

    /// <summary>
    /// EEIL with <c>match_resolution</c> and a builder of factor-2 memories runs the whole stream at the tile resolution:
    /// the builder condenses each step's images shrunk 2 x 2 and upsampled, and every reported accuracy is the saved
    /// model's on test images shrunk alike. Without the option, under GDumb, or with a builder of factor 1, the builder
    /// gets the images as they are.
    /// </summary>
    [TestMethod]
    public void UnderMatchResolutionTheBuilderTheTrainingAndTheTestSeeImagesAtTheTileResolution()
    {
        using var train = ContinualTestData.Patches(4, 24, seed: 5);
        using var test = ContinualTestData.Patches(4, 10, seed: 6);
        using var folder = new TempRunFolder();
        var sources = new List<Tensor>();
        var builders = new MemoryBuilderRegistry().Register<TilesOptions>("tiles", "selector", "test", _ => new SourceRecorder(sources));
        ContinualRun Run(ContinualStrategy strategy, bool match, int factor, string dir)
        {
            foreach (var t in sources) t.Dispose();
            sources.Clear();
            var o = Options(strategy);
            o.Builders = [new MethodSpec { Name = "tiles", Options = new TilesOptions { Factor = factor } }];
            o.Memory = new MemoryPolicyOptions { PerClass = 2 };
            o.Eeil.MatchResolution = match;
            o.Eeil.Iterations = 3;   // a model half-trained, so that sharp and shrunk test images score differently
            return ContinualScenario.RunStudy(ContinualTestData.Context(folder.PathOf(dir), new RecordingLogger(), builders), o,
                ContinualStream.ByClass(train, test), CancellationToken.None).Single();
        }
        Tensor Images(LabeledDataset data, int[] classes)
        {
            using var part = data.WithClasses(classes);
            return part.Images.clone();
        }
        void AssertSources(ContinualRun run, int tiles, string what)
        {
            Assert.HasCount(2, sources, what);
            for (int t = 0; t < 2; t++)
            {
                using var sharp = Images(train, run.Groups[t]);
                using var expected = MultiFormation.AtTileResolution(sharp, tiles);
                Assert.IsTrue(expected.allclose(sources[t], rtol: 0, atol: 1e-6), $"{what}: step {t + 1}'s builder images");
            }
        }

        var matched = Run(ContinualStrategy.Eeil, true, 2, "eeil-matched");
        AssertSources(matched, 2, "eeil, match_resolution, factor 2");
        using (var model = ModelFactory.Create(ArchitectureSpec.Parse(Tiny), train.Shape, train.NumClasses, seed: 0))
        {
            var checkpoints = Directory.GetDirectories(Path.Combine(folder.PathOf("eeil-matched"), "checkpoints"), "eeil-*").Single();
            model.load(Path.Combine(checkpoints, "step2-model.bin"));
            var sharpAccuracies = new List<double>();
            for (int j = 0; j < 2; j++)
            {
                using var stepTest = test.WithClasses(matched.Groups[j]);
                using var blurred = stepTest.WithImages(MultiFormation.AtTileResolution(stepTest.Images, 2), stepTest.Normalization);
                var precision = new EeilOptions().Precision;
                Assert.AreEqual(Evaluator.Evaluate(model, blurred, precision: precision).Accuracy, matched.AccuracyMatrix[1][j], 1e-9,
                    $"after step 2, step {j + 1}'s test images are tested at the tile resolution");
                sharpAccuracies.Add(Evaluator.Evaluate(model, stepTest, precision: precision).Accuracy);
            }
            CollectionAssert.AreNotEqual(sharpAccuracies, matched.AccuracyMatrix[1].ToList(), "the sharp images would have scored otherwise");
        }
        AssertSources(Run(ContinualStrategy.Eeil, false, 2, "eeil-sharp"), 1, "eeil without match_resolution");
        AssertSources(Run(ContinualStrategy.Gdumb, true, 2, "gdumb"), 1, "gdumb");
        AssertSources(Run(ContinualStrategy.Eeil, true, 1, "eeil-plain"), 1, "eeil with a builder of factor 1");
        foreach (var t in sources) t.Dispose();
    }

    /// <summary>
    /// A builder whose memory holds multi-formation images its options do not declare cannot be run at the tile
    /// resolution: under <c>match_resolution</c> the run fails naming the builder and both factors, and reports no accuracy.
    /// </summary>
    [TestMethod]
    public void AMultiFormationMemoryItsOptionsDoNotDeclareFailsTheEeilRun()
    {
        using var train = ContinualTestData.Patches(4, 24, seed: 5);
        using var test = ContinualTestData.Patches(4, 10, seed: 6);
        using var folder = new TempRunFolder();
        var builders = new MemoryBuilderRegistry().Register<NoOptions>("undeclared", "synthesizer", "test", _ => new UndeclaredFactor2());
        var o = Options(ContinualStrategy.Eeil);
        o.Builders = [new MethodSpec { Name = "undeclared", Options = new NoOptions() }];
        o.Memory = new MemoryPolicyOptions { PerClass = 2 };
        var error = Assert.ThrowsExactly<UnitsFailedException>(() => ContinualScenario.RunStudy(ContinualTestData.Context(folder.Root, new RecordingLogger(), builders), o,
            ContinualStream.ByClass(train, test), CancellationToken.None));
        StringAssert.Contains(error.Message, "factor 2, but its options declare factor 1");
        var results = Results(folder.Root);
        Assert.IsEmpty(results["runs"]!.AsArray(), "no run is reported");
        Assert.AreEqual("failed", results["status"]!.GetValue<string>());
        StringAssert.Contains(results["error"]!.GetValue<string>(), "builder 'undeclared' returned multi-formation images of factor 2, but its options declare factor 1");
    }

    /// <summary>Each class's first k images as synthetic images that claim to be factor-2 tiles.</summary>
    private sealed class UndeclaredFactor2 : IMemoryBuilder
    {
        public MemorySet Build(MemoryRequest request, CancellationToken cancellationToken) =>
            (SyntheticMemory)new CopySynthesizer().Build(request, cancellationToken) with { Factor = 2 };
    }

    /// <summary>Options of the <c>tiles</c> test builder: the multi-formation factor it declares.</summary>
    public sealed class TilesOptions : IMultiFormationOptions
    {
        public int Factor { get; set; } = 1;
    }

    /// <summary>A selector that keeps a copy of the images it is given and picks each class's first k.</summary>
    private sealed class SourceRecorder(List<Tensor> sources) : IMemoryBuilder
    {
        public MemorySet Build(MemoryRequest request, CancellationToken cancellationToken)
        {
            sources.Add(request.Source.Images.clone());
            return new SelectedMemory(request.TargetClasses.SelectMany(c => request.Source.IndicesOfClass(c).Take(request.Budget.Ipc!.Value)).Select(i => (long)i).ToArray());
        }
    }

    [TestMethod]
    public void RehearsalKeepsTheFirstStepsClassesThatNaiveFineTuningForgets()
    {
        using var train = ContinualTestData.Patches(4, 24, seed: 3);
        using var test = ContinualTestData.Patches(4, 10, seed: 4);
        using var folder = new TempRunFolder();
        double OldClassesAfterStep2(int perClass, string dir)
        {
            var run = RehearsalOnly(ContinualStream.ByClass(train, test), perClass, folder.PathOf(dir));
            Assert.IsGreaterThan(0.9, run.Steps[0].Accuracy, "step 1 is learned");
            Assert.AreEqual(perClass * 4, run.Steps[1].MemoryImages);
            return run.AccuracyMatrix[1][0];
        }
        double withMemory = OldClassesAfterStep2(8, "memory"), without = OldClassesAfterStep2(0, "none");
        Assert.IsGreaterThan(0.9, withMemory, $"with 8 images per class the old classes stay at {withMemory}");
        Assert.IsGreaterThan(without + 0.3, withMemory, $"fine-tuning alone forgets them ({without})");
    }

    [TestMethod]
    public void AConfigRunsEndToEndOnAnIdxDatasetAndWritesEveryReport()
    {
        using var data = ContinualTestData.IdxPatches(train: (20, 5), test: (8, 6));
        var yaml = $$"""
            scenario: continual
            seed: 3
            dataset: { name: idx, path: {{data.Root}} }
            builders: [random]
            strategies: [gdumb, eeil]
            steps: 2
            classes_per_step: [1, 3]
            seeds: 2
            memory: { total: 12, per_class: 5 }
            arch: {{Tiny}}
            gdumb: { models: 1, train: { epochs: 5, batch_size: 16, lr: 0.05 } }
            eeil: { iterations: 10, finetune_iterations: 4, batch_size: 16, teacher: post-training, distill: seen-classes, balanced: memory }
            """;
        var registry = ContinualTestData.Registry();
        var loader = new ConfigLoader(new ScenarioRegistry([new ContinualScenario()]), registry);
        var (scenario, options) = loader.Bind(YamlConfig.Parse(yaml, "cl.yaml"), "cl.yaml");
        var o = (ContinualOptions)options;
        Assert.AreEqual(EeilBalance.Memory, o.Eeil.Balanced);
        Assert.AreEqual(new MemoryPolicy(5, 12), o.Memory.ToPolicy());

        using var folder = new TempRunFolder();
        var ctx = ContinualTestData.Context(folder.Root, new RecordingLogger());
        Assert.AreEqual(0, scenario.Run(ctx, options, CancellationToken.None));

        var results = Results(folder.Root);
        var runs = results["runs"]!.AsArray();
        Assert.HasCount(4, runs, "2 strategies x 1 builder x 2 repeats");
        foreach (var run in runs)
        {
            var steps = run!["steps"]!.AsArray();
            Assert.HasCount(1, steps[0]!["classes"]!.AsArray());
            // memory: 1 class at min(5, 12/1) = 5, then 4 classes at min(5, 12/4) = 3 each
            Assert.AreEqual(5, steps[0]!["memory_images"]!.GetValue<int>());
            Assert.AreEqual(12, steps[1]!["memory_images"]!.GetValue<int>());
            Assert.AreEqual(12 * (64 + 1), steps[1]!["memory_bytes"]!.GetValue<long>(), "8-bit images of 64 pixels and a byte of label each");
            var matrix = run["accuracy_matrix"]!.AsArray();
            Assert.HasCount(2, matrix[1]!.AsArray());
            double bwt = matrix[1]![0]!.GetValue<double>() - matrix[0]![0]!.GetValue<double>();
            Assert.AreEqual(bwt, run["bwt"]!.GetValue<double>(), 1e-12);
            Assert.AreEqual(-bwt, run["forgetting"]!.GetValue<double>(), 1e-12, "with one old step, forgetting = A[0][0] - A[1][0] = -BWT");
            Assert.IsTrue(File.Exists(Path.Combine(folder.Root, "runs", $"{run["strategy"]}-random-seed{run["seed"]}.json")));
            Assert.IsTrue(File.Exists(Path.Combine(folder.Root, "runs", $"{run["strategy"]}-random-seed{run["seed"]}-accuracy.csv")));
        }
        var orders = runs.Select(r => r!["class_order"]!.ToJsonString()).Distinct().ToArray();
        Assert.HasCount(2, orders, "each repeat has its own class order, shared by the strategies");
        Assert.HasCount(2, results["summary"]!.AsArray());
        foreach (var file in new[] { "results.csv", "results.md", "accuracy_vs_classes.png" })
            Assert.IsTrue(File.Exists(Path.Combine(folder.Root, file)), file);
        StringAssert.Contains(File.ReadAllText(Path.Combine(folder.Root, "results.md")), "| eeil | random |");
    }

    public sealed class NoOptions;

    /// <summary>A stand-in synthesizer: each class's first k images, returned as synthetic images.</summary>
    private sealed class CopySynthesizer : IMemoryBuilder
    {
        public MemorySet Build(MemoryRequest request, CancellationToken cancellationToken)
        {
            var picked = request.TargetClasses.SelectMany(c => request.Source.IndicesOfClass(c).Take(request.Budget.Ipc!.Value)).Select(i => (long)i).ToArray();
            using var subset = request.Source.Subset(picked);
            return new SyntheticMemory(subset.Images.clone(), subset.Labels.clone());
        }
    }

    /// <summary>A pruner that records its requests and keeps the last k images of each class.</summary>
    private sealed class RecordingPruner(List<(int Held, int Keep, int[] Classes)> calls) : IMemoryBuilder
    {
        public MemorySet Build(MemoryRequest request, CancellationToken cancellationToken)
        {
            int k = request.Budget.Ipc!.Value;
            calls.Add((request.Source.Count, k, request.TargetClasses));
            return new SelectedMemory(request.TargetClasses.SelectMany(c => request.Source.IndicesOfClass(c).TakeLast(k)).Select(i => (long)i).ToArray());
        }
    }

    [TestMethod]
    public void ASyntheticMemoryShrinksThroughThePruneBySelector()
    {
        using var train = ContinualTestData.Patches(4, 12, seed: 8);
        using var test = ContinualTestData.Patches(4, 4, seed: 9);
        using var folder = new TempRunFolder();
        var calls = new List<(int Held, int Keep, int[] Classes)>();
        var builders = new MemoryBuilderRegistry()
            .Register<NoOptions>("copy", "synthesizer", "test", _ => new CopySynthesizer())
            .Register<NoOptions>("recording", "selector", "test", _ => new RecordingPruner(calls));
        var ctx = ContinualTestData.Context(folder.Root, new RecordingLogger(), builders);
        var o = Options(ContinualStrategy.Gdumb);
        o.Builders = [new MethodSpec { Name = "copy", Options = new NoOptions() }];
        o.Memory = new MemoryPolicyOptions { Total = 8, PruneBy = new MethodSpec { Name = "recording", Options = new NoOptions() } };
        o.Gdumb = new GdumbOptions { Models = 1, Train = new TrainOptions { Epochs = 1, BatchSize = 8 } };
        var run = ContinualScenario.RunStudy(ctx, o, ContinualStream.ByClass(train, test), CancellationToken.None).Single();

        // step 1: 2 classes x 4; step 2: the old two cut from 4 to 2 by the pruner, in one call that holds both classes
        Assert.HasCount(1, calls);
        CollectionAssert.AreEquivalent(run.Groups[0], calls[0].Classes);
        Assert.AreEqual((8, 2), (calls[0].Held, calls[0].Keep));
        Assert.AreEqual(8, run.Steps[0].MemoryImages);
        Assert.AreEqual(8, run.Steps[1].MemoryImages);
    }

    /// <summary>The patch data as another domain: the same classes, inverted (a dark patch on bright noise).</summary>
    private static LabeledDataset Inverted(LabeledDataset d) => d.WithImages(1 - d.Images, d.Normalization, "inverted");

    [TestMethod]
    public void ADomainStreamBringsEveryClassPerDomainAndTestsOnEachDomainSeen()
    {
        using var trainA = ContinualTestData.Patches(4, 24, seed: 11);
        using var testA = ContinualTestData.Patches(4, 10, seed: 12);
        using var trainB = Inverted(trainA);
        using var testB = Inverted(testA);
        var stream = ContinualStream.ByDomain([(trainA, testA), (trainB, testB)], ["domains[0]", "domains[1]"]);
        using var folder = new TempRunFolder();
        double FirstDomainAfterStep2(int perClass, string dir)
        {
            var run = RehearsalOnly(stream, perClass, folder.PathOf(dir));
            Assert.HasCount(2, run.Groups, "one step per domain");
            Assert.IsTrue(run.Groups.All(g => g.Order().SequenceEqual([0, 1, 2, 3])), "every domain brings every class");
            Assert.AreEqual(perClass * 4, run.Steps[0].MemoryImages);
            Assert.AreEqual(perClass * 8, run.Steps[1].MemoryImages, "the same class of two domains holds two shares");
            Assert.HasCount(2, run.AccuracyMatrix[1]);
            Assert.IsGreaterThan(0.9, run.AccuracyMatrix[0][0], "domain 1 is learned");
            // the step's accuracy pools both domains' test sets, which are of equal size here
            Assert.AreEqual((run.AccuracyMatrix[1][0] + run.AccuracyMatrix[1][1]) / 2, run.Steps[1].Accuracy, 1e-9);
            return run.AccuracyMatrix[1][0];
        }
        double withMemory = FirstDomainAfterStep2(8, "memory"), without = FirstDomainAfterStep2(0, "none");
        Assert.IsGreaterThan(0.85, withMemory, $"with 8 images per class and domain, domain 1 stays at {withMemory}");
        Assert.IsGreaterThan(without + 0.2, withMemory, $"fine-tuning on domain 2 alone forgets domain 1 ({without})");
    }

    [TestMethod]
    public void DomainsMustShareClassesAndShape()
    {
        using var four = ContinualTestData.Patches(4, 4, seed: 1);
        using var three = ContinualTestData.Patches(3, 4, seed: 2);
        var e = Assert.ThrowsExactly<CondensaException>(() => ContinualStream.ByDomain([(four, four), (three, three)], ["domains[0] (a)", "domains[1] (b)"]));
        StringAssert.Contains(e.Message, "domains[1] (b): 3 classes");
        using var padded = four.WithImages(nn.functional.pad(four.Images, [1, 1, 1, 1]), four.Normalization);
        e = Assert.ThrowsExactly<CondensaException>(() => ContinualStream.ByDomain([(four, four), (padded, padded)], ["domains[0]", "domains[1]"]));
        StringAssert.Contains(e.Message, "one input shape");
    }

    [TestMethod]
    public void ContradictoryKeysAreConfigErrors()
    {
        var loader = new ConfigLoader(new ScenarioRegistry([new ContinualScenario()]), ContinualTestData.Registry());
        var e = Assert.ThrowsExactly<ConfigurationException>(() => loader.Bind(YamlConfig.Parse(
            """
            scenario: continual
            builders: [random]
            steps: 3
            classes_per_step: [5, 5]
            memory: {per_class: 0}
            eeil: {distill: seen-classes}
            domains: [{name: mnist}]
            """, "bad.yaml"), "bad.yaml"));
        StringAssert.Contains(e.Message, "classes_per_step");
        StringAssert.Contains(e.Message, "gdumb trains on the memory alone");
        StringAssert.Contains(e.Message, "seen-classes needs teacher: post-training");
        StringAssert.Contains(e.Message, "needs at least two datasets");
    }
}
