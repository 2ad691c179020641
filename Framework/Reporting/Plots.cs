using ScottPlot;

namespace Condensa.Reporting;

/// <summary>One named series of a line plot, with an optional ± band (e.g. std over seeds).</summary>
public sealed record Series(string Name, double[] X, double[] Y, double[]? Error = null);

/// <summary>PNG plots (ScottPlot; no system packages needed, DejaVu Sans from Debian's fonts-dejavu-core).</summary>
public static class Plots
{
    public static void Line(string path, string title, string xLabel, string yLabel, IReadOnlyList<Series> series, int width = 800, int height = 500)
    {
        var plot = NewPlot(title, xLabel, yLabel);
        foreach (var s in series)
        {
            var line = plot.Add.Scatter(s.X, s.Y);
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
        Save(plot, path, width, height);
    }

    public static void Scatter(string path, string title, string xLabel, string yLabel, double[] x, double[] y, bool[]? highlight = null, int width = 700, int height = 600)
    {
        var plot = NewPlot(title, xLabel, yLabel);
        var hi = highlight ?? new bool[x.Length];
        var rest = plot.Add.ScatterPoints(x.Where((_, i) => !hi[i]).ToArray(), y.Where((_, i) => !hi[i]).ToArray());
        rest.LegendText = "candidates";
        if (hi.Any(h => h))
        {
            var top = plot.Add.ScatterPoints(x.Where((_, i) => hi[i]).ToArray(), y.Where((_, i) => hi[i]).ToArray());
            top.LegendText = "top-k by proxy";
            top.MarkerSize = 9;
            plot.ShowLegend(Alignment.LowerRight);
        }
        Save(plot, path, width, height);
    }

    private static Plot NewPlot(string title, string xLabel, string yLabel)
    {
        var plot = new Plot();
        plot.Font.Set("DejaVu Sans");
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        return plot;
    }

    private static void Save(Plot plot, string path, int width, int height)
    {
        var tmp = path + ".tmp.png";
        plot.SavePng(tmp, width, height);
        File.Move(tmp, path, overwrite: true);
    }
}
