using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Condensa.Reporting;
using Condensa.Scenarios.ArchitectureSearch;
using Condensa.Scenarios.Comparison;
using Condensa.Scenarios.ContinualLearning;
using Condensa.Scenarios.Train;
using Condensa.Work;

namespace Condensa.Scenarios;

/// <summary>
/// A run's results.json as a type: each scenario writes its record and the dashboard reads the same record back, so
/// the two agree on every key. The <c>scenario</c> key names the record; every record says how the run ended.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "scenario")]
[JsonDerivedType(typeof(TrainResults), "train")]
[JsonDerivedType(typeof(CompareResults), "compare")]
[JsonDerivedType(typeof(ContinualResults), "continual")]
[JsonDerivedType(typeof(NasResults), "nas")]
internal abstract record RunResults
{
    /// <summary>completed, partial, failed or cancelled.</summary>
    [JsonPropertyOrder(-3)] public string Status { get; init; } = "";

    /// <summary>Units that failed, of <see cref="Units"/> (a unit run with failures only).</summary>
    [JsonPropertyOrder(-2), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? FailedUnits { get; init; }

    [JsonPropertyOrder(-2), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? Units { get; init; }

    /// <summary>Why the run failed, or its first failed unit's error.</summary>
    [JsonPropertyOrder(-1), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Error { get; init; }

    /// <summary>The number the run is read for, in one line (the dashboard's list of runs); empty when there is none yet.</summary>
    public abstract string Headline();

    /// <summary>This record with how a unit run ended.</summary>
    public RunResults With(RunOutcome outcome) => this with
    {
        Status = outcome.Status,
        FailedUnits = outcome.Failed > 0 ? outcome.Failed : null,
        Units = outcome.Failed > 0 ? outcome.Units : null,
        Error = outcome.Failed > 0 ? outcome.Error : null,
    };

    public void Write(RunDirectory directory) => directory.WriteText("results.json", JsonSerializer.Serialize(this, RunDirectory.Json) + "\n");

    /// <summary>The record a results.json holds, or null when it holds none of these (half-written, another format).</summary>
    public static RunResults? Read(string json)
    {
        try
        {
            return Read(JsonNode.Parse(json));
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The record of an already parsed results.json (null: none).</summary>
    public static RunResults? Read(JsonNode? json)
    {
        if (json is null) return null;
        try
        {
            return json.Deserialize<RunResults>(RunDirectory.Json);
        }
        catch (Exception e) when (e is JsonException or NotSupportedException or InvalidOperationException)
        {
            return null;
        }
    }

    protected static string Percent(double x) => $"{100 * x:0.00}%";
}
