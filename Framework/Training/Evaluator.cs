using Condensa.Data;
using Condensa.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Condensa.Training;

/// <summary>Test metrics: accuracy (fraction), per-class accuracy, confusion matrix (rows true class, columns predicted), mean loss.</summary>
public sealed record EvalResult(double Accuracy, double[] PerClassAccuracy, long[][] Confusion, double Loss, int Count);

public static class Evaluator
{
    /// <summary>
    /// Evaluates without building an autograd graph, in eval mode (restored afterwards), in the number format the model
    /// holds, or in bfloat16 when <paramref name="precision"/> says so for a float32 model (its float32 values are kept).
    /// </summary>
    public static EvalResult Evaluate(ClassifierModel model, LabeledDataset data, int batchSize = 1000, Precision precision = Precision.Float32)
    {
        int k = data.NumClasses;
        bool wasTraining = model.training;
        var device = model.parameters().First().device;
        using var bfloat16 = model.parameters().First().dtype == ScalarType.Float32 && precision.IsBFloat16(device) ? new BFloat16Compute(model, keepBuffers: false) : null;
        var dtype = model.parameters().First().dtype;
        model.eval();
        try
        {
            using var scope = NewDisposeScope();
            using var _ = inference_mode();
            var confusion = zeros(k * k, ScalarType.Int64);
            double lossSum = 0;
            for (long start = 0; start < data.Count; start += batchSize)
            {
                using var step = NewDisposeScope();
                long n = Math.Min(batchSize, data.Count - start);
                var x = data.Images.narrow(0, start, n).to(device).to(dtype);
                var y = data.Labels.narrow(0, start, n).to(device);
                var logits = model.call(x).to(ScalarType.Float32);
                lossSum += nn.functional.cross_entropy(logits, y, reduction: nn.Reduction.Sum).item<float>();
                var pred = logits.argmax(1);
                confusion.add_(bincount(y * k + pred, minlength: k * k).cpu());
            }
            var m = confusion.data<long>().ToArray();
            var rows = Enumerable.Range(0, k).Select(r => m.AsSpan(r * k, k).ToArray()).ToArray();
            long correct = 0, total = 0;
            var perClass = new double[k];
            for (int c = 0; c < k; c++)
            {
                long rowTotal = rows[c].Sum();
                perClass[c] = rowTotal == 0 ? double.NaN : (double)rows[c][c] / rowTotal;
                correct += rows[c][c];
                total += rowTotal;
            }
            return new EvalResult(total == 0 ? double.NaN : (double)correct / total, perClass, rows, data.Count == 0 ? double.NaN : lossSum / data.Count, data.Count);
        }
        finally
        {
            model.train(wasTraining);
        }
    }
}
