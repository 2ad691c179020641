using System.Reflection;
using System.Runtime.Loader;
using Condensa.Config;
using Condensa.Memory;
using Microsoft.Extensions.DependencyInjection;
using YamlDotNet.RepresentationModel;

namespace Condensa.Hosting;

/// <summary>
/// The entry point of a plug-in assembly, named in a config's <c>plugins</c> list: it adds memory builders and scenarios
/// with the same calls a .NET host uses (<see cref="CondensaServiceCollectionExtensions.AddMemoryBuilder{TOptions}"/>,
/// <see cref="CondensaServiceCollectionExtensions.AddScenario{TScenario}"/>). A public class with a parameterless constructor.
/// </summary>
public interface ICondensaPlugin
{
    void ConfigureServices(IServiceCollection services);
}

/// <summary>
/// Loads the assemblies of a config's <c>plugins</c> list (.dll files, or folders whose .dll files are tried; paths
/// relative to the config file) and adds what their <see cref="ICondensaPlugin"/> classes register to the host's
/// registries, once per assembly per process. Each assembly loads in its own context that shares Condensa, TorchSharp and
/// everything else the host has loaded, so the plug-in's types are the host's. Refused, with the config line: a missing
/// path, an assembly without an entry point, a name a built-in or another plug-in has, and an assembly built against
/// another Condensa version (major.minor).
/// </summary>
internal sealed class PluginLoader(MemoryBuilderRegistry builders, ScenarioRegistry scenarios)
{
    /// <summary>The key of the config's plug-in list.</summary>
    public const string Key = "plugins";

    private readonly HashSet<string> _loaded = new(StringComparer.Ordinal);

    /// <summary>The Condensa version plug-ins must be built against (major.minor of Condensa.Framework).</summary>
    public static Version HostVersion => typeof(ICondensaPlugin).Assembly.GetName().Version!;

    /// <summary>
    /// Loads the plug-ins <paramref name="root"/>'s <c>plugins</c> list names and rewrites each entry to its full path
    /// (so a stored config names them wherever a worker reads it); problems go to <paramref name="errors"/>.
    /// </summary>
    public void Apply(YamlMappingNode root, string source, ConfigErrors errors)
    {
        if (!root.Children.TryGetValue(new YamlScalarNode(Key), out var node)) return;
        if (node is not YamlSequenceNode list)
        {
            errors.Add(node, Key, "must be a list of .dll files or folders, e.g. plugins: [plugins/MyBuilders.dll]");
            return;
        }
        var folder = Path.GetDirectoryName(Path.GetFullPath(source)) ?? ".";
        for (int i = 0; i < list.Children.Count; i++)
        {
            var key = $"{Key}[{i}]";
            if (list.Children[i] is not YamlScalarNode { Value: { Length: > 0 } given } entry)
            {
                errors.Add(list.Children[i], key, "must be the path of a .dll file or a folder");
                continue;
            }
            var path = Path.GetFullPath(given, folder);
            entry.Value = path;
            try
            {
                if (File.Exists(path)) Load(path, requireEntryPoint: true);
                else if (Directory.Exists(path))
                {
                    var found = Directory.EnumerateFiles(path, "*.dll").Order(StringComparer.Ordinal).Count(dll => Load(dll, requireEntryPoint: false));
                    if (found == 0) throw new CondensaException($"no .dll in folder '{path}' has a public class implementing {typeof(ICondensaPlugin).FullName}");
                }
                else throw new CondensaException($"'{path}' does not exist" + (Path.IsPathRooted(given) ? "" : $" ('{given}' is taken relative to the config's folder, {folder})"));
            }
            catch (CondensaException e)
            {
                errors.Add(entry, key, e.Message);
            }
        }
    }

    /// <summary>Loads one assembly and applies its entry points; false when it has none and none is required.</summary>
    private bool Load(string path, bool requireEntryPoint)
    {
        if (_loaded.Contains(path)) return true;
        AssemblyName name;
        try
        {
            name = AssemblyName.GetAssemblyName(path);
        }
        catch (BadImageFormatException)
        {
            return requireEntryPoint ? throw new CondensaException($"'{path}' is not a .NET assembly") : false;
        }
        if (IsShared(name))
            return requireEntryPoint ? throw new CondensaException($"'{path}' is {name.Name}, which the host already has; name the plug-in's own assembly") : false;
        var assembly = new PluginContext(path).LoadFromAssemblyPath(path);
        var framework = typeof(ICondensaPlugin).Assembly.GetName();
        if (assembly.GetReferencedAssemblies().FirstOrDefault(r => r.Name == framework.Name) is { Version: { } built } &&
            (built.Major, built.Minor) != (HostVersion.Major, HostVersion.Minor))
            throw new CondensaException($"'{path}' was built against Condensa {built.Major}.{built.Minor}; this is Condensa {HostVersion.Major}.{HostVersion.Minor}",
                "rebuild the plug-in against this version's Condensa packages");
        var entryPoints = Types(assembly, path).Where(t => typeof(ICondensaPlugin).IsAssignableFrom(t) && t is { IsClass: true, IsAbstract: false, IsPublic: true })
            .OrderBy(t => t.FullName, StringComparer.Ordinal).ToList();
        if (entryPoints.Count == 0)
            return requireEntryPoint ? throw new CondensaException($"'{path}' has no public class implementing {typeof(ICondensaPlugin).FullName}") : false;
        foreach (var type in entryPoints)
        {
            if (type.GetConstructor(Type.EmptyTypes) is null)
                throw new CondensaException($"{type.FullName} in '{path}' has no public parameterless constructor");
            var services = new ServiceCollection();
            ((ICondensaPlugin)Activator.CreateInstance(type)!).ConfigureServices(services);
            try
            {
                foreach (var registration in services.Where(d => d.ServiceType == typeof(MemoryBuilderRegistration)).Select(d => (MemoryBuilderRegistration)d.ImplementationInstance!))
                    registration.Register(builders);
                if (services.Any(d => d.ServiceType == typeof(IScenario)))
                {
                    using var provider = services.BuildServiceProvider();
                    foreach (var scenario in provider.GetServices<IScenario>()) scenarios.Add(scenario);
                }
            }
            catch (CondensaException e)
            {
                throw new CondensaException($"plug-in {type.FullName} ('{path}'): {e.Message}", e.Hint);
            }
        }
        _loaded.Add(path);
        return true;
    }

    private static IEnumerable<Type> Types(Assembly assembly, string path)
    {
        try
        {
            return assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException e)
        {
            throw new CondensaException($"'{path}' references types this host cannot load: {e.LoaderExceptions.FirstOrDefault()?.Message}",
                "build the plug-in against the Condensa packages of this version and put its own dependencies beside it");
        }
    }

    /// <summary>An assembly the host has (Condensa, TorchSharp, the runtime's and the host's libraries): a plug-in shares it.</summary>
    private static bool IsShared(AssemblyName name) =>
        AssemblyLoadContext.Default.Assemblies.Any(a => AssemblyName.ReferenceMatchesDefinition(a.GetName(), name) || a.GetName().Name == name.Name);

    /// <summary>A plug-in's load context: what the host has comes from the host, the rest from the plug-in's folder.</summary>
    private sealed class PluginContext(string path) : AssemblyLoadContext($"condensa plug-in {Path.GetFileName(path)}")
    {
        protected override Assembly? Load(AssemblyName name)
        {
            if (IsShared(name)) return null;
            try
            {
                return AssemblyLoadContext.Default.LoadFromAssemblyName(name);
            }
            catch (FileNotFoundException)
            {
                var beside = Path.Combine(Path.GetDirectoryName(path)!, name.Name + ".dll");
                return File.Exists(beside) ? LoadFromAssemblyPath(beside) : null;
            }
        }
    }
}
