using TorchSharp;
using static TorchSharp.torch;

namespace Condensa.Methods.Selection.Kernels;

/// <summary>
/// The new centers of k-center greedy in order, and after each pick the covering radius
/// <c>max_i min_{c ∈ centers} ‖x_i − x_c‖</c> (centers include the already-selected points).
/// </summary>
public sealed record KCenterResult(long[] Order, double[] CoveringRadius);

/// <summary>
/// K-center greedy (Sener and Savarese 2018, the 2-approximation of the minimax facility location problem):
/// repeatedly add the point farthest (Euclidean) from its nearest center. Only the running vector of
/// min-distances is kept, updated by one batched 1 x n distance per pick: O(n·d) time per pick, O(n) memory
/// (DeepCore's kcentergreedy.py allocates a k x n matrix for the same thing).
/// Without already-selected points the first center is the point nearest the mean (the thesis' setting;
/// DeepCore draws it at random), unless <c>start</c> names it.
/// </summary>
public static class KCenterGreedy
{
    /// <summary>
    /// Picks <paramref name="k"/> new centers among the rows of <paramref name="features"/> (n x d), none of them in
    /// <paramref name="alreadySelected"/> (existing centers, e.g. a continual-learning memory). The first new center
    /// is <paramref name="start"/> when given, else the point nearest the mean when there are no existing centers,
    /// else the farthest point as usual.
    /// </summary>
    public static KCenterResult Select(Tensor features, int k, long[]? alreadySelected = null, long? start = null)
    {
        if (features.dim() != 2) throw new ArgumentException($"features must be n x d, got shape [{string.Join(", ", features.shape)}]");
        var n = features.shape[0];
        var existing = (alreadySelected ?? []).Distinct().ToArray();
        if (existing.Any(i => i < 0 || i >= n)) throw new ArgumentException($"already-selected indices must lie in 0..{n - 1}");
        if (start is { } s && (s < 0 || s >= n || existing.Contains(s)))
            throw new ArgumentException($"start {s} must lie in 0..{n - 1} and not be already selected");
        SelectionSize.Check("k-center greedy", k, n - existing.Length);

        using var scope = NewDisposeScope();
        var squaredNorms = Pairwise.SquaredNorms(features);
        // minDistance[i] = squared distance from i to its nearest center; −∞ marks centers so argmax never re-picks one.
        Tensor minDistance;
        if (existing.Length == 0)
            minDistance = full(n, double.PositiveInfinity, dtype: features.dtype, device: features.device);
        else
        {
            var existingRows = tensor(existing, device: features.device);
            var centers = features.index_select(0, existingRows);
            minDistance = Pairwise.ReduceRowBlocks(features, centers, (a, b) => Pairwise.SquaredEuclidean(a, b), block => block.min(1).values);
            minDistance.index_fill_(0, existingRows, double.NegativeInfinity);
        }
        var first = start ?? (existing.Length == 0 ? Pairwise.NearestToMean(features) : (long?)null);
        var (order, _, radius) = Greedy(minDistance, k, first,
            center => Pairwise.SquaredEuclidean(features.select(0, center).unsqueeze(0), features, squaredNorms).squeeze(0));
        return new KCenterResult(order, radius.Select(r => Math.Sqrt(Math.Max(0, r))).ToArray());
    }

    /// <summary>
    /// The greedy loop for any distance: k times, the point farthest from its nearest center (or <paramref name="first"/>
    /// at the first pick) becomes a center, and every point's nearest-center distance is lowered by its distance to it
    /// (<paramref name="distanceTo"/>: every point's distance to point c). <paramref name="minDistance"/> (n, updated in
    /// place) starts at +∞, or at the distances to existing centers, which hold −∞ so they are never picked. Returns the
    /// picks, each pick's distance to the earlier centers, and the covering radius (the largest nearest-center distance) after it.
    /// </summary>
    public static (long[] Order, double[] PickDistance, double[] RadiusAfter) Greedy(Tensor minDistance, int k, long? first, Func<long, Tensor> distanceTo)
    {
        var order = new long[k];
        var pick = new double[k];
        var radius = new double[k];
        for (var t = 0; t < k; t++)
        {
            using var step = NewDisposeScope();
            var center = t == 0 && first is { } f ? f : minDistance.argmax().item<long>();
            pick[t] = minDistance[center].to_type(ScalarType.Float64).item<double>();
            minDistance.copy_(minimum(minDistance, distanceTo(center))).index_fill_(0, tensor(new[] { center }, device: minDistance.device), double.NegativeInfinity);
            order[t] = center;
            radius[t] = minDistance.max().to_type(ScalarType.Float64).item<double>();
        }
        return (order, pick, radius);
    }
}
