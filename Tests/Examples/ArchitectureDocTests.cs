using System.Text.RegularExpressions;
using Condensa.Tests.Support;

namespace Condensa.Tests.Examples;

/// <summary>
/// docs/architecture.md stays true: every C# block it quotes from a source file (announced by a
/// <c>&lt;!-- quote: PATH#REGION --&gt;</c> line) is that file's <c>// docs:begin REGION</c> ... <c>// docs:end REGION</c>
/// region, and every link is relative and names a file or folder of the repository.
/// </summary>
[TestClass]
public sealed partial class ArchitectureDocTests
{
    private const string Doc = "docs/architecture.md";


    private static string Read(string relative) => File.ReadAllText(Path.Combine(Repository.Root, relative)).Replace("\r\n", "\n");

    [GeneratedRegex(@"<!-- quote: (?<path>[^#\s]+)#(?<region>[\w-]+) -->\n```csharp\n(?<code>.*?)\n```", RegexOptions.Singleline)]
    private static partial Regex Quote();

    [GeneratedRegex(@"\[[^\]]*\]\((?<target>[^)\s]+)\)")]
    private static partial Regex Link();

    /// <summary>The lines between <c>// docs:begin REGION</c> and <c>// docs:end REGION</c>, without their common indentation.</summary>
    internal static string Region(string source, string region)
    {
        var lines = source.Split('\n');
        int begin = Array.FindIndex(lines, l => l.Trim() == $"// docs:begin {region}");
        int end = Array.FindIndex(lines, l => l.Trim() == $"// docs:end {region}");
        Assert.IsTrue(begin >= 0 && end > begin, $"region '{region}' is not marked");
        var body = lines[(begin + 1)..end];
        int indent = body.Where(l => l.Trim().Length > 0).Min(l => l.Length - l.TrimStart().Length);
        return string.Join('\n', body.Select(l => l.Length >= indent ? l[indent..] : l.TrimStart()));
    }

    [TestMethod]
    public void QuotedCodeIsTheExampleSourceRegion()
    {
        var quotes = Quote().Matches(Read(Doc)).ToList();
        CollectionAssert.AreEquivalent(
            new[] { "samples/PluginSelector/EveryOtherSelector.cs#selector", "samples/PluginSelector/Plugin.cs#registration" },
            quotes.Select(q => $"{q.Groups["path"].Value}#{q.Groups["region"].Value}").ToArray(), "the worked example quotes the selector file and its registration line");
        foreach (var q in quotes)
            Assert.AreEqual(Region(Read(q.Groups["path"].Value), q.Groups["region"].Value), q.Groups["code"].Value,
                $"{Doc} quotes {q.Groups["path"].Value}#{q.Groups["region"].Value}: copy the region into the doc again");
    }

    [TestMethod]
    public void LinksAreRelativeAndResolveInsideTheRepository()
    {
        var root = Repository.Root;
        var docFolder = Path.GetDirectoryName(Path.Combine(root, Doc))!;
        var targets = Link().Matches(Read(Doc)).Select(m => m.Groups["target"].Value).Where(t => !t.StartsWith('#')).ToList();
        Assert.IsNotEmpty(targets);
        foreach (var target in targets)
        {
            Assert.IsFalse(target.Contains("://", StringComparison.Ordinal) || target.StartsWith('/') || target.StartsWith('~'), $"{target}: links are relative");
            var full = Path.GetFullPath(Path.Combine(docFolder, target.Split('#')[0]));
            Assert.IsTrue(full.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal), $"{target} leaves the repository");
            Assert.IsTrue(File.Exists(full) || Directory.Exists(full), $"{target} does not exist");
        }
    }
}
