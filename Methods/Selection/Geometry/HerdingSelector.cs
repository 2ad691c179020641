using Condensa.Memory;
using Condensa.Methods.Selection.Dynamics;
using Condensa.Methods.Selection.Kernels;
using static TorchSharp.torch;

namespace Condensa.Methods.Selection.Geometry;

/// <summary>Options of <c>herding</c>: the selection model's, and whether the embeddings are L2-normalized first.</summary>
public sealed class HerdingOptions : SelectionModelOptions
{
    /// <summary>
    /// Herd on L2-normalized embeddings (iCaRL, the default) or on the raw ones (the DC papers' "l_2 distance to centers"
    /// on the features of a trained model, and DeepCore).
    /// </summary>
    public bool Normalize { get; set; } = true;
}

/// <summary>
/// Herding (Welling 2009) as iCaRL's exemplar selection (Rebuffi et al. 2017): per class, on the (by default L2-normalized)
/// embeddings of the selection model after its last epoch, pick <c>argmin_x ‖(t+1)·μ − Σ_{S} x_j − x‖</c> until the budget
/// is spent (<see cref="Herding"/>). Departures from DeepCore's <c>herding.py</c>: argmin (the paper; DeepCore takes the
/// argmax, §1.8 #1), normalized embeddings by default (iCaRL; <c>normalize: false</c> herds the raw ones as DeepCore and
/// the DC papers) of the run's selection model (DeepCore
/// always trains a ResNet-18). An unbalanced budget herds all target samples together. Each pick's score is the
/// running-mean error after it.
/// </summary>
public sealed class HerdingSelector(HerdingOptions options) : GeometrySelector<HerdingOptions>(options)
{
    protected override string Name => "herding";

    internal override DynamicsView Prepare(TrainingDynamics dynamics) => DynamicsView.Embedding(dynamics);

    internal override PoolSelection SelectFrom(DynamicsView view, Tensor pool, int k, MemoryRequest request, long seed)
    {
        var embeddings = view.Embeddings.index_select(0, pool);
        var result = Herding.Select(Options.Normalize ? Pairwise.L2Normalize(embeddings) : embeddings, k);
        return new PoolSelection(result.Order, result.MeanError.Select(e => (float)e).ToArray());
    }
}
