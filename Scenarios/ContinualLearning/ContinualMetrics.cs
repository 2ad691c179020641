using Condensa.Training;

namespace Condensa.Scenarios.ContinualLearning;

/// <summary>
/// Continual-learning metrics over the accuracy matrix A, where A[i][j] (j ≤ i, 0-based) is the accuracy on the test
/// images of step j (its classes, or its domain) after training step i, and T is the last step.
/// </summary>
internal static class ContinualMetrics
{
    /// <summary>
    /// The accuracy on several test sets taken together (one per step so far): Σ_j a_j·n_j / Σ_j n_j, with a_j the
    /// accuracy on test set j of n_j images; the accuracy on all classes (or domains) seen so far.
    /// </summary>
    public static double Pooled(IReadOnlyList<EvalResult> perStep) =>
        perStep.Sum(r => r.Accuracy * r.Count) / perStep.Sum(r => r.Count);

    /// <summary>Average incremental accuracy (Rebuffi et al. 2017): the mean over steps of the accuracy on all classes seen so far.</summary>
    public static double AverageIncrementalAccuracy(IReadOnlyList<double> seenAccuracy) => seenAccuracy.Average();

    /// <summary>
    /// Forgetting (Chaudhry et al. 2018, as FACIL computes it): the mean over old steps j &lt; T of
    /// max_{j ≤ i &lt; T} A[i][j] − A[T][j], the drop from the best accuracy ever had on step j. (Avalanche instead
    /// subtracts from the accuracy right after learning step j, i.e. −BWT.) NaN for a single step.
    /// </summary>
    public static double Forgetting(IReadOnlyList<IReadOnlyList<double>> a)
    {
        int last = a.Count - 1;
        if (last < 1) return double.NaN;
        return Enumerable.Range(0, last).Average(j => Enumerable.Range(j, last - j).Max(i => a[i][j]) - a[last][j]);
    }

    /// <summary>Backward transfer (Lopez-Paz and Ranzato 2017): mean over j &lt; T of A[T][j] − A[j][j]. NaN for a single step.</summary>
    public static double BackwardTransfer(IReadOnlyList<IReadOnlyList<double>> a)
    {
        int last = a.Count - 1;
        if (last < 1) return double.NaN;
        return Enumerable.Range(0, last).Average(j => a[last][j] - a[j][j]);
    }
}
