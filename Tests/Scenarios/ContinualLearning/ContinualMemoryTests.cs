using Condensa.Data;
using Condensa.Memory;
using Condensa.Scenarios.ContinualLearning;
using TorchSharp;
using static TorchSharp.torch;

namespace Condensa.Tests.Scenarios.ContinualLearning;

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

    private static readonly SyntheticPruner NoPruning = (_, _, _) => throw new AssertFailedException("a selected memory must not be pruned");

    [TestMethod]
    public void ASelectedMemoryKeepsEachClassesFirstImagesInRankOrder()
    {
        // step 1 brings classes 0 and 1; the selector ranks class 0 as 4, 0, 2 and class 1 as 5, 1, 3
        using var step1 = Numbered(0, 1, 0, 1, 0, 1);
        using var empty = ContinualMemory.Empty();
        using var m1 = empty.Update(1, new SelectedMemory([4, 0, 2, 5, 1, 3]), step1, [0, 1], share: 3, NoPruning, seed: 0);
        Assert.AreEqual(6, m1.Count);
        Assert.AreEqual(6 * (2 + 1), m1.Bytes, "8-bit pixels and a byte of label per image");
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

    /// <summary>n synthetic 1x1x2 images whose pixels hold first, first + 1, ...</summary>
    private static SyntheticMemory Synthetic(int first, params long[] labels) =>
        new((arange(labels.Length, ScalarType.Float32) + first).view(-1, 1, 1, 1).expand(-1, 1, 1, 2).contiguous(), tensor(labels));

    /// <summary>EEIL's per-class fine-tuning set takes as many images of a new class as an old class trains on.</summary>
    [TestMethod]
    public void EeilsBalancedSetCountsTrainingImagesNotStoredOnes()
    {
        using var step1 = Numbered(0, 0, 1, 1);
        using var empty = ContinualMemory.Empty();
        using var plain = empty.Update(1, new SelectedMemory([0, 1, 2, 3]), step1, [0, 1], share: 2, NoPruning, seed: 0);
        Assert.AreEqual((1.0, 2), (plain.DecodedPerStored, EeilLearner.NewImagesPerClass(2, plain)));
        using var decoded = empty.Update(1, Synthetic(10, 0, 0, 1, 1) with { Factor = 2 }, step1, [0, 1], share: 2, NoPruning, seed: 0);
        Assert.AreEqual((4.0, 8), (decoded.DecodedPerStored, EeilLearner.NewImagesPerClass(2, decoded)), "a factor-2 image trains as 4");
        Assert.AreEqual((1.0, 5), (empty.DecodedPerStored, EeilLearner.NewImagesPerClass(5, empty)));
    }

    [TestMethod]
    public void EverySyntheticClassThatShrinksIsPrunedInOneCall()
    {
        using var step1 = Numbered(0, 0, 0, 0, 1, 1, 1, 1);
        using var empty = ContinualMemory.Empty();
        using var m1 = empty.Update(1, Synthetic(10, 0, 0, 0, 0, 1, 1, 1, 1), step1, [0, 1], share: 4, NoPruning, seed: 0);
        var calls = new List<(float[] Held, long[] Labels, int Keep, long Seed)>();
        SyntheticPruner prune = (held, keep, seed) =>
        {
            calls.Add((Ids(held), held.Labels.data<long>().ToArray(), keep, seed));
            return [3, 6, 1, 4];
        };
        using var step2 = Numbered(2, 2);
        using var m2 = m1.Update(2, new SelectedMemory([0, 1]), step2, [2], share: 2, prune, seed: 42);
        Assert.HasCount(1, calls, "both classes in one call: YOCO's selection model sees them together");
        CollectionAssert.AreEqual(new float[] { 10, 11, 12, 13, 14, 15, 16, 17 }, calls[0].Held);
        CollectionAssert.AreEqual(new long[] { 0, 0, 0, 0, 1, 1, 1, 1 }, calls[0].Labels);
        Assert.AreEqual((2, Seeds.Derive(42, "prune", 0)), (calls[0].Keep, calls[0].Seed));
        using (var kept = m2.Materialize("m", [0, 1])!) CollectionAssert.AreEqual(new float[] { 13, 11, 16, 14 }, Ids(kept), "each class keeps its own picks, in the pruner's order");
        CollectionAssert.AreEqual(new[] { (0, 2), (1, 2), (2, 2) }, m2.PerClass.ToArray());

        SyntheticPruner repeated = (_, _, _) => [0, 0, 4, 5];
        StringAssert.Contains(Assert.ThrowsExactly<CondensaException>(() => m1.Update(2, new SelectedMemory([0]), step2, [2], 2, repeated, 0)).Message, "repeated");
        SyntheticPruner unbalanced = (_, _, _) => [0, 1, 2, 4];
        StringAssert.Contains(Assert.ThrowsExactly<CondensaException>(() => m1.Update(2, new SelectedMemory([0]), step2, [2], 2, unbalanced, 0)).Message, "kept 3 of class 0's 4, not 2");
    }

    /// <summary>
    /// The images a pruner sees are named by their pixels and labels: its artifacts (a selection model trained on them,
    /// stored in the run folder under the name) are shared by equal images only, never by two memories of one size.
    /// </summary>
    [TestMethod]
    public void ThePrunedImagesAreNamedByTheirPixelsAndLabels()
    {
        using var step1 = Numbered(0, 0, 1, 1, 2, 2);
        using var step2 = Numbered(3, 3);
        using var empty = ContinualMemory.Empty();
        string NameSeen(int first, long other)
        {
            string? name = null;
            SyntheticPruner prune = (held, _, _) => { name = held.Name; return [0, 2]; };
            using var built = Synthetic(first, 0, 0, other, other);
            using var m1 = empty.Update(1, built, step1, [0, (int)other], share: 2, NoPruning, seed: 0);
            using var m2 = m1.Update(2, new SelectedMemory([0]), step2, [3], share: 1, prune, seed: 0);
            return name!;
        }
        string a = NameSeen(10, 1);
        Assert.AreEqual(a, NameSeen(10, 1), "equal images, equal name");
        Assert.AreNotEqual(a, NameSeen(20, 1), "other pixels of the same size");
        Assert.AreNotEqual(a, NameSeen(10, 2), "the same pixels in the same order under other labels");
    }

    [TestMethod]
    public void AClassHeldTwiceIsPrunedInASecondCall()
    {
        // a domain stream: steps 1 and 2 both bring classes 0 and 1 (three synthetic images each)
        using var domain = Numbered(0, 1);
        using var empty = ContinualMemory.Empty();
        using var m1 = empty.Update(1, Synthetic(10, 0, 0, 0, 1, 1, 1), domain, [0, 1], share: 3, NoPruning, seed: 0);
        using var m2 = m1.Update(2, Synthetic(20, 0, 0, 0, 1, 1, 1), domain, [0, 1], share: 3, NoPruning, seed: 0);
        var calls = new List<(float[] Held, long Seed)>();
        SyntheticPruner prune = (held, keep, seed) =>
        {
            calls.Add((Ids(held), seed));
            return [0, 3];
        };
        using var m3 = m2.Update(3, new SelectedMemory([0]), domain, [0], share: 1, prune, seed: 7);
        Assert.HasCount(2, calls);
        CollectionAssert.AreEqual(new float[] { 10, 11, 12, 13, 14, 15 }, calls[0].Held, "step 1's classes");
        CollectionAssert.AreEqual(new float[] { 20, 21, 22, 23, 24, 25 }, calls[1].Held, "step 2's classes");
        Assert.AreNotEqual(calls[0].Seed, calls[1].Seed);
        using var kept = m3.Materialize("m", beforeStep: 3)!;
        CollectionAssert.AreEqual(new float[] { 10, 13, 20, 23 }, Ids(kept), "every entry keeps its own share");
    }

    [TestMethod]
    public void AHybridClassShrinksBothPartsInProportion()
    {
        // step 1: per class 2 real (ranked 4, 0 and 5, 1) and 2 synthetic images, share 4
        using var step1 = Numbered(0, 1, 0, 1, 0, 1);
        using var empty = ContinualMemory.Empty();
        var hybrid = new HybridMemory(new SelectedMemory([4, 0, 5, 1]), Synthetic(10, 0, 0, 1, 1) with { PixelBits = 8 });
        using var m1 = empty.Update(1, hybrid, step1, [0, 1], share: 4, NoPruning, seed: 0);
        Assert.AreEqual(8, m1.Count);
        Assert.AreEqual(8 * (2 + 1), m1.Bytes);
        var keeps = new List<int>();
        SyntheticPruner prune = (held, keep, _) =>
        {
            keeps.Add(keep);
            return [1, 2];   // class 0's second synthetic image, class 1's first
        };
        // step 2 halves the share: each class keeps one real (its best) and one synthetic image
        using var step2 = Numbered(2, 2);
        using var m2 = m1.Update(2, new SelectedMemory([0, 1]), step2, [2], share: 2, prune, seed: 3);
        CollectionAssert.AreEqual(new[] { 1 }, keeps.ToArray(), "both synthetic parts pruned in one call, to one image each");
        using (var class0 = m2.Materialize("m", [0])!) CollectionAssert.AreEquivalent(new float[] { 4, 11 }, Ids(class0));
        using (var class1 = m2.Materialize("m", [1])!) CollectionAssert.AreEquivalent(new float[] { 5, 12 }, Ids(class1));
        Assert.AreEqual(6, m2.Count);
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
