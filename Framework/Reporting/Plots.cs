using ScottPlot;

namespace Condensa.Reporting;

/// <summary>One named series of a line plot, with an optional ± band (e.g. std over seeds).</summary>
public sealed record Series(string Name, double[] X, double[] Y, double[]? Error = null);

/// <summary>
/// The run's charts (ScottPlot; no system packages needed, DejaVu Sans from Debian's fonts-dejavu-core), drawn once and
/// written as a PNG into the run folder or as inline SVG for the dashboard.
/// </summary>
public static class Plots
{
    /// <summary>
    /// Lines with markers (markers up to 30 points), each with its ± band when the series has one. Series i takes the
    /// palette's colour i, whatever the bands before it (an added band would otherwise take a colour of its own).
    /// </summary>
    public static Plot Line(string title, string xLabel, string yLabel, IReadOnlyList<Series> series)
    {
        var plot = NewPlot(title, xLabel, yLabel);
        for (var i = 0; i < series.Count; i++)
        {
            var s = series[i];
            var line = plot.Add.Scatter(s.X, s.Y, plot.Add.Palette.GetColor(i));
            line.LegendText = s.Name;
            line.MarkerSize = s.X.Length <= 30 ? 6 : 0;
            if (s.Error is { } err)
            {
                var band = plot.Add.FillY(s.X, s.Y.Zip(err, (y, e) => y - e).ToArray(), s.Y.Zip(err, (y, e) => y + e).ToArray());
                band.FillStyle.Color = line.Color.WithAlpha(0.2);
                band.LineStyle.Width = 0;
            }
        }
        if (series.Count > 1) plot.ShowLegend(Alignment.LowerRight);
        return plot;
    }

    /// <summary>Points, the highlighted ones (e.g. the top-k by proxy) larger and in their own colour.</summary>
    public static Plot Scatter(string title, string xLabel, string yLabel, double[] x, double[] y, bool[]? highlight = null, string highlightName = "top-k by proxy")
    {
        var plot = NewPlot(title, xLabel, yLabel);
        var hi = highlight ?? new bool[x.Length];
        var rest = plot.Add.ScatterPoints(x.Where((_, i) => !hi[i]).ToArray(), y.Where((_, i) => !hi[i]).ToArray());
        rest.LegendText = "candidates";
        if (hi.Any(h => h))
        {
            var top = plot.Add.ScatterPoints(x.Where((_, i) => hi[i]).ToArray(), y.Where((_, i) => hi[i]).ToArray());
            top.LegendText = highlightName;
            top.MarkerSize = 9;
            plot.ShowLegend(Alignment.LowerRight);
        }
        return plot;
    }

    /// <summary>Writes the plot as a PNG (through a temporary file, so a reader never sees half of one).</summary>
    public static void SavePng(Plot plot, string path, int width = 800, int height = 500)
    {
        var tmp = path + ".tmp.png";
        plot.SavePng(tmp, width, height);
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>The plot as an inline <c>&lt;svg&gt;</c> element.</summary>
    public static string Svg(Plot plot, int width = 640, int height = 400) => plot.GetSvgHtml(width, height);

    private static Plot NewPlot(string title, string xLabel, string yLabel)
    {
        var plot = new Plot();
        plot.Font.Set("DejaVu Sans");
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        return plot;
    }
}
