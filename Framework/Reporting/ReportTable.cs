using System.Net;
using System.Text;
using Spectre.Console;

namespace Condensa.Reporting;

/// <summary>A table cell: plain text, and whether it stands out (the best of its column, say), which every form shows in bold.</summary>
public readonly record struct ReportCell(string Text, bool Strong = false)
{
    public static implicit operator ReportCell(string text) => new(text);
}

/// <summary>
/// A results table described once and written in the three forms a run shows it: Markdown (results.md), a console
/// table, and HTML (the dashboard). Cells are plain text, escaped by each form.
/// </summary>
public sealed class ReportTable(params string[] columns)
{
    private readonly List<ReportCell[]> _rows = [];

    public IReadOnlyList<string> Columns { get; } = columns;
    public IReadOnlyList<IReadOnlyList<ReportCell>> Rows => _rows;

    /// <summary>Adds a row of one cell per column (an error otherwise).</summary>
    public ReportTable Add(params ReportCell[] cells)
    {
        if (cells.Length != Columns.Count) throw new ArgumentException($"a row of {cells.Length} cells in a table of {Columns.Count} columns", nameof(cells));
        _rows.Add(cells);
        return this;
    }

    /// <summary>A GitHub-flavoured Markdown table, strong cells in <c>**bold**</c>, '|' escaped; one line per row, each ending in a newline.</summary>
    public string ToMarkdown()
    {
        static string Md(string text) => text.Replace("|", "\\|", StringComparison.Ordinal);
        var md = new StringBuilder();
        md.AppendLine("| " + string.Join(" | ", Columns.Select(Md)) + " |");
        md.AppendLine("|" + string.Concat(Columns.Select(_ => "---|")));
        foreach (var row in _rows)
            md.AppendLine("| " + string.Join(" | ", row.Select(c => c.Strong && c.Text.Length > 0 ? $"**{Md(c.Text)}**" : Md(c.Text))) + " |");
        return md.ToString();
    }

    /// <summary>The table for the console, strong cells in bold.</summary>
    public Table ToConsole()
    {
        var table = new Table();
        foreach (var column in Columns) table.AddColumn(Markup.Escape(column));
        foreach (var row in _rows)
            table.AddRow(row.Select(c => c.Strong ? $"[bold]{Markup.Escape(c.Text)}[/]" : Markup.Escape(c.Text)).ToArray());
        return table;
    }

    /// <summary>An HTML table, text encoded, strong cells in <c>&lt;b&gt;</c>.</summary>
    public string ToHtml()
    {
        static string H(string text) => WebUtility.HtmlEncode(text);
        var html = new StringBuilder("<table><tr>").Append(string.Concat(Columns.Select(c => $"<th>{H(c)}</th>"))).Append("</tr>");
        foreach (var row in _rows)
            html.Append("<tr>").Append(string.Concat(row.Select(c => c.Strong ? $"<td><b>{H(c.Text)}</b></td>" : $"<td>{H(c.Text)}</td>"))).Append("</tr>");
        return html.Append("</table>").ToString();
    }
}
