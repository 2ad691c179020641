using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Condensa.Tests.Support;

namespace Condensa.Tests.Packaging;

/// <summary>
/// The packages as a user gets them: <c>tools/pack</c> writes Condensa.Framework, Condensa.Methods and Condensa.Scenarios
/// to a folder feed (under a version of their own, so no package cached from an earlier pack stands in), the samples
/// are copied out of the repository and built against that feed and nuget.org (their own nuget.config), and each runs
/// its tiny compare: the custom host with <c>every-other</c> compiled in, and <c>condensa run</c> with it as a plug-in;
/// then the README's "Extending Condensa" commands make a new console project and run it. All three must agree, since
/// they run one selector on one config.
/// </summary>
[TestClass]
public sealed class PackagesTests
{
    private static (int Code, string Output) Run(string workingDirectory, string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromMinutes(8))) process.Kill(entireProcessTree: true);
        return (process.HasExited ? process.ExitCode : -1, $"{file} {string.Join(' ', args)}\n{stdout}\n{stderr.Result}");
    }

    private static void Succeeds(string workingDirectory, string file, params string[] args)
    {
        var (code, output) = Run(workingDirectory, file, args);
        Assert.AreEqual(0, code, output);
    }

    [TestMethod]
    public void TheSamplesAndTheReadmesProjectBuildFromThePackedPackagesAndRunTheirCompares()
    {
        using var scratch = new TempRunFolder();
        // a stand-in for the repository as a user has it: the packed feed in artifacts/packages and the samples
        var condensa = Directory.CreateDirectory(Path.Combine(scratch.Root, "condensa")).FullName;
        var version = $"{VersionPrefix()}-test.{Guid.NewGuid():N}"[..24];
        var feed = Path.Combine(condensa, "artifacts/packages");
        Succeeds(Repository.Root, Path.Combine(Repository.Root, "tools/pack"), feed, version);
        foreach (var id in new[] { "Condensa.Framework", "Condensa.Methods", "Condensa.Scenarios" })
        {
            Assert.IsTrue(File.Exists(Path.Combine(feed, $"{id}.{version}.nupkg")), id);
            Assert.IsTrue(File.Exists(Path.Combine(feed, $"{id}.{version}.snupkg")), id + " symbols");
        }
        var samples = Path.Combine(condensa, "samples");
        CopyTree(Path.Combine(Repository.Root, "samples"), samples);
        foreach (var sample in new[] { "PluginSelector", "CustomSelector" })
        {
            var dir = Path.Combine(samples, sample);
            Succeeds(dir, "dotnet", "build", "-c", "Release", "-nologo", "-v", "q", $"-p:CondensaVersion={version}");
            var assets = File.ReadAllText(Path.Combine(dir, "obj/project.assets.json"));
            StringAssert.Contains(assets, $"\"Condensa.Framework/{version}\"", $"{sample} uses the packed Condensa.Framework");
            Assert.DoesNotContain(Repository.Root, assets, $"{sample} needs nothing from the source tree");
        }
        var custom = Path.Combine(scratch.Root, "custom");
        // two local workers: the second is this program again, which knows every-other
        Succeeds(Path.Combine(samples, "CustomSelector"), "dotnet", "bin/Release/net10.0/CustomSelector.dll", "run", "compare.yaml", "--out", custom, "--set", "workers=2");
        var (listed, methods) = Run(Path.Combine(samples, "PluginSelector"), Path.Combine(AppContext.BaseDirectory, "condensa"), "methods", "compare.yaml");
        Assert.AreEqual(0, listed, methods);
        StringAssert.Contains(methods, "every-other", "condensa methods CONFIG lists the config's plug-in builders");
        var plugin = Path.Combine(scratch.Root, "plugin");
        Succeeds(Path.Combine(samples, "PluginSelector"), Path.Combine(AppContext.BaseDirectory, "condensa"), "run", "compare.yaml", "--out", plugin);

        // the README's "Extending Condensa" commands, as written but for the version (tools/pack has run above)
        var readme = File.ReadAllText(Path.Combine(Repository.Root, "README.md"));
        var section = readme[readme.IndexOf("## Extending Condensa", StringComparison.Ordinal)..];
        section = section[..section.IndexOf("\n## ", 3, StringComparison.Ordinal)];
        string Block(string language) => Regex.Match(section, $"```{language}\\n(.*?)```", RegexOptions.Singleline).Groups[1].Value;
        var commands = Block("sh").Split('\n').Where(line => !line.StartsWith("tools/pack", StringComparison.Ordinal))
            .Select(line => line.Replace("--version " + VersionPrefix(), "--version " + version, StringComparison.Ordinal));
        var readmeRun = Path.Combine(scratch.Root, "readme");
        var script = string.Join('\n', commands) + $"\ncat > Program.cs <<'CSHARP'\n{Block("csharp")}CSHARP\ndotnet run -c Release -- run compare.yaml --out '{readmeRun}'\n";
        Assert.Contains("dotnet add package Condensa.Scenarios --version " + version, script);
        Succeeds(condensa, "bash", "-euc", script);

        Dictionary<string, double> Accuracies(string run) => JsonNode.Parse(File.ReadAllText(Path.Combine(run, "results.json")))!["rows"]!.AsArray()
            .ToDictionary(r => r!["method"]!.GetValue<string>(), r => r!["accuracy_mean"]!.GetValue<double>());
        var fromHost = Accuracies(custom);
        CollectionAssert.AreEquivalent(new[] { "random", "every-other" }, fromHost.Keys.ToArray());
        foreach (var other in new[] { plugin, readmeRun })
        {
            var accuracies = Accuracies(other);
            CollectionAssert.AreEquivalent(fromHost.Keys.ToArray(), accuracies.Keys.ToArray());
            Assert.AreEqual(fromHost["every-other"], accuracies["every-other"], 1e-9, $"{other}: one selector, one config: one accuracy");
        }
        Assert.AreEqual(20, JsonNode.Parse(File.ReadAllText(Path.Combine(plugin, "memories/every-other/ipc-2/seed0/memory.json")))!["count"]!.GetValue<int>());
    }

    /// <summary>The version in Directory.Build.props (major.minor.patch).</summary>
    private static string VersionPrefix() =>
        Regex.Match(File.ReadAllText(Path.Combine(Repository.Root, "Directory.Build.props")), "<Version>([^<]+)</Version>").Groups[1].Value;

    private static void CopyTree(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(from, file);
            if (relative.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj")) continue;
            var target = Path.Combine(to, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
