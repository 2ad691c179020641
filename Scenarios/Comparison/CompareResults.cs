using System.Text.Json.Serialization;

namespace Condensa.Scenarios.Comparison;

/// <summary>compare's results.json: the run's settings and one row per (builder, budget, architecture, protocol) cell.</summary>
internal sealed record CompareResults : RunResults
{
    public string Dataset { get; init; } = "";
    public string BuildArch { get; init; } = "";
    public int Seeds { get; init; }
    public int ThreadsPerWorker { get; init; }
    public int ModelsPerMemory { get; init; }
    public int EvalEpochs { get; init; }
    public string EvalAugmentation { get; init; } = "";
    public IReadOnlyList<CompareRow> Rows { get; init; } = [];

    /// <summary>The row with the highest mean accuracy.</summary>
    public override string Headline() =>
        Rows.Where(r => r.AccuracyMean is not null).MaxBy(r => r.AccuracyMean) is { } best
            ? $"best: {best.Method} {best.Budget} {Percent(best.AccuracyMean!.Value)}" : "";
}

/// <summary>
/// One cell of a compare run: a builder at a budget, trained on by one architecture under one protocol, over all its
/// memories and models. A cell whose models (or memory build) failed has no accuracy and says why (<see cref="Failure"/>).
/// </summary>
internal sealed record CompareRow
{
    public string Method { get; init; } = "";
    public int? Ipc { get; init; }
    public double? Fraction { get; init; }
    public string Arch { get; init; } = "";
    public string Protocol { get; init; } = "";
    public string BuildArch { get; init; } = "";
    public double? AccuracyMean { get; init; }
    public double? AccuracyStd { get; init; }
    public int Models { get; init; }
    public int FailedModels { get; init; }

    /// <summary>Mean accuracy minus random's in the same run, protocol and architecture (points as a fraction), or null.</summary>
    public double? GainOverRandom { get; init; }

    public string? Failure { get; init; }
    public double BuildSeconds { get; init; }
    public int MemoryImages { get; init; }
    public int TrainingImages { get; init; }
    public double? StoredBytes { get; init; }
    public int? Iterations { get; init; }
    public string? Sweep { get; init; }
    public int EvalEpochs { get; init; }
    public string EvalAugmentation { get; init; } = "";

    /// <summary>The budget as a person reads it: "ipc 10" or "fraction 0.1".</summary>
    [JsonIgnore] public string Budget => Ipc is int ipc ? $"ipc {ipc}" : $"fraction {Fraction}";
}
