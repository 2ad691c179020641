using Condensa.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Condensa.Tests.Framework.Data;

[TestClass]
public sealed class TransformAndSamplingTests
{
    /// <summary>A dataset of <paramref name="perClass"/>[c] images of class c, pixel values i / (n + 1) for image i.</summary>
    private static LabeledDataset Dataset(int[] perClass, int channels = 1, int size = 2, Normalization? normalization = null)
    {
        var labels = perClass.SelectMany((n, c) => Enumerable.Repeat((long)c, n)).ToArray();
        var n = labels.Length;
        using var scope = NewDisposeScope();
        var pixels = arange(1, n + 1, dtype: ScalarType.Float32).div(n + 1).view(n, 1, 1, 1).expand(n, channels, size, size);
        normalization ??= Normalization.Identity(channels);
        return new LabeledDataset("toy", normalization.Normalize(pixels), tensor(labels),
            perClass.Select((_, c) => $"c{c}").ToArray(), normalization);
    }

    [TestMethod]
    public void PadAddsBlackPixelsUnderTheNormalization()
    {
        var norm = new Normalization([0.5f, 0.25f], [0.25f, 2f]);
        using var data = Dataset([1, 1], channels: 2, normalization: norm);
        using var padded = ImageTransforms.Pad(data, 1);
        Assert.AreEqual(new ImageShape(2, 4, 4), padded.Shape);
        // Border: a black pixel (0) normalized per channel; centre: the original values.
        Assert.AreEqual((0f - 0.5f) / 0.25f, padded.Images[1, 0, 0, 3].item<float>());
        Assert.AreEqual((0f - 0.25f) / 2f, padded.Images[0, 1, 3, 0].item<float>());
        Assert.IsTrue(padded.Images[.., .., 1..3, 1..3].allclose(data.Images, rtol: 0, atol: 0));
        // Pad then denormalize equals denormalize then pad with zeros: the same pixel-space image.
        using var pixels = norm.Denormalize(padded.Images);
        using var expected = nn.functional.pad(norm.Denormalize(data.Images), [1, 1, 1, 1]);
        Assert.IsTrue(pixels.allclose(expected, atol: 1e-6));
        CollectionAssert.AreEqual(data.LabelArray.ToArray(), padded.LabelArray.ToArray());
    }

    [TestMethod]
    public void ResizeChangesTheShapeAndCommutesWithNormalization()
    {
        using var gen = new Generator(7);
        using var scope = NewDisposeScope();
        var pixels = rand(3, 3, 28, 28, generator: gen);
        var norm = new Normalization([0.4914f, 0.4822f, 0.4465f], [0.2023f, 0.1994f, 0.2010f]);
        using var raw = new LabeledDataset("r", pixels, tensor(new long[] { 0, 1, 0 }), ["a", "b"], Normalization.Identity(3));
        using var normalized = ImageTransforms.Renormalize(raw, norm);
        using var up = ImageTransforms.Resize(normalized, 32);
        using var down = ImageTransforms.Resize(raw, 14);
        Assert.AreEqual(new ImageShape(3, 32, 32), up.Shape);
        Assert.AreEqual(new ImageShape(3, 14, 14), down.Shape);
        using var upThenBack = ImageTransforms.Renormalize(up, Normalization.Identity(3));
        using var upRaw = ImageTransforms.Resize(raw, 32);
        Assert.IsTrue(upThenBack.Images.allclose(upRaw.Images, atol: 1e-5));
        // Hand-computed bilinear 2x upscale with half-pixel centers: output x = 1 samples input x = 0.25.
        var small = tensor(new float[] { 0, 1, 2, 3 }).view(1, 1, 2, 2);
        CollectionAssert.AreEqual(new[] { 0f, 0.25f, 0.75f, 1f, 0.5f, 0.75f, 1.25f, 1.5f },
            ImageTransforms.Resize(small, 4, 4)[0, 0, ..2].data<float>().ToArray());
    }

    [TestMethod]
    public void RenormalizeFromPixelSpaceIsExact()
    {
        using var data = Dataset([2, 1]);
        var norm = new Normalization([0.3f], [0.7f]);
        using var normalized = ImageTransforms.Renormalize(data, norm);
        var expected = data.Images.data<float>().ToArray().Select(p => (p - 0.3f) / 0.7f).ToArray();
        CollectionAssert.AreEqual(expected, normalized.Images.data<float>().ToArray());
        Assert.AreEqual(norm, normalized.Normalization);
    }

    [TestMethod]
    public void ComputedNormalizationIsThePixelMeanAndPopulationStd()
    {
        // Pixels 1/4, 2/4, 3/4 (each image constant): mean 1/2, population std sqrt(1/24).
        var stored = new Normalization([0.1f], [2f]);
        using var data = Dataset([3], normalization: stored);
        var stats = ImageTransforms.ComputeNormalization(data);
        Assert.AreEqual(0.5f, stats.Mean[0], 1e-6f);
        Assert.AreEqual((float)Math.Sqrt(1.0 / 24), stats.Std[0], 1e-6f);
        using var normalized = ImageTransforms.Renormalize(data, stats);
        Assert.AreEqual(0f, normalized.Images.mean().item<float>(), 1e-6f);
        Assert.AreEqual(1f, normalized.Images.std(unbiased: false).item<float>(), 1e-5f);
    }

    [TestMethod]
    public void StratifiedSplitIsDisjointCompleteStratifiedAndSeedStable()
    {
        int[] sizes = [10, 7, 1, 4];
        using var data = Dataset(sizes);
        var (kept, held) = DatasetSampling.StratifiedSplitIndices(data, 0.3, seed: 5);
        CollectionAssert.AreEqual(Enumerable.Range(0, data.Count).Select(i => (long)i).ToArray(), kept.Concat(held).Order().ToArray());
        Assert.IsEmpty(kept.Intersect(held));
        // round(0.3 n) per class (half away from zero), and a class of one image keeps it.
        int[] expectedHeld = [3, 2, 0, 1];
        for (int c = 0; c < sizes.Length; c++)
            Assert.AreEqual(expectedHeld[c], held.Count(i => data.LabelArray[(int)i] == c), $"class {c}");
        CollectionAssert.AreEqual(held.Order().ToArray(), held, "held-out indices come in dataset order");

        var again = DatasetSampling.StratifiedSplitIndices(data, 0.3, seed: 5);
        CollectionAssert.AreEqual(held, again.HeldOut);
        var seeds = Enumerable.Range(0, 5).Select(s => string.Join(",", DatasetSampling.StratifiedSplitIndices(data, 0.3, s).HeldOut)).ToHashSet();
        Assert.IsGreaterThan(1, seeds.Count, "different seeds should give different splits");

        var (train, validation) = DatasetSampling.StratifiedSplit(data, 0.3, 5, "t", "v");
        using (train)
        using (validation)
        {
            Assert.AreEqual(kept.Length, train.Count);
            Assert.AreEqual("v", validation.Name);
            // Image i holds the value (i + 1) / (n + 1): the subset really holds the chosen images.
            var values = validation.Images[.., 0, 0, 0].data<float>().ToArray();
            CollectionAssert.AreEqual(held.Select(i => (i + 1f) / (data.Count + 1)).ToArray(), values);
        }
    }

    [TestMethod]
    public void PerClassSamplingTakesAtMostNOfEachClass()
    {
        using var data = Dataset([10, 2, 5]);
        var chosen = DatasetSampling.PerClassIndices(data, 3, seed: 1);
        int[] expected = [3, 2, 3];
        for (int c = 0; c < 3; c++) Assert.AreEqual(expected[c], chosen.Count(i => data.LabelArray[(int)i] == c));
        Assert.AreEqual(chosen.Length, chosen.Distinct().Count());
        CollectionAssert.AreEqual(chosen, DatasetSampling.PerClassIndices(data, 3, seed: 1));
        using var sampled = DatasetSampling.SamplePerClass(data, 3, seed: 1);
        Assert.AreEqual(8, sampled.Count);
        Assert.AreEqual(3, sampled.NumClasses);
    }

    [TestMethod]
    public void WithImagesKeepsLabelsAfterTheSourceIsDisposed()
    {
        var data = Dataset([1, 2]);
        using var scope = NewDisposeScope();
        using var copy = data.WithImages(zeros(3, 1, 2, 2), data.Normalization, "copy");
        data.Dispose();
        CollectionAssert.AreEqual(new long[] { 0, 1, 1 }, copy.Labels.data<long>().ToArray());
    }
}
