using System.Text.Json;
using Condensa.Study;

namespace Condensa.Work;

/// <summary>The parameters of a work unit: a <c>label</c> for people (status, logs) and the values a worker needs to run it.</summary>
public static class UnitParams
{
    public static Dictionary<string, JsonElement> Of(string label, params (string Key, object Value)[] values)
    {
        var map = new Dictionary<string, JsonElement> { ["label"] = JsonSerializer.SerializeToElement(label) };
        foreach (var (key, value) in values) map[key] = JsonSerializer.SerializeToElement(value, value.GetType());
        return map;
    }

    public static string Text(IReadOnlyDictionary<string, JsonElement> parameters, string key) => parameters[key].GetString()!;

    public static int Int(IReadOnlyDictionary<string, JsonElement> parameters, string key) => parameters[key].GetInt32();

    public static string Text(this Trial unit, string key) => Text(unit.Params, key);

    public static int Int(this Trial unit, string key) => Int(unit.Params, key);
}
