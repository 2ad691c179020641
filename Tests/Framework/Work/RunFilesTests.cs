using Condensa.Config;
using Condensa.Memory;
using Condensa.Methods.Selection;
using Condensa.Reporting;
using Condensa.Study;
using Condensa.Work;
using Condensa.Tests.Support;
using static TorchSharp.torch;
using Condensa.Runtime;

namespace Condensa.Tests.Framework.Work;

/// <summary>Memories shared through the study store: what a worker on another machine (a mirror of the run folder) sees.</summary>
[TestClass]
public sealed class RunFilesTests
{
    private static MemorySpec Random(int ipc, string slot) => new()
    {
        Builder = new MethodSpec { Name = "random", Options = new RandomOptions() }, SourceKey = "patches", Budget = Budget.ImagesPerClass(ipc),
        Architecture = Condensa.Models.ArchitectureSpec.Default, Seed = 3, Slot = slot,
    };

    [TestMethod]
    public void AMemoryBuiltInTheRunFolderIsLoadedFromTheStoreByAWorkerWithoutIt()
    {
        using var folder = new TempRunFolder();
        Directory.CreateDirectory(folder.Root);
        using var store = StudyStorage.Open("sqlite:" + folder.PathOf("study.db"));
        using var source = ContinualTestData.Patches(4, 10, seed: 1);
        var settings = new ExecutionSettings(CPU, 1);
        var registry = ContinualTestData.Registry();
        var run = new RunFiles(new RunDirectory(folder.PathOf("run")), store, "run-1");
        var elsewhere = new RunFiles(new RunDirectory(folder.PathOf("mirror")), store, "run-1");

        long[] built;
        using (var pipeline = new MemoryPipeline(registry, run, settings, new RecordingLogger(), NullProgress.Instance))
        using (var memory = pipeline.Obtain(Random(3, "random/ipc-3/seed0"), source, CancellationToken.None))
        {
            Assert.IsTrue(memory.Built);
            built = ((SelectedMemory)memory.Set).Indices;
        }
        using (var pipeline = new MemoryPipeline(registry, elsewhere, settings, new RecordingLogger(), NullProgress.Instance))
        using (var memory = pipeline.Obtain(Random(3, "random/ipc-3/seed0"), source, CancellationToken.None))
        {
            Assert.IsFalse(memory.Built, "the mirror fetched it from the store");
            CollectionAssert.AreEqual(built, ((SelectedMemory)memory.Set).Indices);
            Assert.IsTrue(File.Exists(folder.PathOf("mirror/memories/random/ipc-3/seed0/memory.png")), "with its image grid");
        }

        // another run in the same store never sees this run's files
        var otherRun = new RunFiles(new RunDirectory(folder.PathOf("other")), store, "run-2");
        using (var pipeline = new MemoryPipeline(registry, otherRun, settings, new RecordingLogger(), NullProgress.Instance))
        using (var memory = pipeline.Obtain(Random(3, "random/ipc-3/seed0"), source, CancellationToken.None))
            Assert.IsTrue(memory.Built);
    }

    [TestMethod]
    public void AFolderAboveTheStoreLimitIsAClearErrorAndStoresNothing()
    {
        using var folder = new TempRunFolder();
        Directory.CreateDirectory(folder.Root);
        using var store = StudyStorage.Open("sqlite:" + folder.PathOf("study.db"));
        var files = new RunFiles(new RunDirectory(folder.PathOf("run")), store, "run-1", limitMegabytes: 1);
        files.Directory.WriteAtomic("memories/big/images.pt", tmp => File.WriteAllBytes(tmp, new byte[1_200_000]));
        files.Directory.WriteText("memories/big/memory.json", "{}");
        var e = Assert.ThrowsExactly<CondensaException>(() => files.Publish("memories/big"));
        StringAssert.Contains(e.Message, "memories/big holds 1.1 MB, above store_limit_mb = 1");
        StringAssert.Contains(e.Hint, "memory_sharing: folder");
        Assert.HasCount(0, store.Files.Get("run-1", "memories"));
    }
}
