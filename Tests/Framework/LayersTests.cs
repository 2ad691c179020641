using System.Text.RegularExpressions;
using Condensa.Tests.Support;

namespace Condensa.Tests.Framework;

/// <summary>
/// Framework's folders are layers: each uses only the folders below it (and the top-level types), read from every
/// source file's <c>using</c> lines and namespace-qualified names, so a namespace loop cannot come back unnoticed.
/// </summary>
[TestClass]
public sealed class LayersTests
{
    /// <summary>Framework's folders from the bottom up (docs/architecture.md draws the same order).</summary>
    internal static readonly string[] Layers = ["Runtime", "Config", "Data", "Models", "Training", "Reporting", "Memory", "Study", "Hosting", "Work"];

    [TestMethod]
    public void EveryFrameworkFolderUsesOnlyTheFoldersBelowIt()
    {
        var framework = Path.Combine(Repository.Root, "Framework");
        var names = string.Join('|', Layers);
        var referenced = new Regex($@"using (?:static )?Condensa\.({names})\b|Condensa\.({names})\.|(?<![\w.])({names})\.[A-Z]");
        var violations = new List<string>();
        // folders of code (build/ holds the package's MSBuild file)
        var folders = Directory.GetDirectories(framework).Where(d => Directory.EnumerateFiles(d, "*.cs", SearchOption.AllDirectories).Any())
            .Select(Path.GetFileName).Where(d => d is not ("bin" or "obj")).ToList();
        CollectionAssert.AreEquivalent(Layers, folders, "every folder of code in Framework has its place in the layers");
        foreach (var file in Directory.EnumerateFiles(framework, "*.cs", SearchOption.AllDirectories).Where(f => !f.Contains("/bin/") && !f.Contains("/obj/")))
        {
            var relative = Path.GetRelativePath(framework, file);
            int own = relative.Contains('/') ? Array.IndexOf(Layers, relative.Split('/')[0]) : -1;   // top-level files are below every layer
            var code = Regex.Replace(File.ReadAllText(file), @"//.*", "");
            foreach (Match m in referenced.Matches(code))
            {
                var layer = m.Groups.Cast<Group>().Skip(1).First(g => g.Success).Value;
                if (Array.IndexOf(Layers, layer) > own) violations.Add($"{relative} uses {layer}");
            }
        }
        Assert.IsEmpty(violations.Distinct().ToList(), "a folder uses one above it:\n" + string.Join("\n", violations.Distinct()));
    }
}
