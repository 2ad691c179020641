using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Condensa.Config;

/// <summary>
/// Reads a YAML config into a node tree that keeps every value's position, and applies <c>--set key=value</c>
/// overrides (dotted keys, values parsed as YAML: <c>--set train.epochs=5</c>, <c>--set budgets=[1,10]</c>).
/// </summary>
public static class YamlConfig
{
    /// <summary>Nodes that came from a --set override, with the assignment text (for error locations).</summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<YamlNode, string> Overrides = new();

    internal static string? OverrideOf(YamlNode node) => Overrides.TryGetValue(node, out var a) ? a : null;

    public static YamlMappingNode Load(string path, IEnumerable<string>? overrides = null)
    {
        if (!System.IO.File.Exists(path))
            throw new ConfigurationException($"Config file '{path}' does not exist.", "give the path of a YAML file, e.g. Configs/quickstart.yaml");
        var text = System.IO.File.ReadAllText(path);
        var root = Parse(text, path);
        var errors = new ConfigErrors(path);
        foreach (var o in overrides ?? Array.Empty<string>()) ApplyOverride(root, o, errors);
        errors.ThrowIfAny();
        return root;
    }

    public static YamlMappingNode Parse(string text, string source)
    {
        var stream = new YamlStream();
        try
        {
            using var reader = new StringReader(text);
            stream.Load(reader);
        }
        catch (YamlException e)
        {
            throw new ConfigurationException($"{ConfigLocation.Of(e.Start, source)}: YAML syntax error: {Innermost(e).Message}",
                "check indentation (spaces, not tabs) and that every key is followed by ': '");
        }
        if (stream.Documents.Count == 0) return new YamlMappingNode();
        if (stream.Documents[0].RootNode is not YamlMappingNode map)
            throw new ConfigurationException($"{ConfigLocation.Of(stream.Documents[0].RootNode, source)}: the config must be a mapping of keys to values (key: value), not a list or a single value.");
        return map;
    }

    /// <summary>Sets a dotted key in the tree, creating intermediate mappings as needed.</summary>
    public static void ApplyOverride(YamlMappingNode root, string assignment, ConfigErrors errors)
    {
        int eq = assignment.IndexOf('=');
        var where = new ConfigLocation("--set " + assignment, 0, 0);
        if (eq <= 0) { errors.Add(where, "", "expected key=value, e.g. --set train.epochs=5"); return; }
        var key = assignment[..eq].Trim();
        var valueText = assignment[(eq + 1)..];
        YamlNode value;
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader("v: " + valueText));
            value = ((YamlMappingNode)stream.Documents[0].RootNode).Children[new YamlScalarNode("v")];
        }
        catch (YamlException e)
        {
            errors.Add(where, key, $"the value is not valid YAML: {Innermost(e).Message}");
            return;
        }
        MarkAsOverride(value, assignment);
        var parts = key.Split('.');
        var node = root;
        for (int i = 0; i < parts.Length - 1; i++)
        {
            var k = new YamlScalarNode(parts[i]);
            if (!node.Children.TryGetValue(k, out var child))
            {
                child = new YamlMappingNode();
                node.Children[k] = child;
            }
            if (child is not YamlMappingNode m)
            {
                errors.Add(where, string.Join('.', parts[..(i + 1)]), "is not a section, so it has no sub-keys");
                return;
            }
            node = m;
        }
        node.Children[new YamlScalarNode(parts[^1])] = value;
    }

    private static void MarkAsOverride(YamlNode node, string assignment)
    {
        foreach (var n in node.AllNodes) Overrides.AddOrUpdate(n, assignment);
    }

    private static Exception Innermost(Exception e) => e.InnerException is null ? e : Innermost(e.InnerException);
}
