using Condensa.Memory;
using Condensa.Methods.Selection.Dynamics;
using Condensa.Methods.Selection.Kernels;
using static TorchSharp.torch;

namespace Condensa.Methods.Selection.Geometry;

/// <summary>Options of <c>moderate</c>: only the selection model's.</summary>
public sealed class ModerateOptions : SelectionModelOptions;

/// <summary>
/// Moderate coreset (Xia et al., ICLR 2023, "Moderate Coreset: A Universal Method of Data Selection for Real-world
/// Data-efficient Deep Learning"): in the selection model's embedding, each sample's Euclidean distance to its class
/// centre, and the samples whose distance ranks nearest the median distance are kept, neither the easy core nor the
/// hard fringe. As the authors' code, the centre is the coordinate-wise median of the class's embeddings and the kept
/// samples are the band of k ranks around the median rank; picks come in order of closeness to the median rank. A
/// balanced budget keeps a band per class; an unbalanced one ranks all target samples together (the authors' global
/// selection). Each pick's score is its distance.
/// </summary>
public sealed class ModerateSelector(ModerateOptions options) : GeometrySelector<ModerateOptions>(options)
{
    internal override DynamicsView Prepare(TrainingDynamics dynamics) => DynamicsView.Embedding(dynamics);

    internal override PoolSelection SelectFrom(DynamicsView view, Tensor pool, int k, MemoryRequest request, long seed)
    {
        using var scope = NewDisposeScope();
        var embeddings = view.Embeddings.index_select(0, pool);
        var labels = view.Labels.index_select(0, pool);
        var distances = zeros(pool.shape[0]);
        foreach (var c in labels.unique().Item1.data<long>().ToArray())
        {
            var members = labels.eq(c).nonzero().squeeze(1);
            var own = embeddings.index_select(0, members);
            var centre = own.quantile(tensor(0.5f), dim: 0);   // numpy's median (the authors'): the middle two averaged
            distances.index_copy_(0, members, (own - centre).norm(1));
        }
        var d = distances.data<float>().ToArray();
        return Band(d, k);
    }

    /// <summary>The k positions whose distance ranks nearest the median rank, nearest first (ties by position), with their distances.</summary>
    internal static PoolSelection Band(float[] distances, int k)
    {
        int n = distances.Length;
        var byDistance = Enumerable.Range(0, n).OrderBy(i => distances[i]).ThenBy(i => i).ToArray();
        double middle = (n - 1) / 2.0;
        var order = Enumerable.Range(0, n).OrderBy(r => Math.Abs(r - middle)).ThenBy(r => r).Take(k).Select(r => byDistance[r]).ToArray();
        return new PoolSelection(order.Select(i => (long)i).ToArray(), order.Select(i => distances[i]).ToArray());
    }
}
