using Condensa.Data;
using Condensa.Models;
using Condensa.Training;
using TorchSharp;

namespace Condensa.Memory;

/// <summary>
/// The DC papers' evaluation of a memory (<c>evaluate_synset</c>): train N freshly initialized models on the memory
/// alone (with its per-sample weights, if any) and test each on the real test set. Shared by compare, continual
/// (GDumb) and architecture search.
/// </summary>
public static class MemoryEvaluation
{
    /// <summary>Test accuracies (fractions) of <paramref name="models"/> fresh models trained on <paramref name="memory"/>.</summary>
    /// <param name="seed">Seeds model i's initialization and shuffling as <c>Derive(seed, "model", i)</c>.</param>
    public static double[] TrainAndTest(LabeledDataset memory, float[]? weights, ArchitectureSpec arch, TrainOptions options, LabeledDataset test,
        int models, long seed, torch.Device device, CancellationToken cancellationToken, IProgressSink? progress = null)
    {
        var accuracies = new double[models];
        var trainer = new Trainer(options, memory.Name);
        for (int i = 0; i < models; i++)
        {
            long s = Seeds.Derive(seed, "model", i);
            using var model = ModelFactory.Create(arch, memory.Shape, memory.NumClasses, s);
            model.to(device);
            trainer.Train(model, memory, s, cancellationToken, weights, progress: progress);
            accuracies[i] = Evaluator.Evaluate(model, test).Accuracy;
        }
        return accuracies;
    }

    /// <summary>Mean and population standard deviation (the reference code's np.std).</summary>
    public static (double Mean, double Std) MeanStd(IReadOnlyCollection<double> xs)
    {
        if (xs.Count == 0) return (double.NaN, double.NaN);
        double mean = xs.Average();
        return (mean, Math.Sqrt(xs.Sum(x => (x - mean) * (x - mean)) / xs.Count));
    }
}
