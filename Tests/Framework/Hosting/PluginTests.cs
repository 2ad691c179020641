using Condensa.Config;
using Condensa.Hosting;
using Condensa.Memory;
using Condensa.Scenarios;
using Condensa.Tests.Support;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.Extensions.DependencyInjection;

namespace Condensa.Tests.Framework.Hosting;

/// <summary>
/// Plug-in assemblies named in a config (<c>plugins:</c>): compiled here from source against the Condensa assemblies
/// under test, loaded by the real config loader of a host built with <c>AddCondensa()</c>, and run by name; each way a
/// plug-in can be wrong is refused with the config's line.
/// </summary>
[TestClass]
public sealed class PluginTests
{
    /// <summary>A selector taking every other image of each class (0, 2, 4, ... of its members), and its entry point.</summary>
    private const string EveryOther = """
        using Condensa.Hosting;
        using Condensa.Memory;
        using Microsoft.Extensions.DependencyInjection;

        namespace Plugins;

        public sealed class EveryOtherOptions
        {
            /// <summary>Members passed over first.</summary>
            public int Offset { get; set; }
        }

        public sealed class EveryOtherSelector(EveryOtherOptions options) : IMemoryBuilder
        {
            public MemorySet Build(MemoryRequest request, CancellationToken cancellationToken) =>
                new SelectedMemory(request.TargetClasses.SelectMany(c =>
                {
                    var members = request.Source.IndicesOfClass(c);
                    return members.Where((_, i) => i >= options.Offset && (i - options.Offset) % 2 == 0).Take(request.Budget.PerClass(members.Length)).Select(i => (long)i);
                }).ToArray());
        }

        public sealed class Plugin : ICondensaPlugin
        {
            public void ConfigureServices(IServiceCollection services) =>
                services.AddMemoryBuilder<EveryOtherOptions>("NAME", "selector", "Every other image of each class", o => new EveryOtherSelector(o));
        }
        """;

    /// <summary>The assemblies this process has loaded, but Condensa.Framework.</summary>
    private static readonly Lazy<MetadataReference[]> OtherReferences = new(() =>
        AppDomain.CurrentDomain.GetAssemblies().Where(a => !a.IsDynamic && a.Location.Length > 0 && a.GetName().Name != "Condensa.Framework")
            .Select(a => (MetadataReference)MetadataReference.CreateFromFile(a.Location)).ToArray());

    private static readonly Lazy<MetadataReference[]> HostReferences = new(() =>
        [.. OtherReferences.Value, MetadataReference.CreateFromFile(typeof(ICondensaPlugin).Assembly.Location)]);

    /// <summary>Compiles <paramref name="source"/> into <paramref name="folder"/>/<paramref name="name"/>.dll.</summary>
    private static string Compile(string folder, string name, string source, MetadataReference[]? references = null, string? version = null)
    {
        var trees = new[] { source }.Concat(version is null ? [] : [$"[assembly: System.Reflection.AssemblyVersion(\"{version}\")]"])
            .Select(text => CSharpSyntaxTree.ParseText(text, new CSharpParseOptions(LanguageVersion.Latest)));
        var compilation = CSharpCompilation.Create(name, trees,
            references ?? HostReferences.Value, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, name + ".dll");
        var result = compilation.Emit(path);
        Assert.IsTrue(result.Success, string.Join("\n", result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));
        return path;
    }

    private static string Global(string source) => "using System; using System.Linq; using System.Threading;\n" + source;

    private static ServiceProvider Host() => new ServiceCollection().AddCondensa().BuildServiceProvider();

    private static (IScenario Scenario, RunOptions Options) Load(ServiceProvider host, string folder, string yaml)
    {
        var path = Path.Combine(Directory.CreateDirectory(folder).FullName, "run.yaml");
        File.WriteAllText(path, yaml);
        return host.GetRequiredService<ConfigLoader>().Load(path);
    }

    private static string CompareYaml(string dataRoot, string plugins, string builder) => $$"""
        scenario: compare
        plugins: {{plugins}}
        dataset: { name: idx, path: {{dataRoot}} }
        builders: [{{builder}}]
        ipc: [2]
        models: 1
        build_arch: convnet-w32-d1-instancenorm-relu-avgpool
        eval: { epochs: 1, batch_size: 16, lr: 0.05, augmentation: none }
        """;

    [TestMethod]
    public void APluginBuilderRunsByNameFromYamlWithoutRebuildingCondensa()
    {
        using var data = ContinualTestData.IdxPatches(train: (12, 1), test: (3, 2));
        using var folder = new TempRunFolder();
        Compile(folder.PathOf("plugins"), "EveryOther", Global(EveryOther.Replace("NAME", "every-other")));
        foreach (var (plugins, run) in new[] { ("[plugins/EveryOther.dll]", "as-file"), ("[plugins]", "as-folder") })
        {
            using var host = Host();
            var (scenario, options) = Load(host, folder.Root, CompareYaml(data.Root, plugins, "{name: every-other, offset: 1}"));
            Assert.AreEqual(Path.Combine(folder.Root, "plugins", plugins == "[plugins]" ? "" : "EveryOther.dll").TrimEnd('/'), options.Plugins.Single(),
                "the resolved config names the plug-in by its full path, for workers reading it elsewhere");
            var builders = host.GetRequiredService<MemoryBuilderRegistry>();
            Assert.AreEqual("selector", builders.All.Single(b => b.Name == "every-other").Kind);
            var dir = folder.PathOf(run);
            Assert.AreEqual(0, scenario.Run(ContinualTestData.Context(dir, new RecordingLogger(), builders), options, CancellationToken.None));
            // class c holds c, c + 4, c + 8, ...: offset 1, then every other: members 1 and 3, that is c + 4 and c + 12
            var stored = MemoryStore.Load(Path.Combine(dir, "memories/every-other/ipc-2/seed0"));
            CollectionAssert.AreEqual(new long[] { 4, 12, 5, 13, 6, 14, 7, 15 }, ((SelectedMemory)stored.Memory).Indices);
        }
    }

    [TestMethod]
    public void EachWayAPluginCanBeWrongIsRefusedWithTheConfigLine()
    {
        using var folder = new TempRunFolder();
        string Refusal(string plugins)
        {
            using var host = Host();
            var e = Assert.ThrowsExactly<ConfigurationException>(() => Load(host, folder.Root, $"scenario: compare\nplugins: {plugins}\nbuilders: [random]\n"));
            StringAssert.Contains(e.Message, "run.yaml:2:", "the line of the plugins key");
            return e.Message;
        }

        StringAssert.Contains(Refusal("[missing/Nothing.dll]"), $"'{folder.PathOf("missing/Nothing.dll")}' does not exist ('missing/Nothing.dll' is taken relative to the config's folder");

        Compile(folder.PathOf("plain"), "NoEntry", Global("namespace Plain; public sealed class Nothing { }"));
        StringAssert.Contains(Refusal("[plain/NoEntry.dll]"), "has no public class implementing Condensa.Hosting.ICondensaPlugin");
        StringAssert.Contains(Refusal("[plain]"), "no .dll in folder");

        Compile(folder.PathOf("clash"), "Clash", Global(EveryOther.Replace("NAME", "herding")));
        var clash = Refusal("[clash/Clash.dll]");
        StringAssert.Contains(clash, "plug-in Plugins.Plugin");
        StringAssert.Contains(clash, "a memory builder named 'herding' is already registered");

        File.WriteAllText(folder.PathOf("plain/notes.dll"), "not an assembly");
        StringAssert.Contains(Refusal("[plain/notes.dll]"), "is not a .NET assembly");

        StringAssert.Contains(Refusal("plugins.dll"), "must be a list of .dll files or folders");

        // a plug-in built against Condensa 0.1: an assembly named Condensa.Framework of that version, with the entry-point interface
        var old = Compile(folder.PathOf("old-framework"), "Condensa.Framework", Global("""
            namespace Condensa.Hosting { public interface ICondensaPlugin { void ConfigureServices(object services); } }
            """), version: "0.1.0.0");
        Compile(folder.PathOf("old"), "OldPlugin", Global("public sealed class Old : Condensa.Hosting.ICondensaPlugin { public void ConfigureServices(object services) { } }"),
            [.. OtherReferences.Value, MetadataReference.CreateFromFile(old)]);
        var version = Refusal("[old/OldPlugin.dll]");
        StringAssert.Contains(version, $"was built against Condensa 0.1; this is Condensa {PluginLoader.HostVersion.Major}.{PluginLoader.HostVersion.Minor}");
    }

    [TestMethod]
    public void AHostAddsItsOwnBuilderBesideTheBuiltIns()
    {
        var services = new ServiceCollection()
            .AddMemoryBuilder<Samples.EveryOtherOptions>("every-other", "selector", "Every other image of each class", o => new Samples.EveryOtherSelector(o))
            .AddCondensa()
            .AddCondensa();
        using var host = services.BuildServiceProvider();
        var builders = host.GetRequiredService<MemoryBuilderRegistry>();
        CollectionAssert.IsSubsetOf(new[] { "every-other", "herding", "dm" }, builders.Names.ToArray());
        CollectionAssert.AreEquivalent(new[] { "compare", "continual", "nas", "train" }, host.GetRequiredService<ScenarioRegistry>().All.Select(s => s.Name).ToArray(),
            "AddCondensa twice adds each scenario once");
        var twice = new ServiceCollection().AddCondensa().AddMemoryBuilder<Samples.EveryOtherOptions>("herding", "selector", "", o => new Samples.EveryOtherSelector(o)).BuildServiceProvider();
        var e = Assert.ThrowsExactly<CondensaException>(() => twice.GetRequiredService<MemoryBuilderRegistry>());
        StringAssert.Contains(e.Message, "a memory builder named 'herding' is already registered");
    }
}
