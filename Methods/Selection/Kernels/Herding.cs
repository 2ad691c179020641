using TorchSharp;
using static TorchSharp.torch;

namespace Condensa.Methods.Selection.Kernels;

/// <summary>
/// The picks of herding in order, and after the t-th pick the running-mean error
/// <c>‖μ − (1/t) Σ_{j≤t} x_{p_j}‖</c> that herding drives down.
/// </summary>
public sealed record HerdingResult(long[] Order, double[] MeanError);

/// <summary>
/// Herding (Welling 2009; the exemplar selection of iCaRL): with μ the mean of all rows, pick
/// <c>p_{t+1} = argmin_{x ∉ S} ‖(t+1)·μ − (Σ_{j∈S} x_j + x)‖</c> on Euclidean distance, without replacement,
/// so that the mean of the picks follows μ as closely as possible at every prefix.
/// Departure from DeepCore (herding.py): DeepCore takes the <b>argmax</b> of this distance, the opposite of the
/// paper; this is the paper's argmin. iCaRL L2-normalizes the embeddings
/// first: pass <see cref="Pairwise.L2Normalize"/>d features for that variant.
/// </summary>
public static class Herding
{
    /// <summary>Herds <paramref name="k"/> rows of <paramref name="features"/> (n x d). Cost: one n x d product per pick.</summary>
    public static HerdingResult Select(Tensor features, int k)
    {
        Check(features, k);
        using var scope = NewDisposeScope();
        var mean = features.mean([0]);
        var squaredNorms = Pairwise.SquaredNorms(features);
        var pickedSum = zeros_like(mean);
        var order = new long[k];
        for (var t = 0; t < k; t++)
        {
            using var step = NewDisposeScope();
            var target = mean * (t + 1) - pickedSum;
            var distance = Pairwise.SquaredEuclidean(target.unsqueeze(0), features, squaredNorms).squeeze(0);
            if (t > 0) distance.index_fill_(0, tensor(order[..t], device: features.device), double.PositiveInfinity);
            order[t] = distance.argmin().item<long>();
            pickedSum.add_(features.select(0, order[t]));
        }
        return new HerdingResult(order, MeanErrors(features, mean, order));
    }

    /// <summary>
    /// The <paramref name="k"/> rows nearest the mean μ, nearest first: herding's first pick repeated without the
    /// running-mean correction (Avalanche's closest-to-center exemplar selection). One n x d pass.
    /// </summary>
    public static HerdingResult ClosestToCenter(Tensor features, int k)
    {
        Check(features, k);
        using var scope = NewDisposeScope();
        var mean = features.mean([0]);
        var order = (features - mean).square().sum(1).argsort().narrow(0, 0, k).cpu().data<long>().ToArray();
        return new HerdingResult(order, MeanErrors(features, mean, order));
    }

    private static void Check(Tensor features, int k)
    {
        if (features.dim() != 2) throw new ArgumentException($"features must be n x d, got shape [{string.Join(", ", features.shape)}]");
        SelectionSize.Check("herding", k, features.shape[0]);
    }

    /// <summary><c>‖μ − (1/t) Σ_{j≤t} x_{p_j}‖</c> for every prefix t of <paramref name="order"/>.</summary>
    private static double[] MeanErrors(Tensor features, Tensor mean, long[] order)
    {
        using var scope = NewDisposeScope();
        var picked = features.index_select(0, tensor(order, device: features.device));
        var prefixMeans = picked.cumsum(0) / arange(1, order.Length + 1, dtype: features.dtype, device: features.device).unsqueeze(1);
        return (prefixMeans - mean).square().sum(1).sqrt().to_type(ScalarType.Float64).cpu().data<double>().ToArray();
    }
}
