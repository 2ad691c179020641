using Condensa.Memory;
using static TorchSharp.torch;

namespace Condensa.Methods.Selection.Scores;

/// <summary>
/// A selector that ranks samples by one score each (EL2N, forgetting, GraNd, uncertainty, ...): what coverage-aware
/// selection (<c>ccs</c>, <c>d2</c>) reads as the samples' difficulty, with the end the selector keeps as the difficult one.
/// </summary>
public interface IScoreSelector
{
    /// <summary>Which end of the ranking the selector keeps: its difficult end.</summary>
    Rank Rank { get; }

    /// <summary>One score per sample of the request's source (entries outside the target classes are meaningless).</summary>
    Tensor Scores(MemoryRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// Difficulty per source sample, higher = harder, from <paramref name="selector"/>'s scores (negated when it keeps the
    /// lowest), on the CPU as float32.
    /// </summary>
    static float[] Difficulty(IScoreSelector selector, MemoryRequest request, CancellationToken cancellationToken)
    {
        using var scope = NewDisposeScope();
        var s = selector.Scores(request, cancellationToken).detach().cpu().to_type(ScalarType.Float32);
        return (selector.Rank == Rank.Highest ? s : -s).data<float>().ToArray();
    }

    /// <summary>The score selector of <paramref name="spec"/>, or an error naming the key that asked for it.</summary>
    static IScoreSelector Of(MemoryBuilderRegistry registry, Config.MethodSpec spec, string who) =>
        registry.Create(spec) as IScoreSelector
        ?? throw new CondensaException($"{who}: '{spec.Name}' is not a score-based selector",
            $"give one of: {string.Join(", ", registry.All.Where(r => r.Kind == "selector" && registry.Create(r.Name) is IScoreSelector).Select(r => r.Name))}");
}
