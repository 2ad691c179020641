using Condensa.Methods.Selection.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace Condensa.Methods.Selection.Submodular;

/// <summary>
/// Graph cut <c>f(S) = Σ_{i∈V, j∈S} s_ij − λ Σ_{i,j∈S} s_ij</c> (Iyer et al.), the representativeness term minus
/// λ times the redundancy inside S. Gain <c>f(S ∪ {x}) − f(S) = Σ_{i∈V} s_ix − λ (2 Σ_{j∈S} s_jx + s_xx)</c>.
/// Submodular for every λ ≥ 0 and monotone for λ ≤ 0.5 (with s ≥ 0), hence the default 0.5, which keeps the
/// (1 − 1/e) guarantee of greedy. DeepCore's gain <c>λ_D Σ_{i∈V} s_ix − 2 Σ_{j∈S} s_jx</c> with λ_D = 1 is this
/// function with λ = 1/λ_D = 1 up to the s_xx term (constant 1 under the cosine kernel, so it never changes a pick).
/// </summary>
public sealed class GraphCut : ISubmodularFunction
{
    public const double DefaultLambda = 0.5;

    private readonly ISimilarity _similarity;
    private readonly double _lambda;
    private readonly Tensor _columnSums;
    private readonly Tensor _diagonal;
    private readonly Tensor _selectedSums;

    public GraphCut(ISimilarity similarity, double lambda = DefaultLambda)
    {
        if (!(lambda >= 0)) throw new ArgumentOutOfRangeException(nameof(lambda), lambda, "graph cut needs λ ≥ 0");
        _similarity = similarity;
        _lambda = lambda;
        _columnSums = ColumnSums(similarity).DetachFromDisposeScope();
        _diagonal = similarity.Diagonal().DetachFromDisposeScope();
        _selectedSums = zeros(similarity.Count, dtype: similarity.DType, device: similarity.Device).DetachFromDisposeScope();
    }

    public long Count => _similarity.Count;

    public Tensor MarginalGains(Tensor candidates)
    {
        using var scope = NewDisposeScope();
        var c = candidates.to(_similarity.Device);
        var redundancy = _selectedSums.index_select(0, c).mul(2).add_(_diagonal.index_select(0, c));
        return (_columnSums.index_select(0, c) - _lambda * redundancy).MoveToOuterDisposeScope();
    }

    public void Add(long index)
    {
        using var scope = NewDisposeScope();
        _selectedSums.add_(_similarity.Rows(tensor(new[] { index })).squeeze(0));
    }

    public void Dispose()
    {
        _columnSums.Dispose();
        _diagonal.Dispose();
        _selectedSums.Dispose();
    }

    /// <summary><c>Σ_{i∈V} s_ix</c> for every x, as row sums (s is symmetric) over blocks of rows.</summary>
    private static Tensor ColumnSums(ISimilarity similarity)
    {
        var n = similarity.Count;
        var rows = Math.Max(1, Pairwise.DefaultBlockElements / n);
        using var scope = NewDisposeScope();
        var parts = new List<Tensor>();
        for (long start = 0; start < n; start += rows)
        {
            using var block = NewDisposeScope();
            parts.Add(similarity.Rows(arange(start, Math.Min(n, start + rows), dtype: ScalarType.Int64)).sum(1).MoveToOuterDisposeScope());
        }
        return cat(parts, 0).MoveToOuterDisposeScope();
    }
}
