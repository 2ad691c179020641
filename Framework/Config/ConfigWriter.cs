using System.Collections;
using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace Condensa.Config;

/// <summary>Writes bound options back to YAML with every default filled in: the run directory's resolved config.</summary>
internal static class ConfigWriter
{
    public static string ToYaml(object options)
    {
        var doc = new YamlDocument(ToNode(options));
        var stream = new YamlStream(doc);
        using var w = new StringWriter(CultureInfo.InvariantCulture);
        stream.Save(w, assignAnchors: false);
        var text = w.ToString();
        return text.EndsWith("...\n", StringComparison.Ordinal) ? text[..^4] : text;
    }

    public static YamlNode ToNode(object? value)
    {
        switch (value)
        {
            case null: return new YamlScalarNode("null");
            case string s: return new YamlScalarNode(s);
            case bool b: return new YamlScalarNode(b ? "true" : "false");
            case Enum e: return new YamlScalarNode(Naming.EnumValue(e));
            case IFormattable f when OptionsBinder.IsScalarType(value.GetType()):
                return new YamlScalarNode(f.ToString(value is double or float ? "R" : null, CultureInfo.InvariantCulture));
            case YamlNode n: return n;
            case MethodSpec m:
                var node = (YamlMappingNode)ToNode(m.Options);
                var withName = new YamlMappingNode { { "name", m.Name } };
                if (m.Label is not null) withName.Add("label", m.Label);
                foreach (var kv in node.Children) withName.Add(kv.Key, kv.Value);
                return withName;
            case IEnumerable seq:
                var list = new YamlSequenceNode();
                foreach (var item in seq) list.Add(ToNode(item));
                list.Style = seq.Cast<object?>().All(i => i is null || OptionsBinder.IsScalarType(i.GetType()))
                    ? YamlDotNet.Core.Events.SequenceStyle.Flow : YamlDotNet.Core.Events.SequenceStyle.Block;
                return list;
            default:
                var map = new YamlMappingNode();
                foreach (var p in OptionsBinder.BindableProperties(value.GetType()))
                {
                    var v = p.GetValue(value);
                    if (v is not null) map.Add(Naming.Key(p.Name), ToNode(v));
                }
                return map;
        }
    }
}
