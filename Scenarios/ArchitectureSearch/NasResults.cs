using System.Text.Json.Serialization;

namespace Condensa.Scenarios.ArchitectureSearch;

/// <summary>
/// nas's results.json. <c>mode: evaluate</c> (<see cref="Mode"/> null): one row per proxy (<see cref="Proxies"/>) ranking
/// the candidates against whole-set training (<see cref="Whole"/>). <c>mode: search</c>: the phases' times, the proxy's
/// ranking and the architecture it chose beside the random baseline and the default ConvNet.
/// </summary>
internal sealed record NasResults : RunResults
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Mode { get; init; }
    public string Dataset { get; init; } = "";
    public int Candidates { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? Repeats { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? TopkDefinition { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public IReadOnlyList<NasProxyRow>? Proxies { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public NasProxyRow? Whole { get; init; }

    /// <summary>search: the proxy the candidates were ranked on.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Proxy { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public IReadOnlyList<NasPhase>? Phases { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public IReadOnlyList<NasRanked>? Ranking { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public NasPick? Chosen { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public NasPick? RandomBaselineBest { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public IReadOnlyList<string>? RandomBaseline { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public NasPick? DefaultConvnet { get; init; }

    /// <summary>search: the chosen architecture; evaluate: the proxy with the best top-k Spearman.</summary>
    public override string Headline() =>
        Chosen is { } chosen ? $"chosen: {chosen.Arch} ({(chosen.TestAccuracy is double t ? Percent(t) : "untested")} whole-set test)"
        : Proxies?.Where(p => p.SpearmanTopk is not null).MaxBy(p => p.SpearmanTopk) is { } best ? $"best proxy: {best.Name} (Spearman top {best.K} {best.SpearmanTopk:0.00})"
        : "";
}

/// <summary>
/// One proxy's ranking of the candidates against whole-set training (signed correlations; the whole set's own row has
/// no true rank). A proxy with fewer than 2 candidates ranked has only its counts.
/// </summary>
internal sealed record NasProxyRow
{
    public string Name { get; init; } = "";
    public string Kind { get; init; } = "";
    public string Study { get; init; } = "";
    public int Candidates { get; init; }
    public int FailedCandidates { get; init; }
    public int Images { get; init; }
    public long? StoredBytes { get; init; }
    public long? TrainingSteps { get; init; }
    public double Seconds { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? K { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public double? SpearmanTopk { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public double? KendallTopk { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public double? TopkOverlap { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? KTopFraction { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public double? SpearmanTopFraction { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public double? KendallTopFraction { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public double? SpearmanAll { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public double? KendallAll { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? BestArch { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public double? BestArchWholeAccuracy { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? BestArchTrueRank { get; init; }
}

/// <summary>One phase of a search: its candidates, epochs, wall and compute seconds.</summary>
internal sealed record NasPhase(string Phase, int? Candidates, int? Epochs, double WallSeconds, double ComputeSeconds);

/// <summary>A candidate of the proxy's ranking with its proxy value.</summary>
internal sealed record NasRanked(string Arch, double ProxyValue);

/// <summary>An architecture trained on the whole set: its validation and test accuracy.</summary>
internal sealed record NasPick(string Arch, double ValidationAccuracy, double? TestAccuracy);
