namespace Condensa.Scenarios.Train;

/// <summary>train's results.json: the model, its test metrics per class and overall, and the confusion matrix.</summary>
internal sealed record TrainResults : RunResults
{
    public string Arch { get; init; } = "";
    public string Dataset { get; init; } = "";
    public long Seed { get; init; }
    public TrainMetrics Metrics { get; init; } = new();

    /// <summary>Test accuracy per class, by class name.</summary>
    public Dictionary<string, double>? PerClassAccuracy { get; init; }

    /// <summary>Rows: true class; columns: predicted class; counts of test images.</summary>
    public IReadOnlyList<IReadOnlyList<long>>? ConfusionMatrix { get; init; }

    public override string Headline() => Metrics.TestAccuracy is double accuracy ? $"test accuracy {Percent(accuracy)}" : "";
}

/// <summary>What a train run measured (a field the run did not reach is null).</summary>
internal sealed record TrainMetrics
{
    public double? TestAccuracy { get; init; }
    public double? TestLoss { get; init; }
    public double? TrainAccuracy { get; init; }
    public double? TrainLoss { get; init; }
    public int EpochsCompleted { get; init; }
    public double? TrainSeconds { get; init; }
    public double? TrainImagesPerSecond { get; init; }
    public double? TotalSeconds { get; init; }
}
