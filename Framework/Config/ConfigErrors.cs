using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Condensa.Config;

/// <summary>Where a config value came from: a file position, or a <c>--set key=value</c> override.</summary>
public sealed record ConfigLocation(string Source, long Line, long Column)
{
    public override string ToString() => Line > 0 ? $"{Source}:{Line}:{Column}" : Source;

    /// <summary>The location of a node: its file position, or the override that produced it.</summary>
    public static ConfigLocation Of(YamlNode node, string file) =>
        YamlConfig.OverrideOf(node) is { } assignment
            ? new ConfigLocation("--set " + assignment, 0, 0)
            : new ConfigLocation(file, node.Start.Line, node.Start.Column);

    public static ConfigLocation Of(Mark mark, string file) => new(file, mark.Line, mark.Column);
}

/// <summary>Collects every problem of a config so a user sees them all at once, each with file:line:column and key.</summary>
public sealed class ConfigErrors
{
    private readonly List<string> _errors = new();

    public ConfigErrors(string file) => File = file;

    public string File { get; }
    public IReadOnlyList<string> Errors => _errors;
    public bool Any => _errors.Count > 0;

    public void Add(YamlNode node, string key, string message) => Add(ConfigLocation.Of(node, File), key, message);

    public void Add(ConfigLocation location, string key, string message) =>
        _errors.Add(string.IsNullOrEmpty(key) ? $"{location}: {message}" : $"{location}: '{key}': {message}");

    /// <summary>Throws one <see cref="CondensaException"/> listing every error, if there are any.</summary>
    public void ThrowIfAny()
    {
        if (!Any) return;
        var header = _errors.Count == 1 ? "Invalid configuration:" : $"Invalid configuration ({_errors.Count} problems):";
        throw new ConfigurationException(header + Environment.NewLine + string.Join(Environment.NewLine, _errors.Select(e => "  " + e)),
            "run `condensa validate CONFIG` after fixing, or `condensa methods` to list builders and their options");
    }
}

/// <summary>A config that cannot run: the CLI exits with code 2.</summary>
public sealed class ConfigurationException(string message, string? hint = null) : CondensaException(message, hint);
