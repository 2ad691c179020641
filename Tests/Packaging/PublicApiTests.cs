using System.Reflection;
using System.Text;
using Condensa.Tests.Support;

namespace Condensa.Tests.Packaging;

/// <summary>
/// The public API of the three packages, as listed in <c>api/*.txt</c>: a change to a public type or member fails
/// here until the listing is regenerated (<c>CONDENSA_UPDATE_API=1 tools/test --filter PublicApi</c>) and the diff is
/// reviewed with the change, so no release breaks a builder, scenario or host author by accident.
/// </summary>
[TestClass]
public sealed class PublicApiTests
{
    public static IEnumerable<object[]> Assemblies() =>
    [
        [typeof(Condensa.Hosting.ICondensaPlugin).Assembly.GetName().Name!],
        [typeof(Condensa.Methods.MethodsModule).Assembly.GetName().Name!],
        [typeof(Condensa.Scenarios.CondensaHostExtensions).Assembly.GetName().Name!],
    ];

    [TestMethod]
    [DynamicData(nameof(Assemblies))]
    public void ThePublicApiIsTheListedOne(string assembly)
    {
        var listing = Listing(Assembly.Load(new AssemblyName(assembly)));
        var path = Path.Combine(Repository.Root, "api", (assembly == "condensa" ? "Condensa.Scenarios" : assembly) + ".txt");
        if (Environment.GetEnvironmentVariable("CONDENSA_UPDATE_API") == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, listing);
        }
        Assert.IsTrue(File.Exists(path), $"{path} is missing; write it with CONDENSA_UPDATE_API=1 tools/test --filter PublicApi");
        var listed = File.ReadAllText(path).Split('\n');
        var now = listing.Split('\n');
        var added = now.Except(listed).Take(20).ToList();
        var removed = listed.Except(now).Take(20).ToList();
        Assert.IsTrue(added.Count == 0 && removed.Count == 0,
            $"the public API of {assembly} differs from {path}:\n+ {string.Join("\n+ ", added)}\n- {string.Join("\n- ", removed)}\n" +
            "review the change, then rewrite the listing with CONDENSA_UPDATE_API=1 tools/test --filter PublicApi");
    }

    [TestMethod]
    public void TheListingNamesTypesAndMembersByTheirSignatures()
    {
        var listing = Listing(typeof(Condensa.Hosting.ICondensaPlugin).Assembly);
        StringAssert.Contains(listing, "interface Condensa.Hosting.ICondensaPlugin\n  abstract void ConfigureServices(Microsoft.Extensions.DependencyInjection.IServiceCollection services)\n");
        StringAssert.Contains(listing, "  static Microsoft.Extensions.DependencyInjection.IServiceCollection AddMemoryBuilder<TOptions>(Microsoft.Extensions.DependencyInjection.IServiceCollection services, string name, string kind, string summary, System.Func<TOptions, Condensa.Memory.IMemoryBuilder> factory)");
        Assert.DoesNotContain("PluginContext", listing, "nested private types are not public API");
    }

    /// <summary>Every public type (sorted) with its public and protected members, one signature per line.</summary>
    internal static string Listing(Assembly assembly)
    {
        var text = new StringBuilder();
        foreach (var type in assembly.GetExportedTypes().OrderBy(t => t.FullName, StringComparer.Ordinal))
        {
            text.Append(Kind(type)).Append(' ').Append(Name(type));
            var bases = (type.BaseType is { } b && b != typeof(object) && b != typeof(ValueType) && !type.IsEnum ? [b] : Array.Empty<Type>())
                .Concat(type.GetInterfaces().OrderBy(i => Name(i), StringComparer.Ordinal)).Select(Name).ToList();
            if (bases.Count > 0) text.Append(" : ").Append(string.Join(", ", bases));
            text.Append('\n');
            const BindingFlags declared = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
            var members = type.GetMembers(declared).Where(Visible).Select(Signature).Where(s => s is not null).Order(StringComparer.Ordinal);
            foreach (var member in members) text.Append("  ").Append(member).Append('\n');
        }
        return text.ToString();
    }

    private static string Kind(Type t) =>
        t.IsInterface ? "interface" : t.IsEnum ? "enum" : t.IsValueType ? "struct" : typeof(Delegate).IsAssignableFrom(t) ? "delegate"
        : (t.IsAbstract && t.IsSealed ? "static class" : t.IsAbstract ? "abstract class" : t.IsSealed ? "sealed class" : "class");

    private static bool Visible(MemberInfo m) => m switch
    {
        MethodBase method => (method.IsPublic || method.IsFamily || method.IsFamilyOrAssembly) && !method.IsSpecialName || method is ConstructorInfo { IsPublic: true } or ConstructorInfo { IsFamily: true },
        FieldInfo field => (field.IsPublic || field.IsFamily) && !field.IsSpecialName,
        PropertyInfo property => property.GetAccessors(nonPublic: true).Any(a => a.IsPublic || a.IsFamily),
        EventInfo e => e.AddMethod is { IsPublic: true } or { IsFamily: true },
        Type nested => nested.IsNestedPublic,
        _ => false,
    };

    private static string? Signature(MemberInfo m) => m switch
    {
        ConstructorInfo c => $"{(c.IsStatic ? "static " : "")}.ctor({Parameters(c)})",
        MethodInfo method => $"{(method.IsStatic ? "static " : method.IsAbstract ? "abstract " : method.IsVirtual && !method.IsFinal ? "virtual " : "")}{Name(method.ReturnType)} {method.Name}" +
                             (method.IsGenericMethodDefinition ? $"<{string.Join(", ", method.GetGenericArguments().Select(a => a.Name))}>" : "") + $"({Parameters(method)})",
        PropertyInfo p => $"{Name(p.PropertyType)} {p.Name} {{ {string.Join(" ", p.GetAccessors(nonPublic: true).Where(a => a.IsPublic || a.IsFamily).Select(a => a.Name.StartsWith("get_", StringComparison.Ordinal) ? "get;" : IsInit(a) ? "init;" : "set;").Order(StringComparer.Ordinal))} }}",
        FieldInfo f => f.DeclaringType!.IsEnum ? $"{f.Name} = {f.GetRawConstantValue()}" : $"{(f.IsLiteral ? "const " : f.IsStatic ? "static " : "")}{(f.IsInitOnly ? "readonly " : "")}{Name(f.FieldType)} {f.Name}",
        EventInfo e => $"event {Name(e.EventHandlerType!)} {e.Name}",
        Type nested => $"nested {Kind(nested)} {nested.Name}",
        _ => null,
    };

    private static bool IsInit(MethodInfo setter) =>
        setter.ReturnParameter.GetRequiredCustomModifiers().Any(t => t.FullName == "System.Runtime.CompilerServices.IsExternalInit");

    private static string Parameters(MethodBase method) =>
        string.Join(", ", method.GetParameters().Select(p => $"{(p.IsOut ? "out " : p.ParameterType.IsByRef ? "ref " : "")}{Name(p.ParameterType)} {p.Name}{(p.HasDefaultValue ? " = " + (p.DefaultValue is string text ? $"\"{text}\"" : p.DefaultValue ?? "null") : "")}"));

    /// <summary>A type as C# writes it: generic arguments in angle brackets, keywords for the built-in types.</summary>
    private static string Name(Type t)
    {
        if (t.IsByRef) return Name(t.GetElementType()!);
        if (t.IsArray) return Name(t.GetElementType()!) + "[" + new string(',', t.GetArrayRank() - 1) + "]";
        if (t.IsGenericParameter) return t.Name;
        if (Nullable.GetUnderlyingType(t) is { } inner) return Name(inner) + "?";
        var keyword = Type.GetTypeCode(t) switch
        {
            TypeCode.Boolean => "bool", TypeCode.Int32 => "int", TypeCode.Int64 => "long", TypeCode.Double => "double", TypeCode.Single => "float",
            TypeCode.String => "string", TypeCode.Byte => "byte", TypeCode.Char => "char", TypeCode.Int16 => "short", TypeCode.UInt64 => "ulong",
            TypeCode.UInt32 => "uint", TypeCode.Decimal => "decimal", _ => null,
        };
        if (keyword is not null && !t.IsEnum) return keyword;
        if (t == typeof(void)) return "void";
        if (t == typeof(object)) return "object";
        var name = (t.IsNested ? Name(t.DeclaringType!) + "." + t.Name : $"{t.Namespace}.{t.Name}");
        if (!t.IsGenericType) return name;
        var args = t.GetGenericArguments();
        if (t.IsNested && t.DeclaringType!.IsGenericType) args = args[t.DeclaringType.GetGenericArguments().Length..];
        var tick = name.LastIndexOf('`');
        return (tick < 0 ? name : name[..tick]) + (args.Length > 0 ? $"<{string.Join(", ", args.Select(Name))}>" : "");
    }
}
