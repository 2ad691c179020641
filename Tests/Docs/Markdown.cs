using System.Text;
using System.Text.RegularExpressions;
using Condensa.Tests.Support;

namespace Condensa.Tests.Docs;

/// <summary>
/// Just enough Markdown for the documentation tests: the repository's Markdown files, their fenced code blocks, their
/// links outside code, and their headings' anchors as GitHub makes them.
/// </summary>
internal static partial class Markdown
{

    /// <summary>README.md and every Markdown file under docs/, as paths relative to the repository root.</summary>
    public static IEnumerable<string> DocumentationFiles(string root)
    {
        yield return "README.md";
        var docs = Path.Combine(root, "docs");
        if (!Directory.Exists(docs)) yield break;
        foreach (var file in Directory.EnumerateFiles(docs, "*.md", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            yield return Path.GetRelativePath(root, file).Replace(Path.DirectorySeparatorChar, '/');
    }

    /// <summary>A fenced code block: its info string (e.g. <c>sh</c>), its lines, and the line number of its opening fence.</summary>
    public sealed record CodeBlock(string Info, IReadOnlyList<string> Lines, int Line);

    /// <summary>A link outside code: its target as written and the 1-based line it is on.</summary>
    public sealed record Link(string Target, int Line);

    public static List<CodeBlock> CodeBlocks(string text)
    {
        var blocks = new List<CodeBlock>();
        var lines = SplitLines(text);
        for (int i = 0; i < lines.Length; i++)
        {
            var open = Fence().Match(lines[i]);
            if (!open.Success) continue;
            var fence = open.Groups["fence"].Value;
            var body = new List<string>();
            int j = i + 1;
            while (j < lines.Length && !IsClosingFence(lines[j], fence)) body.Add(lines[j++]);
            blocks.Add(new CodeBlock(open.Groups["info"].Value.Trim(), body, i + 1));
            i = j;
        }
        return blocks;
    }

    /// <summary>Inline links, images and reference definitions, outside fenced code and code spans.</summary>
    public static List<Link> Links(string text)
    {
        var links = new List<Link>();
        foreach (var (line, number) in ProseLines(text))
        {
            var prose = CodeSpan().Replace(line, "");
            foreach (Match m in InlineLink().Matches(prose)) links.Add(new Link(m.Groups["target"].Value, number));
            var definition = ReferenceDefinition().Match(prose);
            if (definition.Success) links.Add(new Link(definition.Groups["target"].Value, number));
        }
        return links;
    }

    /// <summary>The anchors GitHub gives the file's headings (github-slugger: duplicates get -1, -2, ...).</summary>
    public static HashSet<string> Anchors(string text)
    {
        var anchors = new HashSet<string>(StringComparer.Ordinal);
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (line, _) in ProseLines(text))
        {
            var heading = Heading().Match(line);
            if (!heading.Success) continue;
            var slug = Slug(heading.Groups["text"].Value);
            if (seen.TryGetValue(slug, out var count))
            {
                seen[slug] = count + 1;
                slug = $"{slug}-{count}";
            }
            else seen[slug] = 1;
            anchors.Add(slug);
        }
        return anchors;
    }

    /// <summary>GitHub's slug of a heading: the rendered text, lower case, punctuation removed, spaces to hyphens.</summary>
    public static string Slug(string heading)
    {
        var rendered = InlineLink().Replace(heading, m => m.Groups["text"].Value); // a link's text, not its target
        rendered = rendered.Trim().ToLowerInvariant();
        var slug = new StringBuilder();
        foreach (var c in rendered)
        {
            if (char.IsLetterOrDigit(c) || c is '-' or '_') slug.Append(c);
            else if (c == ' ') slug.Append('-');
            // everything else (punctuation, symbols, Markdown marks such as ` and *) is dropped
        }
        return slug.ToString();
    }

    private static string[] SplitLines(string text) => text.Replace("\r\n", "\n").Split('\n');

    /// <summary>The lines outside fenced code blocks, with their 1-based numbers.</summary>
    private static IEnumerable<(string Line, int Number)> ProseLines(string text)
    {
        var lines = SplitLines(text);
        for (int i = 0; i < lines.Length; i++)
        {
            var open = Fence().Match(lines[i]);
            if (open.Success)
            {
                var fence = open.Groups["fence"].Value;
                i++;
                while (i < lines.Length && !IsClosingFence(lines[i], fence)) i++;
                continue;
            }
            yield return (lines[i], i + 1);
        }
    }

    private static bool IsClosingFence(string line, string fence)
    {
        var trimmed = line.TrimStart();
        return trimmed.StartsWith(fence, StringComparison.Ordinal) && trimmed.TrimEnd().Trim(fence[0]).Length == 0;
    }

    [GeneratedRegex(@"^\s{0,3}(?<fence>`{3,}|~{3,})(?<info>.*)$")]
    private static partial Regex Fence();

    [GeneratedRegex(@"(`+).*?\1")]
    private static partial Regex CodeSpan();

    /// <summary><c>[text](target)</c> or <c>![alt](target "title")</c>; the text may hold one level of brackets.</summary>
    [GeneratedRegex(@"!?\[(?<text>(?:[^\[\]]|\[[^\[\]]*\])*)\]\((?<target><[^>]*>|[^\s()]+(?:\([^\s()]*\)[^\s()]*)*)(?:\s+""[^""]*"")?\)")]
    private static partial Regex InlineLink();

    [GeneratedRegex(@"^\s{0,3}\[[^\]]+\]:\s+(?<target>\S+)")]
    private static partial Regex ReferenceDefinition();

    [GeneratedRegex(@"^\s{0,3}#{1,6}\s+(?<text>.*?)\s*#*\s*$")]
    private static partial Regex Heading();
}
