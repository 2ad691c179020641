using Condensa.Data;
using Condensa.Training.Augmentation;
using TorchSharp;
using static TorchSharp.torch;

namespace Condensa.Tests.Framework.Training.Augmentation;

[TestClass]
public sealed class DiffAugmentTests
{
    private static readonly DsaOp[] AllOps = Enum.GetValues<DsaOp>();

    private static DiffAugment Only(DsaOp op) => new(DsaStrategy.Parse(DsaStrategy.Token(op)));

    private static Tensor Images(long n, int c, int h, int w, ulong seed = 1) => randn([n, c, h, w], generator: new Generator(seed));

    private static ImageShape ShapeOf(Tensor x) => new((int)x.shape[1], (int)x.shape[2], (int)x.shape[3]);

    private static Tensor Floats(params float[] values) => tensor(values);

    private static Tensor Longs(params long[] values) => tensor(values);

    private static float MaxAbsDiff(Tensor a, Tensor b) => (a - b).abs().max().item<float>();

    [TestMethod]
    [DataRow(1, 28, 28)]
    [DataRow(3, 32, 32)]
    public void EveryOpKeepsTheShapeSharedAndPerImage(int c, int h, int w)
    {
        using var scope = NewDisposeScope();
        var x = Images(5, c, h, w);
        var g = new Generator(3);
        foreach (var op in AllOps)
        {
            var dsa = Only(op);
            CollectionAssert.AreEqual(x.shape, dsa.Augment(x, g).shape, $"{op} per image");
            CollectionAssert.AreEqual(x.shape, dsa.DrawShared(ShapeOf(x), g).Apply(x).shape, $"{op} shared");
        }
    }

    [TestMethod]
    public void FlipAppliedTwiceIsTheIdentity()
    {
        using var scope = NewDisposeScope();
        var x = Images(4, 3, 8, 6);
        using var draw = new FlipDraw(tensor(new[] { true, false, true, true }));
        var once = draw.Apply(x);
        Assert.AreEqual(0f, MaxAbsDiff(once[0], x[0].flip(2)));
        Assert.AreEqual(0f, MaxAbsDiff(once[1], x[1]));
        Assert.AreEqual(0f, MaxAbsDiff(draw.Apply(once), x));
    }

    [TestMethod]
    public void OneSharedDrawGivesTheSameTransformToBatchesOfAnySize()
    {
        using var scope = NewDisposeScope();
        var real = Images(8, 3, 32, 32);
        var g = new Generator(5);
        foreach (var op in AllOps)
        {
            using var draw = Only(op).DrawShared(ShapeOf(real), g);
            Assert.AreEqual(1L, draw.Count);
            var whole = draw.Apply(real);
            var firstThree = draw.Apply(real[..3]);
            Assert.AreEqual(0f, MaxAbsDiff(whole[..3], firstThree), $"{op}: rows differ between batch sizes");
            Assert.AreEqual(0f, MaxAbsDiff(whole, draw.Apply(real)), $"{op}: the same draw twice differs");
        }
    }

    [TestMethod]
    public void SharedDrawIsOneParameterSetWhilePerImageDrawsDiffer()
    {
        using var scope = NewDisposeScope();
        var copies = Images(1, 1, 28, 28).expand(6, -1, -1, -1);
        var g = new Generator(11);
        foreach (var op in new[] { DsaOp.Color, DsaOp.Crop, DsaOp.Cutout, DsaOp.Scale, DsaOp.Rotate })
        {
            var dsa = Only(op);
            var shared = dsa.DrawShared(ShapeOf(copies), g).Apply(copies);
            Assert.AreEqual(0f, MaxAbsDiff(shared, shared[..1].expand(6, -1, -1, -1)), $"{op}: shared draw differs between images");
            var perImage = dsa.Augment(copies, g);
            Assert.IsTrue(MaxAbsDiff(perImage, perImage[..1].expand(6, -1, -1, -1)) > 0, $"{op}: per-image draws are all equal");
        }
    }

    [TestMethod]
    public void GradientReachesTheImagesThroughEveryOp()
    {
        var g = new Generator(7);
        foreach (var op in AllOps)
            foreach (var shared in new[] { true, false })
            {
                using var scope = NewDisposeScope();
                var x = Images(4, 3, 16, 16).requires_grad_();
                var dsa = Only(op);
                var y = shared ? dsa.DrawShared(ShapeOf(x), g).Apply(x) : dsa.Augment(x, g);
                y.sum().backward();
                var grad = x.grad!;
                Assert.IsTrue(grad.isfinite().all().item<bool>(), $"{op} shared={shared}: non-finite gradient");
                Assert.IsTrue(grad.abs().max().item<float>() > 0, $"{op} shared={shared}: zero gradient");
            }
    }

    [TestMethod]
    public void BrightnessThenContrastMatchHandComputedValues()
    {
        using var scope = NewDisposeScope();
        // 1 channel: x + 0.25 = [1.25, 2.25, 3.25, 4.25], mean 2.75; (v - 2.75) * 1.5 + 2.75 = [0.5, 2, 3.5, 5].
        var x = Floats(1, 2, 3, 4).view(1, 1, 2, 2);
        using var draw = new ColorDraw(Floats(0.25f), Floats(2f), Floats(1.5f));
        Assert.IsTrue(MaxAbsDiff(draw.Apply(x), Floats(0.5f, 2f, 3.5f, 5f).view(1, 1, 2, 2)) < 1e-6);
    }

    [TestMethod]
    public void SaturationScalesTheDistanceToTheChannelMean()
    {
        using var scope = NewDisposeScope();
        // Pixels (0, 1, 2) and (3, 3, 3); channel means 1 and 3; factor 0.5 gives (0.5, 1, 1.5) and (3, 3, 3).
        // Brightness 0 and contrast 1 leave the result as it is.
        var x = Floats(0, 3, 1, 3, 2, 3).view(1, 3, 1, 2);
        using var draw = new ColorDraw(Floats(0f), Floats(0.5f), Floats(1f));
        Assert.IsTrue(MaxAbsDiff(draw.Apply(x), Floats(0.5f, 3, 1, 3, 1.5f, 3).view(1, 3, 1, 2)) < 1e-6);
    }

    [TestMethod]
    public void CropMovesOneBrightPixelByExactlyTheShiftPerImage()
    {
        using var scope = NewDisposeScope();
        var x = zeros(2, 3, 28, 28);
        x[.., .., 10, 5] = tensor(1f);
        using var draw = new CropDraw(Longs(3, -4), Longs(-2, 4));
        var expected = zeros(2, 3, 28, 28);
        expected[0, .., 8, 8] = tensor(1f);
        expected[1, .., 14, 1] = tensor(1f);
        Assert.AreEqual(0f, MaxAbsDiff(draw.Apply(x), expected));
    }

    [TestMethod]
    [DataRow(2L, 1L)]
    [DataRow(-1L, -3L)]
    [DataRow(0L, 4L)]
    public void CropIsATranslationWithZeroFillOnANonSquareImage(long dx, long dy)
    {
        using var scope = NewDisposeScope();
        const int C = 2, H = 5, W = 7;
        var x = Images(1, C, H, W);
        using var draw = new CropDraw(Longs(dx), Longs(dy));
        var actual = draw.Apply(x.expand(2, -1, -1, -1)).data<float>().ToArray();
        var source = x.data<float>().ToArray();
        for (int n = 0; n < 2; n++)
            for (int c = 0; c < C; c++)
                for (int y = 0; y < H; y++)
                    for (int col = 0; col < W; col++)
                    {
                        long sy = y - dy, sx = col - dx;
                        var expected = sy >= 0 && sy < H && sx >= 0 && sx < W ? source[(c * H + sy) * W + sx] : 0f;
                        Assert.AreEqual(expected, actual[((n * C + c) * H + y) * W + col], $"n={n} c={c} y={y} x={col}");
                    }
    }

    [TestMethod]
    public void CutoutZeroesExactlyTheClippedSquare()
    {
        using var scope = NewDisposeScope();
        // Size 14 around (row 5, column 10): rows [-2, 12) clipped to [0, 12), columns [3, 17).
        var x = ones(1, 1, 28, 28);
        using var draw = new CutoutDraw(Longs(10), Longs(5), 14, 14);
        var expected = ones(1, 1, 28, 28);
        expected[.., .., ..12, 3..17] = tensor(0f);
        Assert.AreEqual(0f, MaxAbsDiff(draw.Apply(x), expected));
    }

    [TestMethod]
    public void CutoutMatchesTheReferenceClampedIndexMaskForEveryCentre()
    {
        using var scope = NewDisposeScope();
        // Every centre the reference can draw on a 6 x 8 image with a 3 x 4 hole (odd height, even width), one per image.
        const int H = 6, W = 8, h = 3, w = 4;
        var centres = (from cy in Enumerable.Range(0, H + 1 - h % 2) from cx in Enumerable.Range(0, W + 1 - w % 2) select (cy, cx)).ToArray();
        var count = centres.Length;
        using var draw = new CutoutDraw(Longs(centres.Select(p => (long)p.cx).ToArray()), Longs(centres.Select(p => (long)p.cy).ToArray()), w, h);
        var actual = draw.Apply(ones(count, 1, H, W)).data<float>().ToArray();
        for (int n = 0; n < count; n++)
        {
            var mask = Enumerable.Repeat(1f, H * W).ToArray();
            for (int i = 0; i < h; i++)
                for (int j = 0; j < w; j++)
                    mask[Math.Clamp(i + centres[n].cy - h / 2, 0, H - 1) * W + Math.Clamp(j + centres[n].cx - w / 2, 0, W - 1)] = 0;
            CollectionAssert.AreEqual(mask, actual[(n * H * W)..((n + 1) * H * W)], $"centre {centres[n]}");
        }
    }

    [TestMethod]
    [DataRow(1, 28, 28)]
    [DataRow(3, 32, 32)]
    public void RotateByZeroAndScaleByOneAreTheIdentity(int c, int h, int w)
    {
        using var scope = NewDisposeScope();
        var x = Images(3, c, h, w);
        using var rotate = new RotateDraw(Floats(0f));
        using var scale = new ScaleDraw(Floats(1f, 1f, 1f), Floats(1f, 1f, 1f));
        Assert.IsTrue(MaxAbsDiff(rotate.Apply(x), x) < 1e-5);
        Assert.IsTrue(MaxAbsDiff(scale.Apply(x), x) < 1e-5);
    }

    [TestMethod]
    public void RotateByNinetyDegreesTurnsASquareImageCounterClockwise()
    {
        using var scope = NewDisposeScope();
        var x = arange(25f).view(1, 1, 5, 5);
        using var draw = new RotateDraw(Floats((float)(Math.PI / 2)));
        Assert.IsTrue(MaxAbsDiff(draw.Apply(x), x.rot90(1, (2, 3))) < 1e-4);
    }

    [TestMethod]
    public void SameSeedSameOutputDifferentSeedDifferentOutput()
    {
        using var scope = NewDisposeScope();
        var x = Images(4, 1, 28, 28);
        var dsa = new DiffAugment(DsaStrategy.Default);
        Tensor Run(ulong seed)
        {
            var g = new Generator(seed);
            return stack(Enumerable.Range(0, 6).Select(_ => dsa.Augment(x, g)).ToArray());
        }
        Assert.AreEqual(0f, MaxAbsDiff(Run(42), Run(42)));
        Assert.IsTrue(MaxAbsDiff(Run(42), Run(43)) > 0);
    }

    [TestMethod]
    public void PerImageDrawsFollowTheReferenceRanges()
    {
        using var scope = NewDisposeScope();
        const long N = 4000;
        var shape = new ImageShape(1, 28, 28);
        var g = new Generator(9);
        (float Min, float Max) Range(Tensor t) => (t.min().to_type(ScalarType.Float32).item<float>(), t.max().to_type(ScalarType.Float32).item<float>());
        void InRange(Tensor t, double low, double high, double slack, string what)
        {
            var (min, max) = Range(t);
            Assert.IsTrue(min >= low - 1e-6 && min < low + slack && max <= high + 1e-6 && max > high - slack, $"{what}: [{min}, {max}] vs [{low}, {high}]");
        }

        var color = (ColorDraw)Only(DsaOp.Color).DrawPerImage(N, shape, g);
        Assert.AreEqual(N, color.Count);
        InRange(color.Brightness, -0.5, 0.5, 0.01, "brightness");
        InRange(color.Saturation, 0, 2, 0.01, "saturation");
        InRange(color.Contrast, 0.5, 1.5, 0.01, "contrast");

        var crop = (CropDraw)Only(DsaOp.Crop).DrawPerImage(N, shape, g);
        InRange(crop.ShiftX, -4, 4, 0.5, "crop dx");
        InRange(crop.ShiftY, -4, 4, 0.5, "crop dy");

        var cutout = (CutoutDraw)Only(DsaOp.Cutout).DrawPerImage(N, shape, g);
        Assert.AreEqual((14L, 14L), (cutout.Width, cutout.Height));
        InRange(cutout.CentreX, 0, 28, 0.5, "cutout cx");
        InRange(cutout.CentreY, 0, 28, 0.5, "cutout cy");

        var flip = (FlipDraw)Only(DsaOp.Flip).DrawPerImage(N, shape, g);
        var flipped = flip.Flipped.to_type(ScalarType.Float32).mean().item<float>();
        Assert.IsTrue(flipped > 0.45 && flipped < 0.55, $"flip rate {flipped}");

        var scale = (ScaleDraw)Only(DsaOp.Scale).DrawPerImage(N, shape, g);
        InRange(scale.ScaleX, 1 / 1.2, 1.2, 0.01, "sx");
        InRange(scale.ScaleY, 1 / 1.2, 1.2, 0.01, "sy");
        Assert.IsTrue(MaxAbsDiff(scale.ScaleX, scale.ScaleY) > 0, "sx and sy are not independent");

        var rotate = (RotateDraw)Only(DsaOp.Rotate).DrawPerImage(N, shape, g);
        InRange(rotate.Angle, -Math.PI / 12, Math.PI / 12, 0.01, "angle");

        var cutout32 = (CutoutDraw)Only(DsaOp.Cutout).DrawPerImage(N, new ImageShape(3, 32, 32), g);
        Assert.AreEqual((16L, 16L), (cutout32.Width, cutout32.Height));
    }

    [TestMethod]
    public void EachCallDrawsOneOpGroupUniformly()
    {
        using var scope = NewDisposeScope();
        var g = new Generator(13);
        var counts = new Dictionary<DsaOp, int>();
        var dsa = new DiffAugment(DsaStrategy.Default);
        for (int i = 0; i < 600; i++)
        {
            using var draw = dsa.DrawShared(new ImageShape(1, 28, 28), g);
            counts[draw.Op] = counts.GetValueOrDefault(draw.Op) + 1;
        }
        foreach (var op in AllOps)
            Assert.IsTrue(counts.GetValueOrDefault(op) is > 65 and < 135, $"{op} drawn {counts.GetValueOrDefault(op)} times of 600");

        var noFlip = new DiffAugment(DsaStrategy.Default.WithoutFlip());
        for (int i = 0; i < 100; i++)
        {
            using var draw = noFlip.DrawShared(new ImageShape(1, 28, 28), g);
            Assert.AreNotEqual(DsaOp.Flip, draw.Op);
        }
    }

    [TestMethod]
    public void OnlyTheResultLandsInTheCallersScope()
    {
        var x = Images(4, 3, 32, 32);
        var g = new Generator(17);
        var dsa = new DiffAugment(DsaStrategy.Default);
        for (int i = 0; i < 12; i++)
        {
            using var scope = NewDisposeScope();
            dsa.Augment(x, g);
            Assert.AreEqual(1, scope.DisposablesCount, "Augment leaves more than its result");
            using var draw = dsa.DrawShared(ShapeOf(x), g);
            var afterDraw = scope.DisposablesCount;
            draw.Apply(x);
            Assert.AreEqual(afterDraw + 1, scope.DisposablesCount, "Apply leaves more than its result");
        }
        x.Dispose();
    }

    [TestMethod]
    public void APerImageDrawRejectsABatchOfAnotherSize()
    {
        using var scope = NewDisposeScope();
        using var draw = Only(DsaOp.Rotate).DrawPerImage(4, new ImageShape(1, 8, 8), new Generator(1));
        Assert.ThrowsExactly<ArgumentException>(() => draw.Apply(zeros(3, 1, 8, 8)));
    }
}
