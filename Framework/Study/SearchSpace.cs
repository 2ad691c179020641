using System.Text.Json;
using System.Text.Json.Serialization;

namespace Condensa.Study;

/// <summary>
/// Named parameter distributions in a fixed order (Optuna's <c>search_space</c> dict). Immutable: each builder
/// call returns a new space, e.g. <c>new SearchSpace().Categorical("width", 32, 64, 128).Int("depth", 1, 4)</c>.
/// Stored as a JSON object whose keys keep the declared order.
/// </summary>
[JsonConverter(typeof(SearchSpaceConverter))]
internal sealed class SearchSpace
{
    /// <summary>The largest grid a study enumerates into its store.</summary>
    public const long MaxGridSize = 1_000_000;

    private readonly KeyValuePair<string, ParamDistribution>[] _axes;

    public SearchSpace() : this([]) { }

    private SearchSpace(KeyValuePair<string, ParamDistribution>[] axes) => _axes = axes;

    public IReadOnlyList<KeyValuePair<string, ParamDistribution>> Axes => _axes;

    public SearchSpace Add(string name, ParamDistribution distribution)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new CondensaException("A search-space parameter needs a non-empty name.");
        if (Find(name) is not null) throw new CondensaException($"Search-space parameter '{name}' is declared twice.");
        return new([.. _axes, new(name, distribution)]);
    }

    public SearchSpace Int(string name, long low, long high, long step = 1, bool log = false) => Add(name, new IntDistribution(low, high, step, log));

    public SearchSpace Float(string name, double low, double high, double? step = null, bool log = false) => Add(name, new FloatDistribution(low, high, step, log));

    public SearchSpace Categorical<T>(string name, params T[] choices) => Add(name, CategoricalDistribution.Of(choices));

    public ParamDistribution? Find(string name) => Array.Find(_axes, a => a.Key == name).Value;

    /// <summary>The number of grid points, or null when an axis is continuous or the grid exceeds <see cref="MaxGridSize"/>.</summary>
    public long? GridSize()
    {
        long size = 1;
        foreach (var (_, distribution) in _axes)
        {
            if (distribution.Values() is not { } values) return null;
            size *= values.Count;
            if (size > MaxGridSize) return null;
        }
        return size;
    }

    /// <summary>Every point of the grid, in odometer order (the last axis varies fastest, as <c>itertools.product</c>).</summary>
    internal List<Dictionary<string, JsonElement>> Grid()
    {
        if (_axes.Length == 0) throw new CondensaException("A grid needs at least one search-space parameter.");
        if (GridSize() is not { } size)
        {
            var continuous = _axes.Where(a => a.Value.Values() is null).Select(a => $"'{a.Key}' ({a.Value})").ToArray();
            throw new CondensaException(continuous.Length > 0
                ? $"A grid needs axes with at most {MaxGridSize:N0} values each; not: {string.Join(", ", continuous)} (use int or categorical parameters, or the random sampler)."
                : $"The grid has more than {MaxGridSize:N0} points; use the random sampler with a number of trials.");
        }
        var axes = _axes.Select(a => (a.Key, Values: a.Value.Values()!)).ToArray();
        var points = new List<Dictionary<string, JsonElement>>((int)size);
        var index = new int[axes.Length];
        for (long n = 0; n < size; n++)
        {
            var point = new Dictionary<string, JsonElement>(axes.Length);
            for (int a = 0; a < axes.Length; a++) point[axes[a].Key] = axes[a].Values[index[a]];
            points.Add(point);
            for (int a = axes.Length - 1; a >= 0 && ++index[a] == axes[a].Values.Count; a--) index[a] = 0;
        }
        return points;
    }

    /// <summary>One independent draw of every axis, in declared order.</summary>
    internal Dictionary<string, JsonElement> Sample(Random random) => _axes.ToDictionary(a => a.Key, a => a.Value.Sample(random));

    private sealed class SearchSpaceConverter : JsonConverter<SearchSpace>
    {
        public override SearchSpace Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType != JsonTokenType.StartObject) throw new JsonException("A search space is a JSON object of name: distribution.");
            var space = new SearchSpace();
            while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
            {
                string name = reader.GetString()!;
                reader.Read();
                var distribution = JsonSerializer.Deserialize<ParamDistribution>(ref reader, options) ?? throw new JsonException($"'{name}' has no distribution.");
                space = space.Add(name, distribution);
            }
            return space;
        }

        public override void Write(Utf8JsonWriter writer, SearchSpace value, JsonSerializerOptions options)
        {
            writer.WriteStartObject();
            foreach (var (name, distribution) in value._axes)
            {
                writer.WritePropertyName(name);
                JsonSerializer.Serialize(writer, distribution, options);
            }
            writer.WriteEndObject();
        }
    }
}
