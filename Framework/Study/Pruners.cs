using System.Text.Json.Serialization;

namespace Condensa.Study;

/// <summary>
/// Decides whether a running trial should stop early, from the intermediate values it and the other trials reported
/// (Optuna's <c>BasePruner.prune</c>). Called by <see cref="Trial.ShouldPrune"/>; the objective then throws
/// <see cref="TrialPrunedException"/>. The pruner is stored with the study as JSON, so only these built-in pruners
/// can be used.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(NopPruner), "nop")]
[JsonDerivedType(typeof(MedianPruner), "median")]
[JsonDerivedType(typeof(SuccessiveHalvingPruner), "successiveHalving")]
public interface IPruner
{
    bool Prune(Trial trial);
}

/// <summary>Never prunes (Optuna's <c>NopPruner</c>); the default.</summary>
public sealed record NopPruner : IPruner
{
    public bool Prune(Trial trial) => false;
}

/// <summary>
/// Optuna's <c>MedianPruner</c> (= <c>PercentilePruner(50, ...)</c>): once at least <see cref="NStartupTrials"/>
/// trials are Complete and the trial's last step is at least <see cref="NWarmupSteps"/> (and is the first report in
/// its interval of <see cref="IntervalSteps"/> steps after the warm-up), prune when the trial's best intermediate
/// value so far is worse than the median of the Complete trials' values at that same step. A best value of NaN
/// prunes; fewer than <see cref="NMinTrials"/> values at the step never prune. The median ignores NaN
/// (<c>np.nanpercentile</c>, linear interpolation).
/// </summary>
public sealed record MedianPruner : IPruner
{
    public MedianPruner(int nStartupTrials = 5, int nWarmupSteps = 0, int intervalSteps = 1, int nMinTrials = 1)
    {
        if (nStartupTrials < 0 || nWarmupSteps < 0 || intervalSteps < 1 || nMinTrials < 1)
            throw new CondensaException(
                $"Median pruner: needs nStartupTrials >= 0, nWarmupSteps >= 0, intervalSteps >= 1, nMinTrials >= 1 " +
                $"(got {nStartupTrials}, {nWarmupSteps}, {intervalSteps}, {nMinTrials}).");
        (NStartupTrials, NWarmupSteps, IntervalSteps, NMinTrials) = (nStartupTrials, nWarmupSteps, intervalSteps, nMinTrials);
    }

    public int NStartupTrials { get; }
    public int NWarmupSteps { get; }
    public int IntervalSteps { get; }
    public int NMinTrials { get; }

    public bool Prune(Trial trial)
    {
        if (trial.LastStep is not { } step || step < NWarmupSteps || !IsFirstInIntervalStep(step, trial.IntermediateValues.Keys)) return false;
        var completed = trial.Study.GetTrials(TrialState.Complete);
        if (completed.Count == 0 || completed.Count < NStartupTrials) return false;

        bool maximize = trial.Study.Direction == StudyDirection.Maximize;
        var own = trial.IntermediateValues.Values.Where(v => !double.IsNaN(v)).ToArray();
        if (own.Length == 0) return true;
        double best = maximize ? own.Max() : own.Min();

        var atStep = completed.Where(t => t.IntermediateValues.ContainsKey(step)).Select(t => t.IntermediateValues[step]).ToArray();
        if (atStep.Length < NMinTrials) return false;
        double median = NanMedian(atStep);
        if (double.IsNaN(median)) return false;
        return maximize ? best < median : best > median;
    }

    /// <summary>Optuna's <c>_is_first_in_interval_step</c>: no other reported step lies at or after the start of this step's interval.</summary>
    private bool IsFirstInIntervalStep(int step, IEnumerable<int> reportedSteps)
    {
        int intervalStart = (step - NWarmupSteps) / IntervalSteps * IntervalSteps + NWarmupSteps;
        int secondLast = reportedSteps.Where(s => s != step).DefaultIfEmpty(-1).Max();
        return secondLast < intervalStart;
    }

    /// <summary>The median of the non-NaN values (mean of the middle two for an even count), NaN when there are none.</summary>
    internal static double NanMedian(IEnumerable<double> values)
    {
        var sorted = values.Where(v => !double.IsNaN(v)).Order().ToArray();
        if (sorted.Length == 0) return double.NaN;
        int mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}

/// <summary>
/// Optuna's <c>SuccessiveHalvingPruner</c> (asynchronous successive halving, Li et al. 2018, arXiv:1810.05934).
/// Rung r ends at step <c>minResource · reductionFactor^(minEarlyStoppingRate + r)</c>. The first time a trial reports
/// at or after the end of its current rung, its value there is recorded as the system attribute
/// <c>completed_rung_r</c>; it is promoted (goes on) only if that value is among the top
/// <c>⌊n / reductionFactor⌋</c> of the n values recorded at that rung by every trial so far, itself included (the
/// best one when <c>n &lt; reductionFactor</c>), otherwise pruned. A NaN value past a rung end prunes.
/// Departure: Optuna's default <c>min_resource='auto'</c> (estimated from the first finished trial) is not offered;
/// <see cref="MinResource"/> defaults to 1.
/// </summary>
public sealed record SuccessiveHalvingPruner : IPruner
{
    public SuccessiveHalvingPruner(int minResource = 1, int reductionFactor = 4, int minEarlyStoppingRate = 0, int bootstrapCount = 0)
    {
        if (minResource < 1 || reductionFactor < 2 || minEarlyStoppingRate < 0 || bootstrapCount < 0)
            throw new CondensaException(
                $"Successive-halving pruner: needs minResource >= 1, reductionFactor >= 2, minEarlyStoppingRate >= 0, bootstrapCount >= 0 " +
                $"(got {minResource}, {reductionFactor}, {minEarlyStoppingRate}, {bootstrapCount}).");
        (MinResource, ReductionFactor, MinEarlyStoppingRate, BootstrapCount) = (minResource, reductionFactor, minEarlyStoppingRate, bootstrapCount);
    }

    public int MinResource { get; }
    public int ReductionFactor { get; }
    public int MinEarlyStoppingRate { get; }

    /// <summary>A rung needs more than this many recorded values before any trial is promoted past it.</summary>
    public int BootstrapCount { get; }

    internal static string RungKey(int rung) => $"completed_rung_{rung}";

    public bool Prune(Trial trial)
    {
        if (trial.LastStep is not { } step) return false;
        double value = trial.IntermediateValues[step];
        int rung = 0;
        while (trial.SystemAttrs.ContainsKey(RungKey(rung))) rung++;

        IReadOnlyList<FrozenTrial>? others = null;
        while (true)
        {
            if (step < RungEnd(rung)) return false;
            if (double.IsNaN(value)) return true;

            others ??= trial.Study.GetTrials();
            string key = RungKey(rung);
            trial.SetSystemAttr(key, value);
            var competing = others.Where(t => t.Id != trial.Id && t.SystemAttrs.ContainsKey(key))
                                  .Select(t => t.SystemAttrs[key].GetDouble()).Append(value).ToList();
            if (competing.Count <= BootstrapCount || !IsPromotable(value, competing, trial.Study.Direction)) return true;
            rung++;
        }
    }

    private double RungEnd(int rung) => MinResource * Math.Pow(ReductionFactor, MinEarlyStoppingRate + rung);

    /// <summary>Optuna's <c>_is_trial_promotable_to_next_rung</c>.</summary>
    private bool IsPromotable(double value, List<double> competing, StudyDirection direction)
    {
        int promotable = Math.Max(competing.Count / ReductionFactor - 1, 0);
        competing.Sort();
        return direction == StudyDirection.Maximize ? value >= competing[^(promotable + 1)] : value <= competing[promotable];
    }
}
