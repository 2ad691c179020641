namespace Condensa.Scenarios.ContinualLearning;

/// <summary>continual's results.json: the stream and memory, every run and the summary of each (strategy, builder, memory size).</summary>
internal sealed record ContinualResults : RunResults
{
    public string Dataset { get; init; } = "";

    /// <summary>class or domain.</summary>
    public string Incremental { get; init; } = "class";

    public int Steps { get; init; }

    /// <summary>The memory policy, or the policies of the sizes compared, as text.</summary>
    public string Memory { get; init; } = "";

    public string Arch { get; init; } = "";
    public string BuildArch { get; init; } = "";
    public int ThreadsPerWorker { get; init; }
    public IReadOnlyList<ContinualRunRecord> Runs { get; init; } = [];
    public IReadOnlyList<ContinualSummaryRow> Summary { get; init; } = [];

    /// <summary>The (strategy, builder) with the best final accuracy.</summary>
    public override string Headline() =>
        Summary.Where(s => s.FinalAccuracyMean is not null).MaxBy(s => s.FinalAccuracyMean) is { } top
            ? $"best final accuracy: {top.Strategy} + {top.Builder} {Percent(top.FinalAccuracyMean!.Value)}" : "";
}

/// <summary>
/// One run as stored (in results.json, runs/NAME.json and its unit): its class order, its steps, and the metrics of
/// the steps so far (null where there is none yet).
/// </summary>
internal sealed record ContinualRunRecord
{
    public string Strategy { get; init; } = "";
    public string Builder { get; init; } = "";
    public int Seed { get; init; }
    public int? MemorySize { get; init; }
    public string Settings { get; init; } = "";
    public bool Complete { get; init; }
    public int[][] ClassOrder { get; init; } = [];
    public IReadOnlyList<StepResult> Steps { get; init; } = [];
    public double? FinalAccuracy { get; init; }
    public double? AverageIncrementalAccuracy { get; init; }
    public double? Forgetting { get; init; }
    public double? Bwt { get; init; }

    /// <summary>Row i: after step i + 1; column j: accuracy on step j + 1's test data.</summary>
    public IReadOnlyList<IReadOnlyList<double?>> AccuracyMatrix { get; init; } = [];
}

/// <summary>A (strategy, builder, memory size)'s mean ± std over its complete runs (null: not a number).</summary>
internal sealed record ContinualSummaryRow
{
    public string Strategy { get; init; } = "";
    public string Builder { get; init; } = "";
    public int? MemorySize { get; init; }
    public int Runs { get; init; }
    public double? FinalAccuracyMean { get; init; }
    public double? FinalAccuracyStd { get; init; }
    public double? AverageIncrementalAccuracyMean { get; init; }
    public double? AverageIncrementalAccuracyStd { get; init; }
    public double? ForgettingMean { get; init; }
    public double? ForgettingStd { get; init; }
    public double? BwtMean { get; init; }
    public double? BwtStd { get; init; }
    public IReadOnlyList<int> ClassesSeen { get; init; } = [];
    public IReadOnlyList<double?> StepAccuracyMean { get; init; } = [];
    public IReadOnlyList<double?> StepAccuracyStd { get; init; } = [];
    public double SecondsMean { get; init; }
    public double FinalMemoryImagesMean { get; init; }
    public double FinalMemoryBytesMean { get; init; }
}
