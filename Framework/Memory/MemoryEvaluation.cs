using Condensa.Data;
using Condensa.Models;
using Condensa.Training;
using TorchSharp;
using Condensa.Runtime;

namespace Condensa.Memory;

/// <summary>
/// The DC papers' evaluation of a memory (<c>evaluate_synset</c>): a freshly initialized model trained on the memory
/// alone (with its per-sample weights, if any), then tested. The one train-and-test of compare's evaluations, GDumb's
/// models and the architecture search's candidates.
/// </summary>
public static class MemoryEvaluation
{
    /// <summary>
    /// Trains one fresh <paramref name="arch"/> model on <paramref name="train"/> and tests it on each of
    /// <paramref name="tests"/>, in order. <paramref name="seed"/> seeds the model's initialization and the shuffling
    /// (and augmentation), so a model is defined by its seed, whichever process trains it.
    /// </summary>
    public static EvalResult[] TrainAndTest(LabeledDataset train, float[]? weights, ArchitectureSpec arch, TrainOptions options,
        IReadOnlyList<LabeledDataset> tests, long seed, torch.Device device, CancellationToken cancellationToken, IProgressSink? progress = null)
    {
        using var model = ModelFactory.Create(arch, train.Shape, train.NumClasses, seed);
        model.to(device);
        new Trainer(options).Train(model, train, seed, cancellationToken, weights, progress: progress);
        return tests.Select(t => Evaluator.Evaluate(model, t, precision: options.Precision)).ToArray();
    }

    /// <summary>Mean and population standard deviation (the reference code's np.std).</summary>
    public static (double Mean, double Std) MeanStd(IReadOnlyCollection<double> xs)
    {
        if (xs.Count == 0) return (double.NaN, double.NaN);
        double mean = xs.Average();
        return (mean, Math.Sqrt(xs.Sum(x => (x - mean) * (x - mean)) / xs.Count));
    }
}
