namespace Condensa.Config;

/// <summary>
/// A memory builder chosen by name in a config, with its typed options. YAML forms: a bare name (<c>- herding</c>) or a
/// mapping whose <c>name</c> picks the builder and whose other keys are that builder's options
/// (<c>- {name: dm, iterations: 200}</c>); <c>label</c> renames the row in tables.
/// </summary>
public sealed class MethodSpec
{
    public required string Name { get; init; }
    public required object Options { get; init; }
    public string? Label { get; init; }
    public string DisplayName => Label ?? Name;
}

/// <summary>What the binder needs to know about registered builders: their names and options types.</summary>
public interface IMethodCatalog
{
    IReadOnlyCollection<string> Names { get; }
    Type? OptionsType(string name);
}

/// <summary>Options classes may check relations between keys after binding; each problem names its key.</summary>
public interface IValidatableOptions
{
    void Validate(Action<string, string> error);
}
