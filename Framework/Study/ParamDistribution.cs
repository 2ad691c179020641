using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Condensa.Study;

/// <summary>
/// The range of one parameter, as Optuna's distributions (<c>IntDistribution</c>, <c>FloatDistribution</c>,
/// <c>CategoricalDistribution</c>). Values are kept as JSON (<see cref="JsonElement"/>) so that a parameter drawn or
/// enqueued by one process reads back identically in every other one.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(IntDistribution), "int")]
[JsonDerivedType(typeof(FloatDistribution), "float")]
[JsonDerivedType(typeof(CategoricalDistribution), "categorical")]
internal abstract record ParamDistribution
{
    /// <summary>Whether <paramref name="value"/> is one this distribution can produce.</summary>
    internal abstract bool Contains(JsonElement value);

    /// <summary>One uniform draw (log-uniform when the distribution is logarithmic), as Optuna's RandomSampler.</summary>
    internal abstract JsonElement Sample(Random random);

    /// <summary>Every value in order (a grid axis), or null for a continuous distribution.</summary>
    internal abstract IReadOnlyList<JsonElement>? Values();

    private protected static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}

/// <summary>Integers <c>low, low+step, ..., high</c> (both ends included, as Optuna). With <c>log</c> the draw is
/// log-uniform over <c>[low-0.5, high+0.5]</c> then rounded, as Optuna's search-space transform.</summary>
internal sealed record IntDistribution : ParamDistribution
{
    public IntDistribution(long low, long high, long step = 1, bool log = false)
    {
        if (high < low) throw new CondensaException($"Int parameter range [{low}, {high}]: high must be >= low.");
        if (step < 1) throw new CondensaException($"Int parameter range [{low}, {high}]: step {step} must be >= 1.");
        if ((high - low) % step != 0) throw new CondensaException($"Int parameter range [{low}, {high}]: high - low must be a multiple of step {step}.");
        if (log && (low < 1 || step != 1)) throw new CondensaException($"Int parameter range [{low}, {high}] with log: needs low >= 1 and step 1.");
        (Low, High, Step, Log) = (low, high, step, log);
    }

    public long Low { get; }
    public long High { get; }
    public long Step { get; }
    public bool Log { get; }

    private long Count => (High - Low) / Step + 1;

    internal override bool Contains(JsonElement value) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var v) && v >= Low && v <= High && (v - Low) % Step == 0;

    internal override JsonElement Sample(Random random)
    {
        long v = Log
            ? Math.Clamp((long)Math.Round(Math.Exp(Uniform(random, Math.Log(Low - 0.5), Math.Log(High + 0.5)))), Low, High)
            : Low + random.NextInt64(Count) * Step;
        return StudyJson.ToElement(v);
    }

    internal override IReadOnlyList<JsonElement>? Values()
    {
        if (Count > SearchSpace.MaxGridSize) return null;
        var values = new JsonElement[Count];
        for (long i = 0; i < Count; i++) values[i] = StudyJson.ToElement(Low + i * Step);
        return values;
    }

    internal static double Uniform(Random random, double low, double high) => low + (high - low) * random.NextDouble();

    public override string ToString() => $"int [{Low}, {High}]" + (Step != 1 ? $" step {Step}" : "") + (Log ? " log" : "");
}

/// <summary>Reals in <c>[low, high]</c>: uniform, log-uniform (<c>log</c>, needs <c>low &gt; 0</c>), or the grid
/// <c>low + k·step</c> (<c>step</c>, drawn uniformly over its points).</summary>
internal sealed record FloatDistribution : ParamDistribution
{
    public FloatDistribution(double low, double high, double? step = null, bool log = false)
    {
        string range = $"Float parameter range [{Format(low)}, {Format(high)}]";
        if (!double.IsFinite(low) || !double.IsFinite(high) || high < low) throw new CondensaException($"{range}: needs finite bounds with high >= low.");
        if (log && (low <= 0 || step is not null)) throw new CondensaException($"{range} with log: needs low > 0 and no step.");
        if (step is { } s && (!(s > 0) || Math.Abs(Math.Round((high - low) / s) * s - (high - low)) > 1e-9 * Math.Max(1, high - low)))
            throw new CondensaException($"{range}: step {Format(s)} must be > 0 and divide high - low.");
        (Low, High, Step, Log) = (low, high, step, log);
    }

    public double Low { get; }
    public double High { get; }
    public double? Step { get; }
    public bool Log { get; }

    internal override bool Contains(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Number) return false;
        double v = value.GetDouble();
        if (v < Low || v > High) return false;
        return Step is not { } s || Math.Abs((v - Low) / s - Math.Round((v - Low) / s)) < 1e-8;
    }

    internal override JsonElement Sample(Random random)
    {
        double v = Step is { } s
            ? Low + random.NextInt64((long)Math.Round((High - Low) / s) + 1) * s
            : Log ? Math.Exp(IntDistribution.Uniform(random, Math.Log(Low), Math.Log(High))) : IntDistribution.Uniform(random, Low, High);
        return StudyJson.ToElement(Math.Min(v, High));
    }

    internal override IReadOnlyList<JsonElement>? Values() => null;

    public override string ToString() => $"float [{Format(Low)}, {Format(High)}]" + (Step is { } s ? $" step {Format(s)}" : "") + (Log ? " log" : "");
}

/// <summary>One of a list of distinct JSON values (strings, numbers, booleans).</summary>
internal sealed record CategoricalDistribution : ParamDistribution
{
    public CategoricalDistribution(IReadOnlyList<JsonElement> choices)
    {
        if (choices.Count == 0) throw new CondensaException("A categorical parameter needs at least one choice.");
        for (int i = 0; i < choices.Count; i++)
            for (int j = 0; j < i; j++)
                if (JsonElement.DeepEquals(choices[i], choices[j]))
                    throw new CondensaException($"Categorical choices must be distinct: {choices[i].GetRawText()} appears twice.");
        Choices = choices;
    }

    /// <summary>The choices as JSON; <paramref name="choices"/> may be strings, numbers or booleans.</summary>
    public static CategoricalDistribution Of<T>(IEnumerable<T> choices) => new(choices.Select(c => StudyJson.ToElement(c)).ToArray());

    public IReadOnlyList<JsonElement> Choices { get; }

    /// <summary>The position of <paramref name="value"/> among the choices, or -1.</summary>
    internal int IndexOf(JsonElement value)
    {
        for (int i = 0; i < Choices.Count; i++)
            if (JsonElement.DeepEquals(Choices[i], value)) return i;
        return -1;
    }

    internal override bool Contains(JsonElement value) => IndexOf(value) >= 0;

    internal override JsonElement Sample(Random random) => Choices[random.Next(Choices.Count)];

    internal override IReadOnlyList<JsonElement>? Values() => Choices;

    public override string ToString() => "categorical {" + string.Join(", ", Choices.Select(c => c.GetRawText())) + "}";
}
