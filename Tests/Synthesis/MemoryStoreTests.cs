using Condensa.Data;
using Condensa.Memory;
using Condensa.Methods.Synthesis;
using TorchSharp;
using static TorchSharp.torch;
using static Condensa.Tests.Synthesis.Tensors;

namespace Condensa.Tests.Synthesis;

[TestClass]
public sealed class MemoryStoreTests
{
    private static string TempFolder() => Path.Combine(Path.GetTempPath(), "condensa-memory-" + Guid.NewGuid().ToString("N"));

    private static LabeledDataset Source()
    {
        using var scope = NewDisposeScope();
        var images = arange(6 * 2 * 2, ScalarType.Float32).view(6, 1, 2, 2) / 24f;
        var labels = tensor(new long[] { 0, 1, 2, 0, 1, 2 });
        return new LabeledDataset("toy/train", images, labels, ["a", "b", "c"], new Normalization([0.5f], [0.25f]));
    }

    [TestMethod]
    public void SelectedMemoryRoundTripsWithItsMetadata()
    {
        var folder = TempFolder();
        try
        {
            using var source = Source();
            var memory = new SelectedMemory([4, 0, 2], [1f, 2.5f, 3f], [0.1f, -0.2f, 0.3f]);
            MemoryStore.Save(folder, memory, source, new MemoryInfo("craig", new DmOptions { Iterations = 7 }, Seed: 42, Seconds: 1.5));
            var stored = MemoryStore.Load(folder);
            var loaded = (SelectedMemory)stored.Memory;
            CollectionAssert.AreEqual(memory.Indices, loaded.Indices);
            CollectionAssert.AreEqual(memory.SampleWeights, loaded.SampleWeights);
            CollectionAssert.AreEqual(memory.Scores, loaded.Scores);
            var m = stored.Metadata;
            Assert.AreEqual(MemoryStore.Selected, m.Kind);
            Assert.AreEqual("craig", m.Method);
            Assert.AreEqual(42, m.Seed);
            Assert.AreEqual(1.5, m.Seconds);
            Assert.AreEqual("toy/train", m.Source);
            CollectionAssert.AreEqual(new[] { 0, 1, 2 }, m.Classes); // labels of indices 4, 0, 2 are 1, 0, 2
            CollectionAssert.AreEqual(new[] { 1, 1, 1 }, m.Counts);
            Assert.AreEqual(3, m.Count);
            Assert.AreEqual(7, (int)m.Options!["iterations"]!);
            Assert.AreEqual("real", (string)m.Options!["init"]!);
            Assert.IsTrue(File.Exists(Path.Combine(folder, MemoryStore.GridFile)));
            Assert.IsFalse(Directory.EnumerateFiles(folder, "*.tmp").Any(), "no temp file is left behind");
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void SyntheticMemoryRoundTripsExactly()
    {
        var folder = TempFolder();
        try
        {
            using var source = Source();
            var images = randn(5, 1, 2, 2);
            var labels = tensor(new long[] { 2, 2, 2, 0, 0 });
            MemoryStore.Save(folder, new SyntheticMemory(images, labels), source, new MemoryInfo("dm", null, Seed: 1, Iterations: 200));
            var stored = MemoryStore.Load(folder);
            var loaded = (SyntheticMemory)stored.Memory;
            Assert.IsTrue(Identical(loaded.Images, images));
            Assert.IsTrue(Identical(loaded.Labels, labels));
            Assert.AreEqual(MemoryStore.Synthetic, stored.Metadata.Kind);
            Assert.AreEqual(200, stored.Metadata.Iterations);
            Assert.IsNull(stored.Metadata.Options);
            CollectionAssert.AreEqual(new[] { 0, 2 }, stored.Metadata.Classes);
            CollectionAssert.AreEqual(new[] { 2, 3 }, stored.Metadata.Counts);
            CollectionAssert.AreEqual(new[] { "a", "b", "c" }, stored.Metadata.ClassNames.ToArray());
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void LoadingAFolderWithoutAMemoryNamesTheMissingFile()
    {
        var folder = TempFolder();
        var e = Assert.ThrowsExactly<CondensaException>(() => MemoryStore.Load(folder));
        StringAssert.Contains(e.Message, MemoryStore.MetadataFile);
    }

    [TestMethod]
    public void ACachedMemoryIsReusedOnlyUnderTheSameBuilderOptionsSeedAndSource()
    {
        var folder = TempFolder();
        try
        {
            using var source = Source();
            int builds = 0;
            MemorySet Build() { builds++; return new SelectedMemory([builds % 6]); }
            var dm7 = new Condensa.Hosting.Config.MethodSpec { Name = "dm", Options = new DmOptions { Iterations = 7 } };
            var dm8 = new Condensa.Hosting.Config.MethodSpec { Name = "dm", Options = new DmOptions { Iterations = 8 } };
            MemoryCache.BuildOrLoad(folder, source, Build, dm7, seed: 1);
            var (again, _) = MemoryCache.BuildOrLoad(folder, source, Build, dm7, seed: 1);
            Assert.AreEqual(1, builds, "same builder, options, seed and source: loaded");
            CollectionAssert.AreEqual(new long[] { 1 }, ((SelectedMemory)again).Indices);
            MemoryCache.BuildOrLoad(folder, source, Build, dm8, seed: 1);
            Assert.AreEqual(2, builds, "other options: rebuilt");
            MemoryCache.BuildOrLoad(folder, source, Build, dm8, seed: 2);
            Assert.AreEqual(3, builds, "other seed: rebuilt");
            var (last, _) = MemoryCache.BuildOrLoad(folder, source, Build, dm8, seed: 2);
            Assert.AreEqual(3, builds);
            CollectionAssert.AreEqual(new long[] { 3 }, ((SelectedMemory)last).Indices, "the rebuilt memory replaced the stale one");
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }
}
