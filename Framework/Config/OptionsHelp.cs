using System.ComponentModel.DataAnnotations;
using System.Reflection;
using System.Xml.Linq;

namespace Condensa.Config;

/// <summary>Describes an options class for <c>condensa methods</c>: each key with its default, allowed values and doc comment.</summary>
internal static class OptionsHelp
{
    private static readonly Dictionary<Assembly, Dictionary<string, string>> Docs = new();

    public static string Describe(Type optionsType)
    {
        var defaults = Activator.CreateInstance(optionsType);
        var lines = new List<string>();
        foreach (var p in OptionsBinder.BindableProperties(optionsType))
        {
            var value = p.GetValue(defaults);
            var shown = value is null ? "none" : ConfigWriter.ToYaml(value).Trim();
            var type = Nullable.GetUnderlyingType(p.PropertyType) ?? p.PropertyType;
            var allowed = type.IsEnum ? $" [{string.Join("|", Enum.GetNames(type).Select(Naming.EnumValue))}]"
                : p.GetCustomAttribute<AllowedValuesAttribute>() is { } a ? $" [{string.Join("|", a.Values)}]"
                : p.GetCustomAttribute<RangeAttribute>() is { } r ? $" [{r.Minimum}..{r.Maximum}]" : "";
            var doc = Summary(p);
            lines.Add($"{Naming.Key(p.Name)}: {shown}{allowed}{(doc is null ? "" : " - " + doc)}");
        }
        return lines.Count == 0 ? "(no options)" : string.Join(Environment.NewLine, lines);
    }

    /// <summary>The property's XML doc summary, from the assembly's documentation file, if shipped.</summary>
    public static string? Summary(PropertyInfo p)
    {
        var assembly = p.DeclaringType!.Assembly;
        Dictionary<string, string>? docs;
        lock (Docs)
        {
            if (!Docs.TryGetValue(assembly, out docs))
            {
                docs = new Dictionary<string, string>();
                var xml = Path.ChangeExtension(assembly.Location, ".xml");
                if (File.Exists(xml))
                    foreach (var member in XDocument.Load(xml).Descendants("member"))
                        if (member.Attribute("name")?.Value is { } name && member.Element("summary") is { } summary)
                            docs[name] = string.Join(' ', summary.Value.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
                Docs[assembly] = docs;
            }
        }
        return docs.GetValueOrDefault($"P:{p.DeclaringType!.FullName!.Replace('+', '.')}.{p.Name}");
    }
}
