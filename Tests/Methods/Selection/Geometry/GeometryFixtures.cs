using Condensa.Memory;
using Condensa.Methods.Selection.Dynamics;
using Condensa.Methods.Selection.Geometry;
using static Condensa.Tests.Methods.Selection.Scores.ScoreFixtures;
using static TorchSharp.torch;

namespace Condensa.Tests.Methods.Selection.Geometry;

/// <summary>Hand-made dynamics, every geometric selector by name, and explicit last-layer gradients for brute force.</summary>
internal static class GeometryFixtures
{
    public static readonly string[] Names = ["herding", "kcenter", "facility-location", "graph-cut", "log-determinant", "craig", "gradmatch", "glister"];

    /// <summary><see cref="Names"/> as test data rows.</summary>
    public static IEnumerable<object[]> Selectors => Names.Select(n => new object[] { n });

    /// <summary>Runs <paramref name="name"/> on given dynamics; <paramref name="configure"/> may change its options.</summary>
    public static SelectedMemory Run(string name, MemoryRequest request, TrainingDynamics dynamics, Action<SelectionModelOptions>? configure = null)
    {
        T With<T>(T options) where T : SelectionModelOptions { configure?.Invoke(options); return options; }
        return name switch
        {
            "herding" => new HerdingSelector(With(new HerdingOptions())).Select(request, dynamics, default),
            "kcenter" => new KCenterSelector(With(new KCenterOptions())).Select(request, dynamics, default),
            "facility-location" => new FacilityLocationSelector(With(new FacilityLocationOptions())).Select(request, dynamics, default),
            "graph-cut" => new GraphCutSelector(With(new GraphCutOptions())).Select(request, dynamics, default),
            "log-determinant" => new LogDeterminantSelector(With(new LogDeterminantOptions())).Select(request, dynamics, default),
            "craig" => new CraigSelector(With(new CraigOptions())).Select(request, dynamics, default),
            "gradmatch" => new GradMatchSelector(With(new GradMatchOptions())).Select(request, dynamics, default),
            "glister" => new GlisterSelector(With(new GlisterOptions())).Select(request, dynamics, default),
            _ => throw new ArgumentException(name),
        };
    }

    /// <summary>Seeded final-checkpoint dynamics for the given labels: softmax of Gaussian logits, Gaussian d-dim embeddings.</summary>
    public static TrainingDynamics Random(long[] labels, int classes, int d, ulong seed, float scale = 2f) =>
        FinalOnly(RandomProbabilities(labels.Length, classes, seed, scale), RandomNormal(labels.Length, d, seed + 1), tensor(labels));

    /// <summary>Explicit last-layer gradients <c>kron(p_i − onehot(y_i), [1, h_i])</c>, one double[] of C·(d+1) per sample.</summary>
    public static double[][] ExplicitGradients(Tensor probabilities, Tensor embeddings, long[] labels)
    {
        var p = ToArray2D(probabilities);
        var h = ToArray2D(embeddings);
        int c = p.GetLength(1), d = h.GetLength(1);
        return labels.Select((y, i) =>
        {
            var g = new double[c * (d + 1)];
            for (int a = 0; a < c; a++)
                for (int t = 0; t <= d; t++)
                    g[a * (d + 1) + t] = (p[i, a] - (a == y ? 1 : 0)) * (t == 0 ? 1 : h[i, t - 1]);
            return g;
        }).ToArray();
    }

    public static double Dot(double[] a, double[] b) => a.Zip(b, (x, y) => x * y).Sum();

    public static double Distance(double[] a, double[] b) => Math.Sqrt(a.Zip(b, (x, y) => (x - y) * (x - y)).Sum());

    public static double[] Mean(IEnumerable<double[]> rows)
    {
        var list = rows.ToList();
        return Enumerable.Range(0, list[0].Length).Select(t => list.Average(r => r[t])).ToArray();
    }

    /// <summary>Row i of a tensor as doubles.</summary>
    public static double[][] Rows(Tensor t)
    {
        var a = ToArray2D(t);
        return Enumerable.Range(0, a.GetLength(0)).Select(i => Enumerable.Range(0, a.GetLength(1)).Select(j => a[i, j]).ToArray()).ToArray();
    }
}
