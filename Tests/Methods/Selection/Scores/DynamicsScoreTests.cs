using Condensa.Memory;
using Condensa.Methods.Selection.Scores;
using static Condensa.Tests.Methods.Selection.Scores.ScoreFixtures;
using static TorchSharp.torch;

namespace Condensa.Tests.Methods.Selection.Scores;

/// <summary>Scores read from recorded training dynamics, against values worked out by hand.</summary>
[TestClass]
public sealed class DynamicsScoreTests
{
    [TestMethod]
    public void ForgettingCountsCorrectToWrongTransitionsAndRanksNeverLearnedFirst()
    {
        // epochs →       0      1      2      3      4
        bool[,] correct =
        {
            { true,  false, true,  false, true  }, // sample 0: forgotten at epochs 1 and 3 → 2
            { false, false, false, false, false }, // sample 1: never learned → E = 5
            { false, true,  true,  true,  true  }, // sample 2: learned once, never forgotten → 0
            { true,  true,  false, false, true  }, // sample 3: forgotten at epoch 2 → 1
        };
        using var perEpoch = tensor(correct).T.contiguous();
        CollectionAssert.AreEqual(new float[] { 2, 5, 0, 1 }, Floats(ForgettingSelector.Scores(perEpoch)));

        using var data = Labels(0, 0, 0, 0);
        var probabilities = new float[5, 4, 1];
        using var dynamics = Dynamics(Fill(probabilities, 1f), Transpose(correct), [0, 0, 0, 0]);
        var memory = new ForgettingSelector(new ForgettingOptions()).Select(Request(data, Budget.ImagesPerClass(2)), dynamics, default);
        CollectionAssert.AreEqual(new long[] { 1, 0 }, memory.Indices);
    }

    [TestMethod]
    public void El2nSumsErrorNormsOverTheFirstEpochs()
    {
        // sample 0 (label 0): p = (.5,.5), (.8,.2), (1,0) → ‖p − y‖ = √.5, √.08, 0
        // sample 1 (label 1): p = (.9,.1), (.6,.4), (.3,.7) → √1.62, √.72, √.18
        float[,,] p =
        {
            { { .5f, .5f }, { .9f, .1f } },
            { { .8f, .2f }, { .6f, .4f } },
            { { 1f, 0f }, { .3f, .7f } },
        };
        using var data = Labels(0, 1);
        using var dynamics = Dynamics(p, new bool[3, 2], [0, 1]);
        var request = Request(data, Budget.ImagesPerClass(1));
        var twoEpochs = new El2nSelector(new El2nOptions { ScoreEpochs = 2 }).Score(request, dynamics, default);
        AreClose([Math.Sqrt(.5) + Math.Sqrt(.08), Math.Sqrt(1.62) + Math.Sqrt(.72)], Floats(twoEpochs), 1e-5, "el2n over 2 epochs");
        var capped = new El2nSelector(new El2nOptions { ScoreEpochs = 10 }).Score(request, dynamics, default);
        AreClose([Math.Sqrt(.5) + Math.Sqrt(.08), Math.Sqrt(1.62) + Math.Sqrt(.72) + Math.Sqrt(.18)], Floats(capped), 1e-5, "el2n capped at 3 recorded epochs");
    }

    [TestMethod]
    public void UncertaintyMeasuresMatchHandComputedValues()
    {
        using var p = tensor(new float[,] { { .7f, .2f, .1f }, { .4f, .35f, .25f }, { 1 / 3f, 1 / 3f, 1 / 3f } });
        AreClose([.3, .6, 2 / 3.0], Floats(UncertaintySelector.Scores(p, UncertaintyMeasure.LeastConfidence)), 1e-6, "least confidence");
        AreClose([H(.7, .2, .1), H(.4, .35, .25), Math.Log(3)], Floats(UncertaintySelector.Scores(p, UncertaintyMeasure.Entropy)), 1e-5, "entropy");
        AreClose([.5, .05, 0], Floats(UncertaintySelector.Scores(p, UncertaintyMeasure.Margin)), 1e-6, "margin");

        static double H(params double[] q) => -q.Sum(x => x * Math.Log(x));
    }

    [TestMethod]
    public void EveryUncertaintyMeasureKeepsTheMostUncertainSamplesInBothBudgetModes()
    {
        // sample 2 is flat (most uncertain by every measure), sample 0 confident, sample 1 between; all one class
        using var p = tensor(new float[,] { { .9f, .05f, .05f }, { .5f, .3f, .2f }, { .34f, .33f, .33f } });
        using var data = Labels(0, 0, 0);
        using var dynamics = FinalOnly(p, zeros(3, 2), tensor(new long[] { 0, 0, 0 }));
        foreach (var measure in Enum.GetValues<UncertaintyMeasure>())
            foreach (var balanced in new[] { true, false })
            {
                var memory = new UncertaintySelector(measure, new UncertaintyOptions()).Select(Request(data, new Budget(Ipc: 2, Balanced: balanced)), dynamics, default);
                CollectionAssert.AreEqual(new long[] { 2, 1 }, memory.Indices, $"{measure}, balanced {balanced}");
            }
    }

    /// <summary>
    /// T = 4 epochs, K = 3 (two loss differences per window, T − K + 1 = 2 windows), β = 0.5.
    /// Sample 0: f₀ = (.5, .5), f₁ = (.8, .2), f₂ = (.5, .5), f₃ = (.5, .5).
    ///   Δ₀ = KL(f₁‖f₀) = .8 ln(.8/.5) + .2 ln(.2/.5) ≈ 0.1927448
    ///   Δ₁ = KL(f₂‖f₁) = .5 ln(.5/.8) + .5 ln(.5/.2) ≈ 0.2231436
    ///   Δ₂ = KL(f₃‖f₂) = 0
    ///   window 0 {Δ₀, Δ₁}: R₀ = 2·((Δ₁ − Δ₀)/2)² ≈ 4.62044e-4;  window 1 {Δ₁, Δ₂}: R₁ = 2·(Δ₁/2)² ≈ 0.0248965
    ///   EMA from 0: R = β·R₁ + β(1 − β)·R₀ ≈ 0.0125638.
    /// Sample 1 moves by the same KL every epoch (f alternates (.8, .2), (.2, .8): Δ equal both ways), so its spread is 0.
    /// </summary>
    [TestMethod]
    public void TddsMatchesAHandWorkedTrajectory()
    {
        float[,,] trajectory =
        {
            { { .5f, .5f }, { .8f, .2f } },
            { { .8f, .2f }, { .2f, .8f } },
            { { .5f, .5f }, { .8f, .2f } },
            { { .5f, .5f }, { .2f, .8f } },
        };
        double d0 = .8 * Math.Log(.8 / .5) + .2 * Math.Log(.2 / .5), d1 = .5 * Math.Log(.5 / .8) + .5 * Math.Log(.5 / .2);
        double r0 = 2 * Math.Pow((d1 - d0) / 2, 2), r1 = 2 * Math.Pow(d1 / 2, 2);
        AreClose([0.5 * r1 + 0.25 * r0, 0], Floats(TddsSelector.Scores(tensor(trajectory), window: 3, decay: 0.5)), 1e-6, "tdds");
        Assert.AreEqual(0.0125638, 0.5 * r1 + 0.25 * r0, 1e-6, "the worked number in the comment");
    }

    [TestMethod]
    public void TddsCapsTheTrajectoryAtTheRecordedEpochsAndRejectsTooShortRuns()
    {
        using var data = Labels(0, 0);
        var p = new float[2, 2, 2];
        using var twoEpochs = Dynamics(Fill(p, .5f), new bool[2, 2], [0, 0]);
        var selector = new TddsSelector(new TddsOptions());
        var error = Assert.ThrowsExactly<CondensaException>(() => selector.Select(Request(data, Budget.ImagesPerClass(1)), twoEpochs, default));
        StringAssert.Contains(error.Message, "selection_epochs");

        var q = new float[3, 2, 2];
        using var threeEpochs = Dynamics(Fill(q, .5f), new bool[3, 2], [0, 0]);
        Assert.HasCount(1, selector.Select(Request(data, Budget.ImagesPerClass(1)), threeEpochs, default).Indices, "T = 30 and K = 10 capped at 3 epochs");
    }

    /// <summary>
    /// 15 samples, labels i mod 3, rank j = i / 3 within the class. Every step's output puts mass a on a wrong class,
    /// so ‖p − y‖ = √2·a. Epochs 1 and 2 have a = 0.05·(j + 1) (easy to hard with j); epochs 0 and 3 reverse the order
    /// (a = 0.45 − 0.1·j). Training accuracy: epoch 0 5/15, epoch 1 15/15, epoch 2 10/15, epoch 3 15/15. With
    /// stop_epoch 3 and top_k 2 the LBPE sums epochs 1 and 2, so rule 1 keeps j = 0, 1 of every class: indices c, c + 3.
    /// Summing the wrong epochs (0 or 3) would keep j = 4, 3 instead.
    /// </summary>
    [TestMethod]
    public void YocoShrinksFiveToTwoPerClassKeepingTheEasySamplesOfTheMostAccurateEpochs()
    {
        const int n = 15;
        var p = new float[4, n, 3];
        var correct = new bool[4, n];
        var labels = new long[n];
        for (int i = 0; i < n; i++)
        {
            int y = i % 3, j = i / 3;
            labels[i] = y;
            for (int e = 0; e < 4; e++)
            {
                float a = e is 1 or 2 ? 0.05f * (j + 1) : 0.45f - 0.1f * j;
                p[e, i, y] = 1 - a;
                p[e, i, (y + 1) % 3] = a;
            }
            correct[0, i] = i < 5;
            correct[1, i] = true;
            correct[2, i] = i < 10;
            correct[3, i] = true;
        }
        using var dynamics = Dynamics(p, correct, labels);
        CollectionAssert.AreEqual(new long[] { 1, 2 }, YocoSelector.TopAccuracyEpochs(dynamics.Correct, stopEpoch: 3, topK: 2));
        CollectionAssert.AreEqual(new long[] { 1, 3 }, YocoSelector.TopAccuracyEpochs(dynamics.Correct, stopEpoch: 4, topK: 2), "ties go to the earlier epoch");

        using var memorySet = Labels(labels);
        var memory = new YocoSelector(new YocoOptions { StopEpoch = 3, TopK = 2 }).Select(Request(memorySet, Budget.ImagesPerClass(2)), dynamics, default);
        CollectionAssert.AreEqual(new long[] { 0, 3, 1, 4, 2, 5 }, memory.Indices);
        AreClose(new[] { .1, .2, .1, .2, .1, .2 }.Select(a => a * Math.Sqrt(2)).ToArray(), memory.Scores!, 1e-5, "LBPE = √2 (a₁ + a₂)");

        var hard = new YocoSelector(new YocoOptions { StopEpoch = 3, TopK = 2, Hard = true }).Select(Request(memorySet, Budget.ImagesPerClass(2)), dynamics, default);
        CollectionAssert.AreEqual(new long[] { 12, 9, 13, 10, 14, 11 }, hard.Indices, "hard: true keeps the highest LBPE");
    }

    private static float[,,] Fill(float[,,] a, float value)
    {
        for (int i = 0; i < a.GetLength(0); i++)
            for (int j = 0; j < a.GetLength(1); j++)
                for (int k = 0; k < a.GetLength(2); k++)
                    a[i, j, k] = value;
        return a;
    }

    private static bool[,] Transpose(bool[,] a)
    {
        var t = new bool[a.GetLength(1), a.GetLength(0)];
        for (int i = 0; i < a.GetLength(0); i++)
            for (int j = 0; j < a.GetLength(1); j++)
                t[j, i] = a[i, j];
        return t;
    }
}
