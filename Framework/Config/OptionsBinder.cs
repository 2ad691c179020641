using System.Collections;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;
using YamlDotNet.RepresentationModel;

namespace Condensa.Config;

/// <summary>
/// Binds YAML nodes to typed options classes (public settable properties, snake_case keys) and validates them:
/// unknown keys (with the allowed keys), wrong types, <see cref="RangeAttribute"/>, <see cref="AllowedValuesAttribute"/>,
/// <see cref="RequiredAttribute"/>, enum values and builder names. Every error carries file:line:column and the key path.
/// Properties keep their initializer defaults when a key is absent.
/// </summary>
public sealed class OptionsBinder
{
    private readonly ConfigErrors _errors;
    private readonly IMethodCatalog? _methods;

    public OptionsBinder(ConfigErrors errors, IMethodCatalog? methods = null)
    {
        _errors = errors;
        _methods = methods;
    }

    public T Bind<T>(YamlMappingNode node, string path = "", ISet<string>? ignoredKeys = null) where T : class =>
        (T)Bind(typeof(T), node, path, ignoredKeys);

    public object Bind(Type type, YamlMappingNode node, string path = "", ISet<string>? ignoredKeys = null)
    {
        var target = Activator.CreateInstance(type)
            ?? throw new InvalidOperationException($"{type.Name} needs a public parameterless constructor");
        var props = BindableProperties(type).ToDictionary(p => Naming.Key(p.Name));
        var seen = new HashSet<string>();
        foreach (var (k, v) in node.Children)
        {
            var key = (k as YamlScalarNode)?.Value ?? "";
            var keyPath = Join(path, key);
            if (ignoredKeys?.Contains(key) == true) continue;
            if (!props.TryGetValue(key, out var prop))
            {
                var near = Nearest(key, props.Keys);
                _errors.Add(k, keyPath, $"unknown key{(near is null ? "" : $" (did you mean '{near}'?)")}; allowed keys{(path == "" ? "" : $" in '{path}'")}: {string.Join(", ", props.Keys.Order())}");
                continue;
            }
            seen.Add(key);
            if (TryConvert(prop.PropertyType, v, keyPath, out var value))
            {
                if (CheckAttributes(prop, value, v, keyPath)) prop.SetValue(target, value);
            }
        }
        foreach (var (key, prop) in props)
            if (!seen.Contains(key) && prop.GetCustomAttribute<RequiredAttribute>() is not null)
                _errors.Add(node, Join(path, key), "is required but missing");
        if (target is IValidatableOptions validatable)
        {
            validatable.Validate((key, message) =>
            {
                var keyNode = node.Children.FirstOrDefault(kv => (kv.Key as YamlScalarNode)?.Value == key).Value ?? node;
                _errors.Add(keyNode, Join(path, key), message);
            });
        }
        return target;
    }

    /// <summary>The properties a config can set, in declaration order.</summary>
    public static IEnumerable<PropertyInfo> BindableProperties(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite && p.SetMethod!.IsPublic && p.GetCustomAttribute<ConfigIgnoreAttribute>() is null)
            .OrderBy(p => p.MetadataToken);

    private bool TryConvert(Type type, YamlNode node, string keyPath, out object? value)
    {
        value = null;
        var underlying = Nullable.GetUnderlyingType(type);
        if (node is YamlScalarNode nullNode && IsNull(nullNode))
        {
            if (underlying is not null || !type.IsValueType) return true;
            _errors.Add(node, keyPath, $"must have a value ({Describe(type)})");
            return false;
        }
        type = underlying ?? type;

        if (type == typeof(MethodSpec)) return TryBindMethod(node, keyPath, out value);
        if (type == typeof(YamlNode) || type.IsSubclassOf(typeof(YamlNode))) { value = node; return true; }
        if (IsList(type, out var element))
        {
            var items = node switch
            {
                YamlSequenceNode seq => seq.Children.ToList(),
                YamlScalarNode => new List<YamlNode> { node }, // a single value where a list is expected
                _ => null,
            };
            if (items is null) { _errors.Add(node, keyPath, $"expected a list of {Describe(element)}"); return false; }
            var list = (IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(element))!;
            bool ok = true;
            for (int i = 0; i < items.Count; i++)
            {
                if (TryConvert(element, items[i], $"{keyPath}[{i}]", out var item)) list.Add(item);
                else ok = false;
            }
            if (!ok) return false;
            if (type.IsArray)
            {
                var arr = Array.CreateInstance(element, list.Count);
                list.CopyTo(arr, 0);
                value = arr;
            }
            else value = list;
            return true;
        }
        if (IsScalarType(type))
        {
            if (node is not YamlScalarNode scalar) { _errors.Add(node, keyPath, $"expected {Describe(type)}, got a {(node is YamlSequenceNode ? "list" : "mapping")}"); return false; }
            return TryParseScalar(type, scalar, keyPath, out value);
        }
        if (node is not YamlMappingNode map) { _errors.Add(node, keyPath, $"expected a section (key: value pairs) for {type.Name}"); return false; }
        value = Bind(type, map, keyPath);
        return true;
    }

    private bool TryBindMethod(YamlNode node, string keyPath, out object? value)
    {
        value = null;
        if (_methods is null) throw new InvalidOperationException("binding a MethodSpec needs a method catalog");
        string? name;
        YamlMappingNode options;
        string? label = null;
        switch (node)
        {
            case YamlScalarNode s:
                name = s.Value;
                options = new YamlMappingNode();
                break;
            case YamlMappingNode m:
                name = (m.Children.FirstOrDefault(kv => (kv.Key as YamlScalarNode)?.Value == "name").Value as YamlScalarNode)?.Value;
                label = (m.Children.FirstOrDefault(kv => (kv.Key as YamlScalarNode)?.Value == "label").Value as YamlScalarNode)?.Value;
                options = m;
                if (name is null) { _errors.Add(node, keyPath, $"a builder needs 'name: ...'; registered builders: {string.Join(", ", _methods.Names.Order())}"); return false; }
                break;
            default:
                _errors.Add(node, keyPath, "expected a builder name or a mapping with 'name:' and its options");
                return false;
        }
        var optionsType = _methods.OptionsType(name!);
        if (optionsType is null)
        {
            var near = Nearest(name!, _methods.Names);
            _errors.Add(node, keyPath, $"unknown builder '{name}'{(near is null ? "" : $" (did you mean '{near}'?)")}; registered builders: {string.Join(", ", _methods.Names.Order())}");
            return false;
        }
        var bound = Bind(optionsType, options, $"{keyPath}({name})", new HashSet<string> { "name", "label" });
        value = new MethodSpec { Name = name!, Options = bound, Label = label };
        return true;
    }

    private bool TryParseScalar(Type type, YamlScalarNode scalar, string keyPath, out object? value)
    {
        var text = scalar.Value ?? "";
        value = null;
        var inv = CultureInfo.InvariantCulture;
        bool ok;
        if (type == typeof(string)) { value = text; return true; }
        if (type == typeof(bool))
        {
            ok = text is "true" or "false" or "True" or "False" or "yes" or "no" or "on" or "off";
            if (ok) value = text is "true" or "True" or "yes" or "on";
        }
        else if (type == typeof(int)) { ok = int.TryParse(text, NumberStyles.Integer, inv, out var v); value = v; }
        else if (type == typeof(long)) { ok = long.TryParse(text, NumberStyles.Integer, inv, out var v); value = v; }
        else if (type == typeof(double)) { ok = double.TryParse(text, NumberStyles.Float, inv, out var v); value = v; }
        else if (type == typeof(float)) { ok = float.TryParse(text, NumberStyles.Float, inv, out var v); value = v; }
        else if (type.IsEnum)
        {
            var names = Enum.GetNames(type).ToDictionary(Naming.EnumValue);
            ok = names.TryGetValue(text.Replace('_', '-').ToLowerInvariant(), out var member);
            if (ok) value = Enum.Parse(type, member!);
            else
            {
                _errors.Add(scalar, keyPath, $"'{text}' is not allowed; allowed values: {string.Join(", ", names.Keys)}");
                return false;
            }
        }
        else throw new InvalidOperationException($"unsupported option type {type}");
        if (!ok) _errors.Add(scalar, keyPath, $"expected {Describe(type)}, got '{text}'");
        return ok;
    }

    private bool CheckAttributes(PropertyInfo prop, object? value, YamlNode node, string keyPath)
    {
        if (value is null) return true;
        var values = value is IEnumerable e && value is not string ? e.Cast<object>().ToList() : new List<object> { value };
        foreach (var v in values)
        {
            if (prop.GetCustomAttribute<RangeAttribute>() is { } range && !range.IsValid(v))
            {
                _errors.Add(node, keyPath, $"{Format(v)} is out of range; allowed: {Format(range.Minimum)} to {Format(range.Maximum)}{(range.MinimumIsExclusive ? " (minimum excluded)" : "")}");
                return false;
            }
            if (prop.GetCustomAttribute<AllowedValuesAttribute>() is { } allowed && !allowed.IsValid(v))
            {
                _errors.Add(node, keyPath, $"'{v}' is not allowed; allowed values: {string.Join(", ", allowed.Values)}");
                return false;
            }
        }
        return true;
    }

    internal static bool IsScalarType(Type t) =>
        t == typeof(string) || t == typeof(bool) || t == typeof(int) || t == typeof(long) || t == typeof(double) || t == typeof(float) || t.IsEnum;

    internal static bool IsList(Type t, out Type element)
    {
        if (t.IsArray) { element = t.GetElementType()!; return true; }
        if (t.IsGenericType && (t.GetGenericTypeDefinition() == typeof(List<>) || t.GetGenericTypeDefinition() == typeof(IReadOnlyList<>)))
        {
            element = t.GetGenericArguments()[0];
            return true;
        }
        element = typeof(object);
        return false;
    }

    public static string Describe(Type t)
    {
        t = Nullable.GetUnderlyingType(t) ?? t;
        if (t == typeof(int) || t == typeof(long)) return "an integer";
        if (t == typeof(double) || t == typeof(float)) return "a number";
        if (t == typeof(bool)) return "true or false";
        if (t == typeof(string)) return "a string";
        if (t.IsEnum) return "one of " + string.Join(", ", Enum.GetNames(t).Select(Naming.EnumValue));
        if (t == typeof(MethodSpec)) return "a builder";
        if (IsList(t, out var el)) return "a list of " + Describe(el);
        return "a section";
    }

    private static bool IsNull(YamlScalarNode s) =>
        s.Style == YamlDotNet.Core.ScalarStyle.Plain && (s.Value is null or "" or "~" or "null" or "Null" or "NULL");

    private static string Format(object? v) => v is IFormattable f ? f.ToString(null, CultureInfo.InvariantCulture) : v?.ToString() ?? "null";

    private static string Join(string path, string key) => path == "" ? key : path + "." + key;

    /// <summary>The allowed word closest to a typo (edit distance ≤ 2), for "did you mean" hints.</summary>
    internal static string? Nearest(string word, IEnumerable<string> candidates) =>
        candidates.Select(c => (c, d: Distance(word, c))).Where(x => x.d <= Math.Max(1, Math.Min(2, word.Length / 3)))
            .OrderBy(x => x.d).Select(x => x.c).FirstOrDefault();

    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
            for (int j = 1; j <= b.Length; j++)
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
        return d[a.Length, b.Length];
    }
}

/// <summary>Keeps a public property out of config binding.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class ConfigIgnoreAttribute : Attribute;
