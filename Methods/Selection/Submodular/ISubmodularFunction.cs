using static TorchSharp.torch;

namespace Condensa.Methods.Selection.Submodular;

/// <summary>
/// A submodular set function f on the ground set V = {0..Count−1} together with the selection S built so far
/// (initially empty). An instance serves one greedy run; it owns its state tensors.
/// </summary>
public interface ISubmodularFunction : IDisposable
{
    long Count { get; }

    /// <summary>
    /// The marginal gains <c>f(S ∪ {x}) − f(S)</c> for a batch of candidates x ∉ S (an int64 vector), as a vector
    /// of the same length. Does not change S.
    /// </summary>
    Tensor MarginalGains(Tensor candidates);

    /// <summary>Adds <paramref name="index"/> to S and updates the state the gains are computed from.</summary>
    void Add(long index);
}
