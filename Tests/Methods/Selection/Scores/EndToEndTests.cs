using Condensa.Data;
using Condensa.Config;
using Condensa.Memory;
using Condensa.Methods;
using Condensa.Methods.Selection;
using Condensa.Methods.Selection.Dynamics;
using Condensa.Methods.Selection.Scores;
using Condensa.Models;
using static Condensa.Tests.Methods.Selection.Scores.ScoreFixtures;

namespace Condensa.Tests.Methods.Selection.Scores;

/// <summary>Every score selector through the registry, training a tiny ConvNet on a tiny three-class dataset.</summary>
[TestClass]
public sealed class EndToEndTests
{
    private static readonly ArchitectureSpec Tiny = ArchitectureSpec.Parse("convnet-w32-d1-instancenorm-relu-avgpool");
    private static readonly MemoryBuilderRegistry Registry = CreateRegistry();
    private static LabeledDataset? _data;
    // one recording per distinct selection-model setting, shared by the tests as by the selectors of one run
    private static readonly InMemoryArtifactCache Cache = new();

    private static LabeledDataset Data => _data ??= Quadrants(perClass: 8, seed: 5);

    private static MemoryBuilderRegistry CreateRegistry()
    {
        var registry = new MemoryBuilderRegistry();
        MethodsModule.Register(registry);
        return registry;
    }

    /// <summary>Default options of <paramref name="name"/>, shrunk to a 3-epoch selection run and 2 GraNd repeats / GradSimCore checkpoints.</summary>
    private static IMemoryBuilder Builder(string name)
    {
        var options = (SelectionModelOptions)Activator.CreateInstance(Registry.OptionsType(name)!)!;
        options.SelectionEpochs = 3;
        options.SelectionBatchSize = 8;
        if (options is GraNdOptions grand) grand.Repeat = 2;
        if (options is GradSimCoreOptions gradSimCore) gradSimCore.Checkpoints = 2;
        return Registry.Create(new MethodSpec { Name = name, Options = options });
    }

    private static MemoryRequest Request(LabeledDataset source, int ipc, long seed, IArtifactCache cache, string method = "test") =>
        new() { Method = method, Source = source, Budget = Budget.ImagesPerClass(ipc), Architecture = Tiny, Seed = seed, Cache = cache };

    [TestMethod]
    [DataRow("least-confidence")]
    [DataRow("entropy")]
    [DataRow("margin")]
    [DataRow("forgetting")]
    [DataRow("grand")]
    [DataRow("el2n")]
    [DataRow("deepfool")]
    [DataRow("contextual-diversity")]
    [DataRow("cal")]
    [DataRow("tdds")]
    [DataRow("yoco")]
    [DataRow("gradsimcore")]
    public void SelectsExactlyTheBudgetPerClassOfValidDistinctIndices(string name)
    {
        var memory = (SelectedMemory)Builder(name).Build(Request(Data, 2, seed: 3, Cache), default);
        AssertTwoPerClass(memory, Data, name);
        Assert.IsNotNull(memory.Scores, $"{name} reports its scores");
        Assert.HasCount(memory.Indices.Length, memory.Scores);
        Assert.IsTrue(memory.Scores.All(float.IsFinite), $"{name}: finite scores");
    }

    [TestMethod]
    public void YocoShrinksAMaterializedMemory()
    {
        var five = new RandomSelector(new RandomOptions()).Build(Request(Data, 5, seed: 1, new InMemoryArtifactCache()), default);
        using var memorySet = five.Materialize(Data);
        Assert.AreEqual(15, memorySet.Count);
        var two = (SelectedMemory)Builder("yoco").Build(Request(memorySet, 2, seed: 3, new InMemoryArtifactCache()), default);
        AssertTwoPerClass(two, memorySet, "yoco on a 5-per-class memory");
    }

    [TestMethod]
    [DataRow("forgetting")]
    [DataRow("grand")]
    [DataRow("deepfool")]
    public void TheSameSeedGivesTheSameMemory(string name)
    {
        var first = (SelectedMemory)Builder(name).Build(Request(Data, 2, seed: 9, new InMemoryArtifactCache()), default);
        var second = (SelectedMemory)Builder(name).Build(Request(Data, 2, seed: 9, new InMemoryArtifactCache()), default);
        CollectionAssert.AreEqual(first.Indices, second.Indices);
        CollectionAssert.AreEqual(first.Scores, second.Scores);
    }

    [TestMethod]
    public void ARecordingKeptInTheSharedFolderServesABuildWithoutIt()
    {
        var shared = Path.Combine(Path.GetTempPath(), "condensa-tests-dynamics", Guid.NewGuid().ToString("N"));
        try
        {
            // each request has a fresh cache, as a build in another worker process has
            MemoryRequest Fresh(string method) => new()
            {
                Method = method, Source = Data, Budget = Budget.ImagesPerClass(2), Architecture = Tiny, Seed = 11, Cache = new InMemoryArtifactCache(), SharedDirectory = shared,
            };
            var recorded = (SelectedMemory)Builder("deepfool").Build(Fresh("deepfool"), default);
            var folder = Directory.GetDirectories(Path.Combine(shared, "dynamics")).Single();
            var loaded = (SelectedMemory)Builder("deepfool").Build(Fresh("deepfool"), default);
            CollectionAssert.AreEqual(recorded.Indices, loaded.Indices, "the kept model and dynamics attack like the recorded ones");
            CollectionAssert.AreEqual(recorded.Scores, loaded.Scores);

            // what the folder holds is what a build uses: make samples 3 and 4 of each class the only uncertain ones
            var labels = Data.LabelArray.ToArray();
            var doctored = TorchSharp.torch.zeros(Data.Count, 3);
            var uncertain = new List<long>();
            for (int i = 0; i < Data.Count; i++)
            {
                bool pick = labels.Take(i).Count(l => l == labels[i]) is 3 or 4;
                if (pick) uncertain.Add(i);
                for (int c = 0; c < 3; c++) doctored[i, c] = pick ? 1f / 3 : c == labels[i] ? 1f : 0f;
            }
            doctored.save(Path.Combine(folder, "probabilities-3.pt"));
            var picked = (SelectedMemory)Builder("least-confidence").Build(Fresh("least-confidence"), default);
            CollectionAssert.AreEquivalent(uncertain, picked.Indices.ToList());
        }
        finally
        {
            if (Directory.Exists(shared)) Directory.Delete(shared, recursive: true);
        }
    }

    private static void AssertTwoPerClass(SelectedMemory memory, LabeledDataset source, string what)
    {
        Assert.HasCount(6, memory.Indices, what);
        Assert.AreEqual(6, memory.Indices.Distinct().Count(), $"{what}: distinct");
        Assert.IsTrue(memory.Indices.All(i => i >= 0 && i < source.Count), $"{what}: valid indices");
        var labels = source.LabelArray.ToArray();
        foreach (var c in new[] { 0, 1, 2 })
            Assert.AreEqual(2, memory.Indices.Count(i => labels[i] == c), $"{what}: two of class {c}");
    }
}
