using Condensa.Memory;
using Condensa.Methods.Selection.Dynamics;
using Condensa.Methods.Selection.Kernels;
using static TorchSharp.torch;

namespace Condensa.Methods.Selection.Geometry;

/// <summary>Options of <c>kcenter</c>: only the selection model's.</summary>
public sealed class KCenterOptions : SelectionModelOptions;

/// <summary>
/// K-center greedy (Sener and Savarese 2018; DeepCore <c>kcentergreedy.py</c>): per class, on the selection model's
/// embeddings after its last epoch (Euclidean), start at the point nearest the class mean (the thesis' setting; DeepCore
/// starts at random) and repeatedly add the point farthest from its nearest center (<see cref="KCenterGreedy"/>).
/// Departure: DeepCore embeds by default with an ImageNet-pretrained ResNet-18 at 224 px; no pretrained weights can be
/// downloaded here, so the run's selection model embeds instead. An unbalanced budget runs on all target
/// samples together. Each pick's score is the covering radius after it.
/// </summary>
public sealed class KCenterSelector(KCenterOptions options) : GeometrySelector<KCenterOptions>(options)
{

    internal override DynamicsView Prepare(TrainingDynamics dynamics) => DynamicsView.Embedding(dynamics);

    internal override PoolSelection SelectFrom(DynamicsView view, Tensor pool, int k, MemoryRequest request, long seed)
    {
        var result = KCenterGreedy.Select(view.Embeddings.index_select(0, pool), k);
        return new PoolSelection(result.Order, result.CoveringRadius.Select(r => (float)r).ToArray());
    }
}
