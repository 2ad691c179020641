using Condensa.Data;
using Condensa.Memory;
using Condensa.Methods.Selection.Kernels;
using Condensa.Methods.Synthesis;
using Condensa.Models;
using Condensa.Training.Augmentation;
using TorchSharp;
using static TorchSharp.torch;

namespace Condensa.Tests.Methods.Synthesis;

/// <summary>
/// The pieces of the second-generation synthesizers, by hand: multi-formation's decoding and encoding, the storage a
/// memory reports, DREAM's k-means representatives, CutMix's box and loss, and the model pool's snapshots.
/// </summary>
[TestClass]
public sealed class SecondGenerationTests
{
    [TestMethod]
    public void DecodingSplitsEachStoredImageIntoItsTilesRowByRowAndUpsamplesThemBilinearly()
    {
        // one 4x4 image holding 0..15, factor 2: tiles [[0,1],[4,5]], [[2,3],[6,7]], [[8,9],[12,13]], [[10,11],[14,15]]
        using var stored = arange(16f).reshape(1, 1, 4, 4);
        using var decoded = MultiFormation.Decode(stored, 2);
        CollectionAssert.AreEqual(new long[] { 4, 1, 4, 4 }, decoded.shape);
        // bilinear x2 without aligned corners: output row/column i reads source (i + 0.5) / 2 - 0.5, clamped: weights
        // (1, 0), (0.75, 0.25), (0.25, 0.75), (0, 1) of the two source rows/columns
        float[] Up(float a, float b, float c, float d)
        {
            float[][] w = [[1, 0], [0.75f, 0.25f], [0.25f, 0.75f], [0, 1]];
            return [.. from r in w from q in w select r[0] * (q[0] * a + q[1] * b) + r[1] * (q[0] * c + q[1] * d)];
        }
        float[][] tiles = [Up(0, 1, 4, 5), Up(2, 3, 6, 7), Up(8, 9, 12, 13), Up(10, 11, 14, 15)];
        for (int k = 0; k < 4; k++)
            CollectionAssert.AreEqual(tiles[k], decoded[k].reshape(-1).data<float>().ToArray(), $"tile {k}");

        // factor 3 on a 3x3 image: nine one-pixel tiles, each upsampled to a constant 3x3 image, row-major
        using var nine = arange(9f).reshape(1, 1, 3, 3);
        using var constant = MultiFormation.Decode(nine, 3);
        for (int k = 0; k < 9; k++)
            Assert.IsTrue(constant[k].allclose(full(1, 3, 3, (float)k), rtol: 0, atol: 1e-5), $"tile {k} is the pixel ({k / 3}, {k % 3})");

        // two stored images: image-major, so tile k of image i is decoded image i * K² + k
        using var two = cat([stored, stored + 100], 0);
        using var both = MultiFormation.Decode(two, 2);
        Assert.AreEqual(102f, both[5, 0, 0, 0].item<float>(), "decoded image 5 is tile 1 of image 1, whose top-left pixel is 100 + 2");
    }

    /// <summary>
    /// Under multi-formation every method matches the decoded images: on left-bright templates, each tile of a stored
    /// image learns a left-bright image, so the top-right tile is brighter on its left half; a method that matched the
    /// stored image itself would learn one left-bright image, whose top-right quarter is dark throughout.
    /// </summary>
    [TestMethod]
    public void EveryMethodMatchesTheDecodedImages()
    {
        using var data = NoisyTemplates.Make(64, seed: 8, sigma: 0.5f);
        foreach (var (name, make) in new (string, Func<Synthesizer>)[]
                 {
                     ("dm", () => new DistributionMatching(new DmOptions { Iterations = 40, Factor = 2, Init = SyntheticInit.Noise, BatchReal = 32, DsaStrategy = "none", PixelBits = 32 })),
                     ("dsa", () => new GradientMatching(new DsaOptions { Iterations = 40, Factor = 2, Init = SyntheticInit.Noise, BatchReal = 32, DsaStrategy = "color", LrImg = 1, PixelBits = 32 })),
                     ("idc", () => new GradientMatching(new IdcOptions { Iterations = 2, OuterLoop = 20, Init = SyntheticInit.Noise, NData = 32, BatchReal = 32, DsaStrategy = "color", LrImg = 200, PixelBits = 32 })),
                 })
        {
            var request = new MemoryRequest { Method = name, Source = data, Budget = Budget.ImagesPerClass(1), Architecture = Tiny, Seed = 2, Classes = [0] };
            using var memory = (SyntheticMemory)make().Build(request, CancellationToken.None);
            var topRight = memory.Images[0, 0, ..4, 4..];
            double left = topRight[.., ..2].mean().item<float>(), right = topRight[.., 2..].mean().item<float>();
            Assert.IsTrue(left > right + 0.1, $"{name}: the top-right tile's left half {left:0.000} should be brighter than its right half {right:0.000}");
        }
    }

    [TestMethod]
    public void EncodingTilesShrunkImagesSoThatDecodingConstantImagesGivesThemBack()
    {
        using var images = stack(Enumerable.Range(0, 4).Select(k => full(1, 4, 4, k + 1f)).ToArray());   // four constant images
        using var stored = MultiFormation.Encode(images, 2);
        CollectionAssert.AreEqual(new float[] { 1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4 }, stored.reshape(-1).data<float>().ToArray());
        using var back = MultiFormation.Decode(stored, 2);
        Assert.IsTrue(back.allclose(images, rtol: 0, atol: 1e-5), "constant tiles upsample to the constant images");
    }

    [TestMethod]
    public void AnImageAtTileResolutionIsTheRoundTripThroughATile()
    {
        // a 2x2 image at factor 2: one tile pixel, the mean 1.5, upsampled to a constant image
        using var one = arange(4f).reshape(1, 1, 2, 2);
        using var flat = MultiFormation.AtTileResolution(one, 2);
        CollectionAssert.AreEqual(new float[] { 1.5f, 1.5f, 1.5f, 1.5f }, flat.reshape(-1).data<float>().ToArray());

        // image by image, what encoding K² images into one stored image and decoding it gives back
        using var images = rand(36, 3, 6, 6, generator: new Generator(4));
        foreach (int factor in new[] { 2, 3 })
        {
            using var scope = NewDisposeScope();
            var roundTrip = MultiFormation.Decode(MultiFormation.Encode(images, factor), factor);
            Assert.IsTrue(MultiFormation.AtTileResolution(images, factor).allclose(roundTrip, rtol: 0, atol: 1e-6), $"factor {factor}");
        }
        Assert.ThrowsExactly<CondensaException>(() => MultiFormation.AtTileResolution(images, 4));
    }

    [TestMethod]
    public void AFactorThatDoesNotDivideTheImageIsRefusedNamingTheSizesThatWork()
    {
        using var odd = zeros(1, 1, 28, 28);
        var e = Assert.ThrowsExactly<CondensaException>(() => MultiFormation.Decode(odd, 3));
        StringAssert.Contains(e.Message, "factor = 3 does not divide the 28x28 images into equal tiles");
        StringAssert.Contains(e.Hint, "(2, 4, 7, 14)");
        using var data = NoisyTemplates.Make(8, seed: 1);   // 8x8 images
        var request = new MemoryRequest { Method = "idm", Source = data, Budget = Budget.ImagesPerClass(1), Architecture = Tiny };
        e = Assert.ThrowsExactly<CondensaException>(() => new DistributionMatching(new IdmOptions { Factor = 3, PoolModels = 0 }).Build(request, CancellationToken.None));
        StringAssert.Contains(e.Message, "idm: factor = 3 does not divide the 8x8 images");
    }

    private static readonly ArchitectureSpec Tiny = ArchitectureSpec.Parse("convnet-w32-d1-instancenorm-relu-avgpool");

    [TestMethod]
    public void AMemoryCountsItsStoredImagesAndBytesAndTrainsOnItsDecodedImages()
    {
        using var source = NoisyTemplates.Make(4, seed: 2);   // 1 x 8 x 8
        using var images = randn(4, 1, 8, 8);
        using var labels = tensor(new long[] { 0, 0, 1, 1 });
        using var multi = new SyntheticMemory(images.clone(), labels.clone()) { Factor = 2, PixelBits = 8 };
        Assert.AreEqual(4, multi.Count, "the budget counts stored images");
        Assert.AreEqual(16, multi.TrainingImages);
        Assert.AreEqual(4 * (64 + 1), multi.StoredBytes(source.Shape), "8-bit pixels and a byte of label each");
        using (var decoded = multi.Materialize(source))
        {
            Assert.AreEqual(16, decoded.Count);
            CollectionAssert.AreEqual(new long[] { 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1 }, decoded.LabelArray.ToArray());
        }
        using var plain = new SyntheticMemory(images.clone(), labels.clone());
        Assert.AreEqual(4 * (64 * 4 + 1), plain.StoredBytes(source.Shape), "float32 pixels");
        Assert.AreEqual(2 * (64 + 1), new SelectedMemory([0, 5]).StoredBytes(source.Shape), "real samples are 8-bit images");
    }

    [TestMethod]
    public void EightBitMemoriesHoldOnlyValuesAnImageFileCanStore()
    {
        using var data = NoisyTemplates.Make(16, seed: 3);
        var norm = new Normalization([0.25f], [0.5f]);
        using var images = randn(5, 1, 8, 8) * 3;
        using var rounded = norm.ToEightBit(images);
        using var pixels = rounded * 0.5f + 0.25f;
        Assert.IsTrue(pixels.ge(-1e-6).all().item<bool>() && pixels.le(1 + 1e-6).all().item<bool>(), "clamped to [0, 1]");
        using var steps = pixels * 255;
        Assert.IsTrue((steps - steps.round()).abs().max().item<float>() < 1e-3, "multiples of 1/255");
    }

    [TestMethod]
    public void AMultiFormationMemoryRoundTripsThroughItsFilesWithItsFactorAndStorage()
    {
        using var source = NoisyTemplates.Make(4, seed: 4);
        var folder = Path.Combine(Path.GetTempPath(), "condensa-tests-mf", Guid.NewGuid().ToString("N"));
        try
        {
            using (var memory = new SyntheticMemory(randn(2, 1, 8, 8), tensor(new long[] { 0, 1 })) { Factor = 2, PixelBits = 8 })
                MemoryStore.Save(folder, memory, source, new MemoryInfo("idm", new IdmOptions(), Seed: 1));
            var stored = MemoryStore.Load(folder);
            using var loaded = (SyntheticMemory)stored.Memory;
            Assert.AreEqual(2, loaded.Factor);
            Assert.AreEqual(8, loaded.PixelBits);
            Assert.AreEqual(2, stored.Metadata.Count);
            Assert.AreEqual(8, stored.Metadata.TrainingImages);
            Assert.AreEqual(2 * 65, stored.Metadata.StoredBytes);
            using var grid = SkiaSharp.SKBitmap.Decode(Path.Combine(folder, MemoryStore.GridFile));
            var plainFolder = folder + "-plain";
            using (var plain = new SyntheticMemory(randn(2, 1, 8, 8), tensor(new long[] { 0, 1 })))
                MemoryStore.Save(plainFolder, plain, source, new MemoryInfo("dm", new DmOptions(), Seed: 1));
            using var plainGrid = SkiaSharp.SKBitmap.Decode(Path.Combine(plainFolder, MemoryStore.GridFile));
            Directory.Delete(plainFolder, recursive: true);
            Assert.AreEqual((plainGrid.Width, plainGrid.Height), (grid.Width, grid.Height), "the grid shows the stored images (one per class row), not their 4 tiles each");
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void DreamPicksTheRealSampleNearestEachKMeansCentre()
    {
        // three tight blobs of 2-D points, each with one point exactly at its mean
        var points = new List<float[]>();
        foreach (var (cx, cy) in new[] { (0f, 0f), (10f, 0f), (0f, 10f) })
        {
            points.Add([cx, cy]);
            foreach (var (dx, dy) in new[] { (1f, 0f), (-1f, 0f), (0f, 1f), (0f, -1f), (0.5f, 0.5f), (-0.5f, -0.5f) }) points.Add([cx + dx, cy + dy]);
        }
        using var x = tensor(points.SelectMany(p => p).ToArray()).reshape(points.Count, 2);
        using var generator = new Generator(7);
        var picks = KMeans.Representatives(x, 3, generator, iterations: 20);
        CollectionAssert.AreEquivalent(new long[] { 0, 7, 14 }, picks, "the centre point of each blob");
        using var again = new Generator(7);
        CollectionAssert.AreEqual(picks, KMeans.Representatives(x, 3, again, iterations: 20), "seeded: the same picks");
    }

    [TestMethod]
    public void CutMixPastesOneBoxAndMixesTheLossByItsShare()
    {
        using var generator = new Generator(3);
        using var x = stack([zeros(1, 10, 10), ones(1, 10, 10)]);
        CutMix? mix = null;
        for (int tries = 0; mix is null || mix.Lambda is 1 or 0; tries++) mix = CutMix.Draw(x, 1.0, generator);
        using var mixed = mix.Apply(x);
        double pasted = mixed[0].sum().item<float>() / 100;   // image 0 (zeros) got its partner's ones, or its own zeros if its partner is itself
        double kept = 1 - mix.Lambda;
        Assert.IsTrue(Math.Abs(pasted - kept) < 1e-6 || pasted == 0, $"the box covers {kept} of the image, {pasted} of image 0 changed");
        using var logits = tensor(new float[] { 2, 0, 0, 2 }).reshape(2, 2);
        using var y = tensor(new long[] { 0, 1 });
        var expected = mix.Lambda * nn.functional.cross_entropy(logits, y).item<float>()
                       + (1 - mix.Lambda) * nn.functional.cross_entropy(logits, y.index_select(0, pasted == 0 ? tensor(new long[] { 0, 1 }) : tensor(new long[] { 1, 0 }))).item<float>();
        Assert.AreEqual(expected, mix.Loss(logits, y).item<float>(), 1e-5);
        Assert.IsNull(CutMix.Draw(x, 0.0, generator), "probability 0 never mixes");
    }

    [TestMethod]
    public void PoolSnapshotsAreEvenlySpacedFromInitializationToTheLastStep()
    {
        CollectionAssert.AreEqual(new[] { 0, 100, 200, 300, 400, 500, 600 }, ModelPool.SnapshotSteps(600, 7));
        CollectionAssert.AreEqual(new[] { 0, 3, 6 }, ModelPool.SnapshotSteps(6, 3));
    }
}
