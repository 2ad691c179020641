using Condensa.Study;

namespace Condensa.Tests.Framework.Study;

/// <summary>
/// Each trial of a one-worker in-memory study reports a scripted curve, asks <see cref="Trial.ShouldPrune"/> after
/// every report and stops when told to; the answers are compared with Optuna's rules worked out by hand.
/// </summary>
[TestClass]
public sealed class PrunerTests
{
    private static (List<bool>[] Answers, IReadOnlyList<FrozenTrial> Trials) Run(IPruner pruner, StudyDirection direction, double[][] curves)
    {
        using var storage = new InMemoryStorage();
        var study = SearchStudy.Create(storage, "pruning", direction,
            new GridSampler(new SearchSpace().Int("curve", 0, curves.Length - 1)), pruner);
        var answers = curves.Select(_ => new List<bool>()).ToArray();
        StudyRunner.RunWorker(study, (trial, _) =>
        {
            var curve = curves[trial.SuggestInt("curve", 0, curves.Length - 1)];
            for (int step = 0; step < curve.Length; step++)
            {
                trial.Report(step, curve[step]);
                bool prune = trial.ShouldPrune();
                answers[trial.Number].Add(prune);
                if (prune) throw new TrialPrunedException();
            }
            return curve[^1];
        }, "w");
        return (answers, study.GetTrials());
    }

    [TestMethod]
    [DataRow(StudyDirection.Maximize, 1.0)]
    [DataRow(StudyDirection.Minimize, -1.0)] // the same curves negated: every decision mirrors
    public void MedianPrunerFollowsOptuna(StudyDirection direction, double sign)
    {
        double[][] curves =
        [
            [0.2, 0.4, 0.6],   // T0: no trial complete yet -> never pruned; completes 0.6
            [0.1, 0.3, 0.8],   // T1: 1 complete < 2 startup trials -> never pruned; completes 0.8
            [0.0, 0.33, 0.9],  // T2: step 0 < 1 warm-up; step 1: best 0.33 < median(0.4, 0.3) = 0.35 -> pruned
            [0.9, 0.1, 0.2],   // T3: the best so far (0.9) counts, not the last: 0.9 > 0.35, then > median(0.6, 0.8) = 0.7 -> completes 0.2
            [0.5, 0.36, 0.55], // T4: step 1: 0.5 > median(0.4, 0.3, 0.1) = 0.3; step 2: 0.55 < median(0.6, 0.8, 0.2) = 0.6 -> pruned
        ];
        var (answers, trials) = Run(new MedianPruner(nStartupTrials: 2, nWarmupSteps: 1), direction,
            curves.Select(c => c.Select(v => sign * v).ToArray()).ToArray());

        bool[][] expected = [[false, false, false], [false, false, false], [false, true], [false, false, false], [false, false, true]];
        for (int t = 0; t < expected.Length; t++) CollectionAssert.AreEqual(expected[t], answers[t], $"trial {t}");
        CollectionAssert.AreEqual(
            new[] { TrialState.Complete, TrialState.Complete, TrialState.Pruned, TrialState.Complete, TrialState.Pruned },
            trials.Select(t => t.State).ToArray());
        Assert.AreEqual(sign * 0.33, trials[2].Value!.Value, 1e-12, "a pruned trial keeps its last intermediate value");
        Assert.AreEqual(sign * 0.55, trials[4].Value!.Value, 1e-12);
    }

    [TestMethod]
    public void MedianPrunerPrunesNaN()
    {
        var (answers, _) = Run(new MedianPruner(nStartupTrials: 1), StudyDirection.Maximize, [[0.5, 0.5], [double.NaN, 0.9]]);
        CollectionAssert.AreEqual(new[] { true }, answers[1]);
    }

    [TestMethod]
    public void SuccessiveHalvingPrunerFollowsOptuna()
    {
        // minResource 1, reductionFactor 2: rung r ends at step 2^r (steps 1, 2, 4). At a rung end the trial's value joins
        // the n values recorded there by all trials (pruned ones too) and goes on only if it is >= the
        // (max(n / 2 - 1, 0) + 1)-th largest of them.
        double[][] curves =
        [
            [0.1, 0.5, 0.6, 0.65, 0.7], // T0: alone at rungs 0, 1, 2 -> promoted each time; completes 0.7
            [0.2, 0.4, 0.9],            // T1: rung 0 {0.5, 0.4}: needs the largest (0.5) -> pruned at step 1
            [0.0, 0.45, 0.9],           // T2: rung 0 {0.5, 0.4, 0.45}: 3 / 2 - 1 = 0 -> needs 0.5 -> pruned
            [0.1, 0.6, 0.55, 0.9],      // T3: rung 0 {.., 0.6}: n = 4 -> 2nd largest 0.5, promoted; rung 1 {0.6, 0.55} -> pruned at step 2
            [0.1, 0.5, 0.65, 0.66, 0.7],// T4: rung 0 n = 5 -> 2nd largest 0.5, ties promote; rung 1 {0.6, 0.55, 0.65} -> 0.65 largest; rung 2 {0.7, 0.7} -> promoted
        ];
        var (answers, trials) = Run(new SuccessiveHalvingPruner(minResource: 1, reductionFactor: 2), StudyDirection.Maximize, curves);

        bool[][] expected = [[false, false, false, false, false], [false, true], [false, true], [false, false, true], [false, false, false, false, false]];
        for (int t = 0; t < expected.Length; t++) CollectionAssert.AreEqual(expected[t], answers[t], $"trial {t}");
        Assert.AreEqual(0.6, trials[3].SystemAttrs["completed_rung_0"].GetDouble());
        Assert.AreEqual(0.55, trials[3].SystemAttrs["completed_rung_1"].GetDouble());
        Assert.IsFalse(trials[3].SystemAttrs.ContainsKey("completed_rung_2"));
        Assert.AreEqual(3, trials[0].SystemAttrs.Count);
        Assert.AreEqual(0.4, trials[1].Value);
    }

    [TestMethod]
    public void NopPrunerNeverPrunes()
    {
        var (answers, trials) = Run(new NopPruner(), StudyDirection.Maximize, [[0.9, 0.9], [double.NaN, 0.0]]);
        Assert.IsTrue(answers.All(a => a.All(p => !p)));
        Assert.IsTrue(trials.All(t => t.State == TrialState.Complete));
    }
}
