using System.Text.Json;
using System.Text.Json.Serialization;

namespace Condensa.Study;

/// <summary>
/// The JSON the study store keeps in its text columns (parameters, attributes): compact,
/// camelCase, and NaN/Infinity allowed so every double survives a round trip.
/// </summary>
internal static class StudyJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);

    public static JsonElement ToElement<T>(T value) => JsonSerializer.SerializeToElement(value, Options);

    public static T Deserialize<T>(string json, string what)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(json, Options) ?? throw new JsonException("null");
        }
        catch (JsonException e)
        {
            throw new CondensaException($"Corrupt {what} in the study store: {e.Message} (text: {json})", inner: e);
        }
    }

    /// <summary>A name-to-value map in insertion order (parameters, attributes).</summary>
    public static string SerializeMap(IReadOnlyDictionary<string, JsonElement> map) => Serialize(map);

    public static Dictionary<string, JsonElement> DeserializeMap(string json, string what) =>
        Deserialize<Dictionary<string, JsonElement>>(json, what);
}
