using Condensa.Reporting;

namespace Condensa.Tests.Framework.Reporting;

[TestClass]
public sealed class PlotsTests
{
    /// <summary>
    /// Six series with bands, as a compare run of six builders draws them: every line has its own colour, and each band
    /// is its line's colour, translucent (with a band taking a palette slot, the sixth line came out in the first's).
    /// </summary>
    [TestMethod]
    public void EverySeriesOfALinePlotHasItsOwnColourAndItsBandFollowsIt()
    {
        double[] x = [1, 10];
        var series = Enumerable.Range(0, 6).Select(i => new Series($"builder {i}", x, [50 + i, 70 + i], [1, 1])).ToList();

        var plottables = Plots.Line("title", "ipc", "accuracy", series).GetPlottables().ToList();

        var lines = plottables.OfType<ScottPlot.Plottables.Scatter>().ToList();
        var bands = plottables.OfType<ScottPlot.Plottables.FillY>().ToList();
        Assert.AreEqual(6, lines.Count);
        Assert.AreEqual(6, bands.Count);
        Assert.AreEqual(6, lines.Select(l => l.Color.ToHex()).Distinct().Count(), "each line its own colour");
        for (var i = 0; i < 6; i++)
            Assert.AreEqual(lines[i].Color.WithAlpha(0.2).ToHex(), bands[i].FillStyle.Color.ToHex(), $"band {i} in its line's colour");
    }
}
