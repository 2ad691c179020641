namespace Condensa.Reporting;

/// <summary>Number formats shared by logs and tables.</summary>
public static class Format
{
    /// <summary>A fraction as a percentage with two decimals: 0.9123 → "91.23%".</summary>
    public static string Percent(double fraction) => double.IsNaN(fraction) ? "n/a" : $"{100 * fraction:0.00}%";

    /// <summary>Mean ± std of fractions in percent: "71.10 ± 0.70".</summary>
    public static string MeanStd(double mean, double std) => $"{100 * mean:0.00} ± {100 * std:0.00}";

    /// <summary>A byte count in kB (1,000 bytes) with one decimal: 7850 → "7.9 kB".</summary>
    public static string Kilobytes(double bytes) => double.IsNaN(bytes) ? "n/a" : $"{bytes / 1000:#,0.0} kB";
}
