using TorchSharp;
using static TorchSharp.torch;

namespace Condensa.Methods.Selection.Submodular;

/// <summary>
/// Facility location <c>f(S) = Σ_{i∈V} max_{j∈S} s_ij</c> (f(∅) = 0; needs s ≥ 0, as <c>0.5 + 0.5·cos</c> is).
/// Gain <c>f(S ∪ {x}) − f(S) = Σ_i max(0, s_ix − m_i)</c> with <c>m_i = max_{j∈S} s_ij</c> kept as state.
/// DeepCore's batched gain (<c>calc_gain_batch</c>) skips most row batches (its loop multiplies by the batch size an
/// index that is already a multiple of it); here every row enters every gain.
/// </summary>
public sealed class FacilityLocation : ISubmodularFunction
{
    private readonly ISimilarity _similarity;
    private readonly Tensor _nearest;

    public FacilityLocation(ISimilarity similarity)
    {
        _similarity = similarity;
        _nearest = zeros(similarity.Count, dtype: similarity.DType, device: similarity.Device).DetachFromDisposeScope();
    }

    public long Count => _similarity.Count;

    public Tensor MarginalGains(Tensor candidates)
    {
        using var scope = NewDisposeScope();
        return (_similarity.Rows(candidates) - _nearest.unsqueeze(0)).clamp_min_(0).sum(1).MoveToOuterDisposeScope();
    }

    public void Add(long index)
    {
        using var scope = NewDisposeScope();
        _nearest.copy_(maximum(_nearest, _similarity.Rows(tensor(new[] { index })).squeeze(0)));
    }

    public void Dispose() => _nearest.Dispose();
}
