using Condensa.Data;
using Condensa.Memory;
using Condensa.Scenarios.ContinualLearning;
using TorchSharp;
using static TorchSharp.torch;

namespace Condensa.Tests.Continual;

[TestClass]
public sealed class ContinualMemoryTests
{
    /// <summary>n 1x1x2 images whose pixels hold their own index, labels given, over 4 classes.</summary>
    private static LabeledDataset Numbered(params long[] labels)
    {
        using var scope = NewDisposeScope();
        var images = arange(labels.Length, ScalarType.Float32).view(-1, 1, 1, 1).expand(-1, 1, 1, 2).contiguous();
        return new LabeledDataset("numbered", images, tensor(labels), ["a", "b", "c", "d"], Normalization.Identity(1));
    }

    private static float[] Ids(LabeledDataset d) => d.Images.select(3, 0).flatten().data<float>().ToArray();

    private static readonly SyntheticPruner NoPruning = (_, _, _, _) => throw new AssertFailedException("a selected memory must not be pruned");

    [TestMethod]
    public void ASelectedMemoryKeepsEachClassesFirstImagesInRankOrder()
    {
        // step 1 brings classes 0 and 1; the selector ranks class 0 as 4, 0, 2 and class 1 as 5, 1, 3
        using var step1 = Numbered(0, 1, 0, 1, 0, 1);
        using var empty = ContinualMemory.Empty();
        using var m1 = empty.Update(1, new SelectedMemory([4, 0, 2, 5, 1, 3]), step1, [0, 1], share: 3, NoPruning, seed: 0);
        Assert.AreEqual(6, m1.Count);
        Assert.AreEqual(6 * 2 * sizeof(float), m1.Bytes);
        using (var class0 = m1.Materialize("m", [0])!) CollectionAssert.AreEqual(new float[] { 4, 0, 2 }, Ids(class0));

        // step 2 brings classes 2 and 3 with a smaller share: old classes keep their best 2, new ones are capped at 2
        using var step2 = Numbered(2, 3, 2, 3, 2, 3);
        using var m2 = m1.Update(2, new SelectedMemory([0, 2, 4, 1, 3]), step2, [2, 3], share: 2, NoPruning, seed: 0);
        CollectionAssert.AreEqual(new[] { (0, 2), (1, 2), (2, 2), (3, 2) }, m2.PerClass.ToArray(), "balanced: every class at the share");
        using (var old = m2.Materialize("m", [0, 1])!) CollectionAssert.AreEqual(new float[] { 4, 0, 5, 1 }, Ids(old));
        using (var fresh = m2.Materialize("m", [2, 3])!) CollectionAssert.AreEqual(new float[] { 0, 2, 1, 3 }, Ids(fresh));
        Assert.AreEqual(6, m1.Count, "the memory before the step is left intact");
        Assert.IsNull(m2.Materialize("m", [9]));
    }

    [TestMethod]
    public void ASyntheticMemoryIsPrunedByThePrunerWithASeedPerStepAndClass()
    {
        using var step1 = Numbered(0, 0, 0, 0, 1, 1, 1, 1);
        using var empty = ContinualMemory.Empty();
        // synthetic images 10..17 (their pixel values), four per class
        var images = (arange(8, ScalarType.Float32) + 10).view(-1, 1, 1, 1).expand(-1, 1, 1, 2).contiguous();
        var synthetic = new SyntheticMemory(images, tensor(new long[] { 0, 0, 0, 0, 1, 1, 1, 1 }));
        using var m1 = empty.Update(1, synthetic, step1, [0, 1], share: 4, NoPruning, seed: 0);
        var calls = new List<(int Class, int Keep, long Seed, int Held)>();
        SyntheticPruner prune = (held, cls, keep, seed) =>
        {
            calls.Add((cls, keep, seed, held.Count));
            return cls == 0 ? [3, 1] : [0, 2];
        };
        using var step2 = Numbered(2, 2);
        using var m2 = m1.Update(2, new SelectedMemory([0, 1]), step2, [2], share: 2, prune, seed: 42);
        Assert.HasCount(2, calls);
        Assert.AreEqual((0, 2, Seeds.Derive(42, "step1/class", 0), 4), calls[0]);
        Assert.AreEqual((1, 2, Seeds.Derive(42, "step1/class", 1), 4), calls[1]);
        using var kept = m2.Materialize("m", [0, 1])!;
        CollectionAssert.AreEqual(new float[] { 13, 11, 14, 16 }, Ids(kept));

        SyntheticPruner broken = (_, _, keep, _) => [0, 0];
        StringAssert.Contains(Assert.ThrowsExactly<CondensaException>(() => m1.Update(2, new SelectedMemory([0]), step2, [2], 2, broken, 0)).Message, "not 2 distinct");
    }

    [TestMethod]
    public void ImagesOfClassesTheStepDoesNotBringAreRejected()
    {
        using var step = Numbered(0, 1, 2);
        using var empty = ContinualMemory.Empty();
        var e = Assert.ThrowsExactly<CondensaException>(() => empty.Update(1, new SelectedMemory([0, 2]), step, [0, 1], 5, NoPruning, 0));
        StringAssert.Contains(e.Message, "classes [2]");
    }
}
