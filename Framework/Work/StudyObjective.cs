using System.Text.Json;
using Condensa.Study;

namespace Condensa.Work;

/// <summary>
/// What the best result of a study is, stored with the study (user attribute <c>objective</c>) so that any reader
/// (<c>condensa status</c>, the dashboard) can show it without knowing the scenario: among the complete units whose
/// parameters match <see cref="Where"/>, the group (by the parameters in <see cref="GroupBy"/>) with the highest mean
/// value, e.g. compare's best (builder, budget) cell over its models.
/// </summary>
public sealed record StudyObjective(IReadOnlyDictionary<string, string> Where, IReadOnlyList<string> GroupBy)
{
    public const string Attribute = "objective";

    public JsonElement ToJson() => JsonSerializer.SerializeToElement(new { where = Where, group_by = GroupBy });

    /// <summary>The objective a study was planned with, or null.</summary>
    public static StudyObjective? Of(SearchStudy study)
    {
        if (!study.UserAttrs.TryGetValue(Attribute, out var json)) return null;
        var where = json.GetProperty("where").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
        return new StudyObjective(where, json.GetProperty("group_by").EnumerateArray().Select(g => g.GetString()!).ToList());
    }

    /// <summary>"VALUE GROUP (mean of N)" for the best group of <paramref name="units"/>, or "" when none is complete.</summary>
    public string Best(IEnumerable<FrozenTrial> units)
    {
        string? Param(FrozenTrial u, string key) => u.Params.TryGetValue(key, out var v) ? v.ToString() : null;
        var best = units.Where(u => u.State == TrialState.Complete && u.Value is not null && Where.All(w => Param(u, w.Key) == w.Value))
            .GroupBy(u => string.Join(" ", GroupBy.Select(g => Param(u, g))))
            .Select(g => (Group: g.Key, Mean: g.Average(u => u.Value!.Value), Count: g.Count()))
            .OrderByDescending(g => g.Mean).ThenBy(g => g.Group, StringComparer.Ordinal).FirstOrDefault();
        return best.Group is null ? "" : $"{best.Mean:0.0000} {best.Group} (mean of {best.Count})";
    }
}
