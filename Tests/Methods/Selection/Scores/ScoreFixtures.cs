using Condensa.Data;
using Condensa.Memory;
using Condensa.Methods.Selection.Dynamics;
using Condensa.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Condensa.Tests.Methods.Selection.Scores;

/// <summary>A linear classifier f(x) = W·flatten(x) + b with given weights: DeepFool's closed-form case.</summary>
internal sealed class LinearModel : ClassifierModel
{
    private readonly nn.Module<Tensor, Tensor> _classifier;

    public LinearModel(float[,] weight, float[] bias) : base("linear")
    {
        int c = weight.GetLength(0), d = weight.GetLength(1);
        var linear = nn.Linear(d, c);
        using (no_grad())
        {
            linear.weight!.copy_(tensor(weight));
            linear.bias!.copy_(tensor(bias));
        }
        _classifier = linear;
        EmbeddingSize = d;
        RegisterComponents();
        eval();
    }

    public override nn.Module<Tensor, Tensor> Classifier => _classifier;
    public override int EmbeddingSize { get; }
    public override Tensor Embed(Tensor x) => x.flatten(1);
}

internal static class ScoreFixtures
{
    /// <summary>A dataset with the given labels and 1x1x1 zero images (for ranking tests that never look at pixels).</summary>
    public static LabeledDataset Labels(params long[] labels) =>
        new("labels", zeros(labels.Length, 1, 1, 1), tensor(labels), Enumerable.Range(0, (int)labels.Max() + 1).Select(c => $"c{c}").ToArray(), Normalization.Identity(1));

    public static MemoryRequest Request(LabeledDataset source, Budget budget, int[]? classes = null, long seed = 0, IArtifactCache? cache = null) =>
        new() { Method = "test", Source = source, Budget = budget, Classes = classes, Seed = seed, Cache = cache ?? new InMemoryArtifactCache() };

    /// <summary>Hand-made dynamics: E x N x C probabilities, E x N correctness, N labels, and optional checkpoints.</summary>
    public static TrainingDynamics Dynamics(float[,,] probabilities, bool[,] correct, long[] labels, params Checkpoint[] checkpoints) =>
        TrainingDynamics.FromRecording(tensor(probabilities), tensor(correct), tensor(labels), checkpoints);

    /// <summary>Dynamics holding only a final checkpoint after epoch 1 (probabilities and embeddings), for selectors that read nothing else.</summary>
    public static TrainingDynamics FinalOnly(Tensor probabilities, Tensor embeddings, Tensor labels, ClassifierModel? model = null) =>
        TrainingDynamics.FromRecording(probabilities.unsqueeze(0), ones(1, probabilities.shape[0], ScalarType.Bool), labels,
            [new Checkpoint(1, embeddings, probabilities)], model);

    /// <summary>
    /// Three classes of 1x8x8 images: class c lights quadrant c (top-left, top-right, bottom-left) plus Gaussian noise,
    /// samples interleaved by class (label i mod 3).
    /// </summary>
    public static LabeledDataset Quadrants(int perClass, long seed)
    {
        using var scope = NewDisposeScope();
        using var g = new Generator((ulong)seed);
        int n = 3 * perClass;
        var labels = arange(n, ScalarType.Int64).remainder(3);
        var patterns = zeros(3, 1, 8, 8);
        for (int c = 0; c < 3; c++)
        {
            int top = c / 2 * 4, left = c % 2 * 4;
            patterns[c, .., top..(top + 4), left..(left + 4)] = 1;
        }
        var x = patterns.index_select(0, labels) + 0.5f * randn([n, 1, 8, 8], generator: g);
        return new LabeledDataset("quadrants", x, labels, ["tl", "tr", "bl"], Normalization.Identity(1));
    }

    /// <summary>Softmax of seeded Gaussian logits (n x c), scaled so outputs range from confident to flat.</summary>
    public static Tensor RandomProbabilities(int n, int c, ulong seed, float scale = 2f)
    {
        using var g = new Generator(seed);
        return (scale * randn([n, c], generator: g)).softmax(1);
    }

    public static Tensor RandomNormal(int n, int d, ulong seed)
    {
        using var g = new Generator(seed);
        return randn([n, d], generator: g);
    }

    public static double[,] ToArray2D(Tensor t)
    {
        var flat = t.to_type(ScalarType.Float64).contiguous().data<double>().ToArray();
        int rows = (int)t.shape[0], cols = (int)t.shape[1];
        var a = new double[rows, cols];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++)
                a[i, j] = flat[i * cols + j];
        return a;
    }

    public static void AreClose(double[] expected, float[] actual, double tolerance, string what)
    {
        Assert.HasCount(expected.Length, actual, what);
        for (int i = 0; i < expected.Length; i++)
            Assert.AreEqual(expected[i], actual[i], tolerance, $"{what}[{i}]");
    }

    public static float[] Floats(Tensor t) => t.to_type(ScalarType.Float32).contiguous().data<float>().ToArray();
}
