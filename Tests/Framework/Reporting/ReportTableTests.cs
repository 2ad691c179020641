using Condensa.Reporting;
using Spectre.Console;

namespace Condensa.Tests.Framework.Reporting;

/// <summary>One table description, three forms: each checked against its text written by hand.</summary>
[TestClass]
public sealed class ReportTableTests
{
    private static ReportTable Sample() => new ReportTable("method", "ipc 1")
        .Add("random", "51.40 ± 3.80")
        .Add("dm | f2 <x>", new ReportCell("[77.35]", Strong: true))
        .Add("empty", new ReportCell("", Strong: true));

    [TestMethod]
    public void MarkdownBoldsStrongCellsAndEscapesPipes()
    {
        Assert.AreEqual(
            "| method | ipc 1 |\n|---|---|\n| random | 51.40 ± 3.80 |\n| dm \\| f2 <x> | **[77.35]** |\n| empty |  |\n",
            Sample().ToMarkdown().ReplaceLineEndings("\n"));
    }

    [TestMethod]
    public void HtmlEncodesTextAsTheDashboardDoesAndBoldsStrongCells()
    {
        Assert.AreEqual(
            "<table><tr><th>method</th><th>ipc 1</th></tr><tr><td>random</td><td>51.40 &#177; 3.80</td></tr>" +
            "<tr><td>dm | f2 &lt;x&gt;</td><td><b>[77.35]</b></td></tr><tr><td>empty</td><td><b></b></td></tr></table>",
            Sample().ToHtml());
    }

    [TestMethod]
    public void TheConsoleShowsTheTextAsWrittenSquareBracketsIncluded()
    {
        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(writer), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
        console.Profile.Width = 80;
        console.Write(Sample().ToConsole());
        var text = writer.ToString();
        StringAssert.Contains(text, "[77.35]", "markup characters are text, not markup");
        StringAssert.Contains(text, "dm | f2 <x>");
        StringAssert.Contains(text, "51.40 ± 3.80");
    }

    [TestMethod]
    public void ARowMustHaveOneCellPerColumn()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => new ReportTable("a", "b").Add("only one"));
        StringAssert.Contains(e.Message, "a row of 1 cells in a table of 2 columns");
    }
}
