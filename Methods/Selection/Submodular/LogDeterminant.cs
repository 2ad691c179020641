using TorchSharp;
using static TorchSharp.torch;

namespace Condensa.Methods.Selection.Submodular;

/// <summary>
/// Log-determinant <c>f(S) = log det(S'_S)</c> with <c>S' = s + ridge·I</c> (the ridge keeps every principal minor
/// positive when points repeat). The true gain is the log of a Schur complement,
/// <c>f(S ∪ {x}) − f(S) = log(s'_xx − s'_Sxᵀ S'_S⁻¹ s'_Sx)</c>, maintained for every x by an incremental Cholesky
/// factorization (as in Chen et al. 2018, fast greedy MAP inference for DPPs): with <c>L Lᵀ = S'_S</c>, each point
/// keeps <c>c_x = L⁻¹ s'_Sx</c> and <c>d_x² = s'_xx − ‖c_x‖²</c>; adding j appends
/// <c>e_x = (s_jx − c_jᵀ c_x) / d_j</c> to every c_x and subtracts e_x² from d_x²: O(n·|S|) per addition.
/// Departure from DeepCore: its gain is <c>s'_Sxᵀ S'_S⁻¹ s'_Sx</c>, the term the Schur complement subtracts, so it
/// maximizes redundancy and picks index 0 first (with S empty every gain is 0).
/// Needs a positive semi-definite s (<c>0.5 + 0.5·cos</c> is); d_x² is then at least the ridge exactly, and is
/// clamped there against rounding.
/// </summary>
public sealed class LogDeterminant : ISubmodularFunction
{
    public const double DefaultRidge = 1e-4;

    private readonly ISimilarity _similarity;
    private readonly double _ridge;
    private readonly Tensor _schur;
    private Tensor _factors;
    private int _added;

    public LogDeterminant(ISimilarity similarity, double ridge = DefaultRidge)
    {
        if (!(ridge > 0)) throw new ArgumentOutOfRangeException(nameof(ridge), ridge, "log-determinant needs a ridge > 0");
        _similarity = similarity;
        _ridge = ridge;
        _schur = similarity.Diagonal().add_(ridge).DetachFromDisposeScope();
        _factors = zeros(similarity.Count, 16, dtype: similarity.DType, device: similarity.Device).DetachFromDisposeScope();
    }

    public long Count => _similarity.Count;

    public Tensor MarginalGains(Tensor candidates)
    {
        using var scope = NewDisposeScope();
        return _schur.index_select(0, candidates.to(_similarity.Device)).clamp_min(_ridge).log().MoveToOuterDisposeScope();
    }

    public void Add(long index)
    {
        using var scope = NewDisposeScope();
        if (_added == _factors.shape[1]) Grow();
        var factors = _factors.narrow(1, 0, _added);
        var d = _schur[index].clamp_min(_ridge).sqrt();
        var e = (_similarity.Rows(tensor(new[] { index })).squeeze(0) - factors.matmul(factors[index])) / d;
        _factors.select(1, _added).copy_(e);
        _schur.sub_(e.square());
        _added++;
    }

    public void Dispose()
    {
        _schur.Dispose();
        _factors.Dispose();
    }

    /// <summary>Doubles the factor storage (amortized O(n) per addition). Call inside a dispose scope.</summary>
    private void Grow()
    {
        var grown = zeros(_factors.shape[0], 2 * _factors.shape[1], dtype: _factors.dtype, device: _factors.device).DetachFromDisposeScope();
        grown.narrow(1, 0, _added).copy_(_factors);
        _factors.Dispose();
        _factors = grown;
    }
}
