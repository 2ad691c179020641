using Condensa.Data;
using Condensa.Memory;
using Condensa.Methods.Synthesis;
using Condensa.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;
using static Condensa.Tests.Support.Tensors;
using Condensa.Runtime;

namespace Condensa.Tests.Framework.Memory;

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

    public sealed class CountingOptions
    {
        public int Iterations { get; set; } = 1;
    }

    /// <summary>
    /// A builder that counts its builds, notes the checkpoint folder it was given, and picks one image of each of the three
    /// classes, from index (builds mod 6) on; build number n says it resumed from a checkpoint after n x 1,000 s of earlier compute.
    /// </summary>
    private sealed class CountingBuilder(List<string?> builds) : IMemoryBuilder
    {
        public MemorySet Build(MemoryRequest request, CancellationToken cancellationToken)
        {
            lock (builds)
            {
                builds.Add(request.CheckpointDirectory);
                Thread.Sleep(50); // long enough for a concurrent build of the same slot to collide, were it not locked out
                return new SelectedMemory([builds.Count % 6, (builds.Count + 1) % 6, (builds.Count + 2) % 6]) { SecondsBeforeResume = 1000 * builds.Count };
            }
        }
    }

    [TestMethod]
    public void ThePipelineReusesAKeptMemoryOnlyUnderItsIdentityAndBuildsASlotOnce()
    {
        var folder = TempFolder();
        try
        {
            using var source = Source();
            var builds = new List<string?>();
            var registry = new MemoryBuilderRegistry().Register<CountingOptions>("counting", "selector", "test", _ => new CountingBuilder(builds));
            var files = Condensa.Work.RunFiles.Local(folder);
            MemorySpec Spec(int iterations, long seed, string? slot = "counting/ipc-1/seed0") => new()
            {
                Builder = new Condensa.Config.MethodSpec { Name = "counting", Options = new CountingOptions { Iterations = iterations } },
                SourceKey = "toy", Budget = Budget.ImagesPerClass(1), Architecture = Condensa.Models.ArchitectureSpec.Default, Seed = seed, Slot = slot,
            };
            var twoThreads = new Condensa.Runtime.ExecutionSettings(CPU, 2);
            using var pipeline = new MemoryPipeline(registry, files, twoThreads, new RecordingLogger(), NullProgress.Instance);
            long[] Indices(OwnedMemory m) => ((SelectedMemory)m.Set).Indices;

            // two workers of this machine ask for one slot at once: one builds, the other waits and loads
            var both = new[] { 0, 1 }.AsParallel().WithDegreeOfParallelism(2).Select(_ => pipeline.Obtain(Spec(7, 1), source, CancellationToken.None)).ToArray();
            Assert.HasCount(1, builds, "one build for two concurrent requests");
            Assert.AreEqual(1, both.Count(m => m.Built));
            CollectionAssert.AreEqual(Indices(both[0]), Indices(both[1]));
            Assert.AreEqual(Path.Combine(folder, "checkpoints", "counting", "ipc-1", "seed0"), builds[0], "a kept memory's checkpoints sit beside it");
            var built = both.Single(m => m.Built).BuildSeconds;
            Assert.IsTrue(built is >= 1000.05 and < 1060, $"a resumed build reports the time before its resume and its own: {built} s");
            using (var again = pipeline.Obtain(Spec(7, 1), source, CancellationToken.None))
            {
                Assert.IsFalse(again.Built);
                Assert.AreEqual(built, again.BuildSeconds, 1e-9, "a loaded memory reports its whole build time");
                Assert.HasCount(1, builds, "same builder, options, seed, source and settings: loaded");
            }
            pipeline.Obtain(Spec(8, 1), source, CancellationToken.None).Dispose();
            Assert.HasCount(2, builds, "other options: rebuilt");
            pipeline.Obtain(Spec(8, 2), source, CancellationToken.None).Dispose();
            Assert.HasCount(3, builds, "other seed: rebuilt");
            using (var last = pipeline.Obtain(Spec(8, 2), source, CancellationToken.None))
            {
                Assert.HasCount(3, builds);
                CollectionAssert.AreEqual(new long[] { 3, 4, 5 }, Indices(last), "the rebuilt memory replaced the stale one");
            }
            using (var oneThread = new MemoryPipeline(registry, files, twoThreads with { Threads = 1 }, new RecordingLogger(), NullProgress.Instance))
                oneThread.Obtain(Spec(8, 2), source, CancellationToken.None).Dispose();
            Assert.HasCount(4, builds, "another thread count: rebuilt (float results depend on it)");
            pipeline.Obtain(Spec(8, 2, slot: null), source, CancellationToken.None).Dispose();
            pipeline.Obtain(Spec(8, 2, slot: null), source, CancellationToken.None).Dispose();
            Assert.HasCount(6, builds, "a memory without a slot is built every time");
            Assert.IsNull(builds[^1], "and keeps no checkpoints");
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }
}
