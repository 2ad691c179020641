using System.Text.Json;
using System.Text.Json.Nodes;
using Condensa.Memory;
using Condensa.Reporting;

namespace Condensa.Scenarios.ContinualLearning;

/// <summary>
/// One finished step of a run, as checkpointed: the new classes; the accuracy on all seen classes (mean over the
/// step's models) and per model; the accuracy-matrix row (accuracy on each step's classes so far, mean over models);
/// wall time and the memory's share of it (building the new classes' memory, as recorded when it was built, and
/// shrinking the old); the memory held after the step.
/// </summary>
internal sealed record StepResult(int Step, int[] Classes, double Accuracy, double[] ModelAccuracies, double[] AccuracyRow,
    double Seconds, double BuildSeconds, int MemoryImages, long MemoryBytes);

/// <summary>One (strategy, builder, repeat) run, at one of the memory sizes a run sweeps if it does: its class split and the steps finished so far.</summary>
internal sealed class ContinualRun(string strategy, string builder, int seed, int[][] groups, string settings)
{
    /// <summary>A hash of the settings the results depend on; a stored run is reused only when it matches.</summary>
    public string Settings { get; } = settings;

    public string Strategy { get; } = strategy;
    public string Builder { get; } = builder;
    public int Seed { get; } = seed;
    public int[][] Groups { get; } = groups;
    public List<StepResult> Steps { get; } = [];

    /// <summary>The size of <c>memory.sizes</c> this run has, or null when the run compares one memory.</summary>
    public int? MemorySize { get; init; }

    public bool Complete => Steps.Count == Groups.Length;
    public string Name => $"{RunDirectory.Slug(Strategy)}-{RunDirectory.Slug(Builder)}{(MemorySize is int n ? $"-memory{n}" : "")}-seed{Seed}";
    public IReadOnlyList<IReadOnlyList<double>> AccuracyMatrix => Steps.Select(s => (IReadOnlyList<double>)s.AccuracyRow).ToList();
    public double FinalAccuracy => Steps.Count == 0 ? double.NaN : Steps[^1].Accuracy;
    public double AverageIncrementalAccuracy => Steps.Count == 0 ? double.NaN : ContinualMetrics.AverageIncrementalAccuracy(Steps.Select(s => s.Accuracy).ToList());
    public double Forgetting => ContinualMetrics.Forgetting(AccuracyMatrix);
    public double BackwardTransfer => ContinualMetrics.BackwardTransfer(AccuracyMatrix);

    /// <summary>The run as it is stored.</summary>
    public ContinualRunRecord ToRecord() => new()
    {
        Strategy = Strategy, Builder = Builder, Seed = Seed, MemorySize = MemorySize, Settings = Settings, Complete = Complete, ClassOrder = Groups,
        Steps = Steps, FinalAccuracy = Number(FinalAccuracy), AverageIncrementalAccuracy = Number(AverageIncrementalAccuracy), Forgetting = Number(Forgetting),
        Bwt = Number(BackwardTransfer), AccuracyMatrix = Steps.Select(s => (IReadOnlyList<double?>)s.AccuracyRow.Select(Number).ToList()).ToList(),
    };

    /// <summary>The run as stored, as a JSON object (a unit's attribute, runs/NAME.json).</summary>
    public JsonObject ToJson() => JsonSerializer.SerializeToNode(ToRecord(), RunDirectory.Json)!.AsObject();

    /// <summary>
    /// A stored run, at memory size <paramref name="memorySize"/> (its unit's: a unit reused from a run of that size
    /// alone carries that run's record, which names no size).
    /// </summary>
    public static ContinualRun FromRecord(ContinualRunRecord record, int? memorySize)
    {
        var run = new ContinualRun(record.Strategy, record.Builder, record.Seed, record.ClassOrder, record.Settings) { MemorySize = memorySize };
        run.Steps.AddRange(record.Steps);
        return run;
    }

    /// <inheritdoc cref="FromRecord"/>
    public static ContinualRun FromJson(JsonNode json, int? memorySize) => FromRecord(json.Deserialize<ContinualRunRecord>(RunDirectory.Json)!, memorySize);

    /// <summary>A number as stored: NaN (no value) is null.</summary>
    internal static double? Number(double v) => double.IsNaN(v) ? null : v;


}

/// <summary>
/// Mean ± std of a (strategy, builder) pair over its complete runs. The accuracy per step and the final accuracy pool
/// every model of every repeat (CL_DM.py reports 5 orders × 3 models = 15 values); average incremental accuracy,
/// forgetting and BWT are per run, so their spread is over repeats.
/// </summary>
internal sealed record ContinualSummary(string Strategy, string Builder, int Runs, int[] ClassesSeen, double[] StepMean, double[] StepStd,
    double FinalMean, double FinalStd, double AiaMean, double AiaStd, double ForgettingMean, double ForgettingStd, double BwtMean, double BwtStd,
    double SecondsMean, double MemoryImagesFinal, double MemoryBytesFinal, int? MemorySize)
{
    public static ContinualSummary Of(IReadOnlyList<ContinualRun> runs)
    {
        var first = runs[0];
        int steps = first.Groups.Length;
        var perStep = Enumerable.Range(0, steps).Select(t => MemoryEvaluation.MeanStd(runs.SelectMany(r => r.Steps[t].ModelAccuracies).ToArray())).ToArray();
        var aia = MemoryEvaluation.MeanStd(runs.Select(r => r.AverageIncrementalAccuracy).ToArray());
        var forgetting = MemoryEvaluation.MeanStd(runs.Select(r => r.Forgetting).ToArray());
        var bwt = MemoryEvaluation.MeanStd(runs.Select(r => r.BackwardTransfer).ToArray());
        return new ContinualSummary(first.Strategy, first.Builder, runs.Count,
            first.Groups.Select((_, t) => first.Groups.Take(t + 1).SelectMany(g => g).Distinct().Count()).ToArray(),
            perStep.Select(p => p.Mean).ToArray(), perStep.Select(p => p.Std).ToArray(),
            perStep[^1].Mean, perStep[^1].Std, aia.Mean, aia.Std, forgetting.Mean, forgetting.Std, bwt.Mean, bwt.Std,
            runs.Average(r => r.Steps.Sum(s => s.Seconds)), runs.Average(r => r.Steps[^1].MemoryImages), runs.Average(r => r.Steps[^1].MemoryBytes), first.MemorySize);
    }

    public ContinualSummaryRow ToRow() => new()
    {
        Strategy = Strategy, Builder = Builder, MemorySize = MemorySize, Runs = Runs,
        FinalAccuracyMean = ContinualRun.Number(FinalMean), FinalAccuracyStd = ContinualRun.Number(FinalStd),
        AverageIncrementalAccuracyMean = ContinualRun.Number(AiaMean), AverageIncrementalAccuracyStd = ContinualRun.Number(AiaStd),
        ForgettingMean = ContinualRun.Number(ForgettingMean), ForgettingStd = ContinualRun.Number(ForgettingStd),
        BwtMean = ContinualRun.Number(BwtMean), BwtStd = ContinualRun.Number(BwtStd),
        ClassesSeen = ClassesSeen, StepAccuracyMean = StepMean.Select(ContinualRun.Number).ToList(), StepAccuracyStd = StepStd.Select(ContinualRun.Number).ToList(),
        SecondsMean = Math.Round(SecondsMean, 2), FinalMemoryImagesMean = MemoryImagesFinal, FinalMemoryBytesMean = Math.Round(MemoryBytesFinal),
    };
}
