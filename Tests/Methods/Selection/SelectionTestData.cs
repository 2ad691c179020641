using TorchSharp;
using static TorchSharp.torch;

namespace Condensa.Tests.Methods.Selection;

/// <summary>Small seeded inputs and plain-double reference computations for the selection tests.</summary>
internal static class SelectionTestData
{
    public static double[][] Points(int n, int d, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => Enumerable.Range(0, d).Select(_ => random.NextDouble() * 2 - 1).ToArray()).ToArray();
    }

    public static Tensor ToTensor(double[][] rows, ScalarType dtype = ScalarType.Float64) =>
        tensor(rows.SelectMany(r => r).ToArray(), [rows.Length, rows[0].Length]).to_type(dtype);

    public static double[,] ToArray(Tensor matrix)
    {
        var m = matrix.to_type(ScalarType.Float64);
        var values = m.data<double>().ToArray();
        var (rows, cols) = ((int)m.shape[0], (int)m.shape[1]);
        var result = new double[rows, cols];
        for (var i = 0; i < rows; i++)
            for (var j = 0; j < cols; j++)
                result[i, j] = values[i * cols + j];
        return result;
    }

    public static double[] ToDoubles(Tensor vector) => vector.to_type(ScalarType.Float64).data<double>().ToArray();

    public static double Dot(double[] a, double[] b) => a.Zip(b, (x, y) => x * y).Sum();

    public static double SquaredDistance(double[] a, double[] b) => a.Zip(b, (x, y) => (x - y) * (x - y)).Sum();

    public static double Cosine(double[] a, double[] b)
    {
        var norms = Math.Sqrt(Dot(a, a)) * Math.Sqrt(Dot(b, b));
        return norms == 0 ? 0 : Dot(a, b) / norms;
    }

    /// <summary>The submodular similarity 0.5 + 0.5·cos, by loops.</summary>
    public static double[,] Similarity(double[][] points)
    {
        var s = new double[points.Length, points.Length];
        for (var i = 0; i < points.Length; i++)
            for (var j = 0; j < points.Length; j++)
                s[i, j] = 0.5 + 0.5 * Cosine(points[i], points[j]);
        return s;
    }

    public static double[] Mean(IEnumerable<double[]> rows)
    {
        var list = rows.ToList();
        return Enumerable.Range(0, list[0].Length).Select(j => list.Average(r => r[j])).ToArray();
    }
}
