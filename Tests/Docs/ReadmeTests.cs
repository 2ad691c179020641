using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Condensa.Memory;
using Condensa.Scenarios.Cli;
using Microsoft.Extensions.DependencyInjection;
using Condensa.Tests.Support;

namespace Condensa.Tests.Docs;

/// <summary>
/// The README is short and its commands run as written: every config it names exists and validates (with the command's
/// <c>--set</c> overrides), <c>condensa methods</c> lists every registered builder, and the smoke configs it runs finish.
/// </summary>
[TestClass]
public sealed partial class ReadmeTests
{
    private static readonly string Root = Repository.Root;
    private static string Readme => File.ReadAllText(Path.Combine(Root, "README.md"));

    /// <summary>A <c>./condensa</c> command of a code block, split into words as a shell would (quotes, comments).</summary>
    public sealed record Command(string[] Words, int Line)
    {
        public string Verb => Words.Length > 1 ? Words[1] : "";
        public override string ToString() => string.Join(' ', Words);
    }

    /// <summary>Every <c>./condensa ...</c> line in the README's fenced code blocks (also after a <c>$ </c> prompt).</summary>
    internal static List<Command> Commands(string readme)
    {
        var commands = new List<Command>();
        foreach (var block in Markdown.CodeBlocks(readme))
            for (int i = 0; i < block.Lines.Count; i++)
            {
                var line = block.Lines[i].Trim();
                if (line.StartsWith("$ ", StringComparison.Ordinal)) line = line[2..].TrimStart();
                if (!line.StartsWith("./condensa ", StringComparison.Ordinal)) continue;
                commands.Add(new Command(ShellWords(line), block.Line + 1 + i));
            }
        return commands;
    }

    /// <summary>Words of a shell line: single and double quotes, backslash escapes, a <c>#</c> comment at a word start.</summary>
    internal static string[] ShellWords(string line)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        bool inWord = false;
        for (int i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (char.IsWhiteSpace(c))
            {
                if (inWord) { words.Add(word.ToString()); word.Clear(); inWord = false; }
                continue;
            }
            if (c == '#' && !inWord) break;
            inWord = true;
            if (c == '\'')
            {
                var end = line.IndexOf('\'', i + 1);
                if (end < 0) throw new FormatException($"unclosed ' in: {line}");
                word.Append(line, i + 1, end - i - 1);
                i = end;
            }
            else if (c == '"')
            {
                int j = i + 1;
                for (; j < line.Length && line[j] != '"'; j++)
                    word.Append(line[j] == '\\' && j + 1 < line.Length ? line[++j] : line[j]);
                if (j >= line.Length) throw new FormatException($"unclosed \" in: {line}");
                i = j;
            }
            else if (c == '\\' && i + 1 < line.Length) word.Append(line[++i]);
            else word.Append(c);
        }
        if (inWord) words.Add(word.ToString());
        return [.. words];
    }

    /// <summary>The config and the <c>--set</c> overrides of a <c>run</c> or <c>validate</c> command, as <c>validate</c> arguments.</summary>
    private static string[] ValidateArguments(Command command)
    {
        var args = new List<string> { "validate", Path.Combine(Root, command.Words[2]) };
        for (int i = 3; i < command.Words.Length; i++)
            if (command.Words[i] == "--set" && i + 1 < command.Words.Length) { args.Add("--set"); args.Add(command.Words[++i]); }
        return [.. args];
    }

    [TestMethod]
    public void TheReadmeIsAtMost280Lines()
    {
        var lines = Readme.TrimEnd('\n').Split('\n').Length;
        Assert.IsLessThanOrEqualTo(280, lines, $"README.md has {lines} lines; the manual is read top-down in ten minutes");
    }

    [TestMethod]
    public void TheQuickStartHasTheMainJobAndTheTestCommand()
    {
        var quickStart = Readme[Readme.IndexOf("## Quick start", StringComparison.Ordinal)..];
        var block = Markdown.CodeBlocks(quickStart)[0];
        Assert.AreEqual("sh", block.Info);
        CollectionAssert.AreEqual(new[] { "./condensa run Configs/quickstart.yaml", "tools/test" },
            block.Lines.Select(l => l.Split('#')[0].Trim()).ToArray(), "CI runs the README's test command");
    }

    [TestMethod]
    public void EveryConfigTheReadmeNamesExists()
    {
        var named = ConfigPaths().Select(p => p[0]).Cast<string>().ToList();
        Assert.IsNotEmpty(named);
        var missing = named.Where(p => !File.Exists(Path.Combine(Root, p))).ToList();
        Assert.IsEmpty(missing, "README.md names configs that do not exist: " + string.Join(", ", missing));
    }

    public static IEnumerable<object[]> ConfigPaths() =>
        ConfigPath().Matches(Readme).Select(m => m.Value).Distinct().Order(StringComparer.Ordinal).Select(p => new object[] { p });

    [TestMethod]
    [DynamicData(nameof(ConfigPaths))]
    public async Task EveryConfigTheReadmeNamesValidates(string relativePath)
    {
        var (code, err) = await Scenarios.Cli.CliTests.Run("validate", Path.Combine(Root, relativePath));
        Assert.AreEqual(CondensaCli.ExitOk, code, err);
    }

    public static IEnumerable<object[]> RunAndValidateCommands() =>
        Commands(Readme).Where(c => c.Verb is "run" or "validate").Select(c => new object[] { c.ToString(), c.Line });

    /// <summary>Each <c>./condensa run|validate CONFIG [--set ...]</c> of the README validates with its overrides.</summary>
    [TestMethod]
    [DynamicData(nameof(RunAndValidateCommands))]
    public async Task EveryRunAndValidateCommandValidates(string command, int line)
    {
        var parsed = Commands(Readme).First(c => c.ToString() == command && c.Line == line);
        Assert.IsGreaterThanOrEqualTo(3, parsed.Words.Length, $"README.md:{line}: {command} names no config");
        var (code, err) = await Scenarios.Cli.CliTests.Run(ValidateArguments(parsed));
        Assert.AreEqual(CondensaCli.ExitOk, code, $"README.md:{line}: {command}\n{err}");
    }

    [TestMethod]
    public void TheReadmeHasCommandsOfEveryScenario()
    {
        var commands = Commands(Readme);
        Assert.IsTrue(commands.Any(c => c.Verb == "run" && c.Words[2] == "Configs/quickstart.yaml"));
        var configs = commands.Where(c => c.Verb == "run").Select(c => File.ReadAllText(Path.Combine(Root, c.Words[2])));
        foreach (var scenario in new[] { "train", "compare", "continual", "nas" })
            Assert.IsTrue(configs.Any(text => Regex.IsMatch(text, $@"^scenario:\s*{scenario}\b", RegexOptions.Multiline)),
                $"no `./condensa run` of a {scenario} config in README.md");
    }

    /// <summary><c>./condensa methods</c>, as the README runs it (a process), exits 0 and lists every registered builder.</summary>
    [TestMethod]
    public void MethodsListsEveryBuilder()
    {
        Assert.IsTrue(Commands(Readme).Any(c => c.Verb == "methods") || Readme.Contains("`./condensa methods`"), "README.md shows `./condensa methods`");
        using var host = CondensaCli.BuildHost(verbose: false);
        var registered = host.Services.GetRequiredService<MemoryBuilderRegistry>().Names.ToList();
        Assert.IsNotEmpty(registered);

        var info = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "condensa"), "methods")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        Assert.IsTrue(process.WaitForExit(TimeSpan.FromMinutes(1)), "condensa methods did not finish");
        Assert.AreEqual(0, process.ExitCode, stdout + stderr.Result);

        var listed = FirstCell().Matches(stdout).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
        var missing = registered.Where(n => !listed.Contains(n)).ToList();
        Assert.IsEmpty(missing, "condensa methods does not list: " + string.Join(", ", missing) + "\n" + stdout);
        foreach (var scenario in new[] { "train", "compare", "continual", "nas" })
            Assert.Contains(scenario, listed, "the scenarios are listed too");
    }

    public static IEnumerable<object[]> SmokeRuns() =>
        Commands(Readme).Where(c => c.Verb == "run" && c.Words[2].StartsWith("Configs/smoke/", StringComparison.Ordinal))
            .Select(c => new object[] { c.ToString() });

    [TestMethod]
    public void TheReadmeRunsTheSmokeConfigs() => Assert.IsNotEmpty(SmokeRuns().ToList());

    /// <summary>The smoke runs the README shows finish (about a minute each on 2 cores); their results say completed.</summary>
    [TestMethod]
    [DynamicData(nameof(SmokeRuns))]
    public async Task SmokeRunFinishes(string command)
    {
        if (!File.Exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"))
            Assert.Inconclusive("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)");
        var words = ShellWords(command);
        var outDir = Path.Combine(Path.GetTempPath(), "condensa-tests-docs", Guid.NewGuid().ToString("N"));
        try
        {
            var args = new List<string> { "run", Path.Combine(Root, words[2]), "--out", outDir };
            args.AddRange(words.Skip(3));
            var (code, err) = await Scenarios.Cli.CliTests.Run([.. args]);
            Assert.AreEqual(CondensaCli.ExitOk, code, $"{command}\n{err}");
            var results = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "results.json")))!;
            Assert.AreEqual("completed", results["status"]!.GetValue<string>(), command);
            Assert.IsTrue(File.Exists(Path.Combine(outDir, "results.md")), "results.md is written");
        }
        finally
        {
            try { Directory.Delete(outDir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    [TestMethod]
    public void ShellWordsSplitsAsAShell()
    {
        CollectionAssert.AreEqual(new[] { "./condensa", "run", "a.yaml", "--set", "proxies=[{builder: random, ipc: 10}]" },
            ShellWords("./condensa run a.yaml --set 'proxies=[{builder: random, ipc: 10}]'   # a comment"));
        CollectionAssert.AreEqual(new[] { "x", "a b", "c#d" }, ShellWords("x \"a b\" c#d # e"));
        var commands = Commands("text\n\n```text\n$ ./condensa run Configs/smoke/nas.yaml   # four\n| table |\n```\n");
        Assert.HasCount(1, commands);
        Assert.AreEqual("run", commands[0].Verb);
        Assert.AreEqual(4, commands[0].Line);
    }

    [GeneratedRegex(@"Configs/[A-Za-z0-9_./-]+\.yaml")]
    private static partial Regex ConfigPath();

    /// <summary>The first cell of a table row of Spectre's output: <c>│ name   │</c>.</summary>
    [GeneratedRegex(@"^│\s([a-z0-9][a-z0-9-]*)\s+│", RegexOptions.Multiline)]
    private static partial Regex FirstCell();
}
