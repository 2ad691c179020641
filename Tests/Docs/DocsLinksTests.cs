using System.Text.RegularExpressions;
using Condensa.Tests.Support;

namespace Condensa.Tests.Docs;

/// <summary>
/// Every link in README.md and docs/**/*.md resolves: a relative link to a file inside the repository, an anchor to a
/// heading of its file. External http(s) links are not fetched.
/// </summary>
[TestClass]
public sealed class DocsLinksTests
{
    private static readonly string Root = Repository.Root;

    public static IEnumerable<object[]> Files() => Markdown.DocumentationFiles(Root).Select(f => new object[] { f });

    [TestMethod]
    [DynamicData(nameof(Files))]
    public void EveryLinkResolves(string relativePath)
    {
        var file = Path.Combine(Root, relativePath);
        var problems = new List<string>();
        foreach (var link in Markdown.Links(File.ReadAllText(file)))
            if (Problem(file, link.Target) is { } problem)
                problems.Add($"{relativePath}:{link.Line}: ({link.Target}) {problem}");
        Assert.IsEmpty(problems, string.Join("\n", problems));
    }

    [TestMethod]
    public void TheDocumentationFilesAreFound()
    {
        var files = Markdown.DocumentationFiles(Root).ToList();
        CollectionAssert.Contains(files, "README.md");
        CollectionAssert.Contains(files, "docs/results.md");
    }

    /// <summary>Why <paramref name="target"/>, written in <paramref name="file"/>, does not resolve; null when it does.</summary>
    private static string? Problem(string file, string target)
    {
        target = target.Trim('<', '>');
        if (target.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || target.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
            return null; // not fetched
        if (Regex.IsMatch(target, "^[a-zA-Z][a-zA-Z0-9+.-]*:"))
            return "is neither a relative link nor http(s)";
        if (target.StartsWith('/') || target.StartsWith('\\'))
            return "is an absolute path; link relative to the file";

        var hash = target.IndexOf('#');
        var pathPart = Uri.UnescapeDataString(hash < 0 ? target : target[..hash]);
        var anchor = hash < 0 ? null : Uri.UnescapeDataString(target[(hash + 1)..]);
        var queryAt = pathPart.IndexOf('?');
        if (queryAt >= 0) pathPart = pathPart[..queryAt];

        var resolved = pathPart.Length == 0 ? file : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(file)!, pathPart));
        var rootWithSeparator = Root.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
        if (!resolved.StartsWith(rootWithSeparator, StringComparison.Ordinal))
            return "points outside the repository";
        if (!File.Exists(resolved) && !Directory.Exists(resolved))
            return "names no file of the repository";
        if (anchor is null || anchor.Length == 0) return null;
        if (!resolved.EndsWith(".md", StringComparison.OrdinalIgnoreCase))
            return "has an anchor into a file that is not Markdown";
        var anchors = Markdown.Anchors(File.ReadAllText(resolved));
        return anchors.Contains(anchor) ? null : $"names no heading of {Path.GetFileName(resolved)}; its anchors: {string.Join(", ", anchors.Order())}";
    }

    [TestMethod]
    public void SlugsFollowGitHubsRules()
    {
        Assert.AreEqual("dashboard-condensa-serve", Markdown.Slug("Dashboard: `condensa serve`"));
        Assert.AreEqual("compare-coreset-selection", Markdown.Slug("compare: coreset selection"));
        Assert.AreEqual("against-the-reference-2026-12-02", Markdown.Slug("Against the reference, 2026-12-02"));
        Assert.AreEqual("using-many-workers-and-machines", Markdown.Slug("Using many workers and machines"));
        Assert.AreEqual("train-train-and-test-one-architecture", Markdown.Slug("train: train and test one architecture"));
        Assert.AreEqual("a-link", Markdown.Slug("A [link](https://example.org)"));
        var anchors = Markdown.Anchors("# Results\n\n```sh\n# not a heading\n```\n\n## Results\n### Results\n");
        CollectionAssert.AreEquivalent(new[] { "results", "results-1", "results-2" }, anchors.ToArray());
    }

    [TestMethod]
    public void LinksInsideCodeAreNotLinks()
    {
        var links = Markdown.Links("see [a](a.md) and `[b](b.md)`\n\n```md\n[c](c.md)\n```\n![img](docs/x.png \"t\")\n[ref]: ref.md\n");
        CollectionAssert.AreEqual(new[] { "a.md", "docs/x.png", "ref.md" }, links.Select(l => l.Target).ToArray());
    }

    /// <summary>
    /// No file of the repository names the notes, reference folders or section anchors of the workspace it was written
    /// in: they are not part of the repository, so a reader cannot follow them. The patterns are assembled from pieces so
    /// that this file does not match them itself.
    /// </summary>
    [TestMethod]
    public void NoFileNamesTheWorkspaceOutsideTheRepository()
    {
        string[] pieces = [string.Concat("METHODS", @"\.md"), string.Concat("sha", "red/"), string.Concat("resea", "rch/"),
            string.Concat("anchors", " §"), string.Concat("reference", "/pytorch")];
        var pattern = new Regex(string.Join("|", pieces));
        var hits = new List<string>();
        foreach (var file in RepositoryTextFiles())
        {
            var lines = File.ReadAllLines(file);
            for (int i = 0; i < lines.Length; i++)
                if (pattern.IsMatch(lines[i])) hits.Add($"{Path.GetRelativePath(Root, file)}:{i + 1}: {lines[i].Trim()}");
        }
        Assert.IsEmpty(hits, string.Join("\n", hits));
    }

    /// <summary>The repository's text files: no build output, run folders or VCS data, nothing binary or huge.</summary>
    private static IEnumerable<string> RepositoryTextFiles()
    {
        string[] skipped = [".git", "bin", "obj", "TestResults", "runs", "ui-check", "node_modules"];
        var pending = new Stack<string>([Root]);
        while (pending.Count > 0)
        {
            var dir = pending.Pop();
            foreach (var sub in Directory.EnumerateDirectories(dir))
                if (!skipped.Contains(Path.GetFileName(sub)) && !File.GetAttributes(sub).HasFlag(FileAttributes.ReparsePoint))
                    pending.Push(sub);
            foreach (var file in Directory.EnumerateFiles(dir))
                if (new FileInfo(file).Length < 4_000_000 && !IsBinary(file)) yield return file;
        }
    }

    private static bool IsBinary(string file)
    {
        var buffer = new byte[8000];
        using var stream = File.OpenRead(file);
        var read = stream.Read(buffer, 0, buffer.Length);
        return Array.IndexOf(buffer, (byte)0, 0, read) >= 0;
    }
}
