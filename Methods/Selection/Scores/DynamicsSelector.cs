using Condensa.Memory;
using Condensa.Methods.Selection.Dynamics;
using static TorchSharp.torch;

namespace Condensa.Methods.Selection.Scores;

/// <summary>
/// A selector that scores every sample from the selection model's recorded <see cref="TrainingDynamics"/> (shared by all
/// selectors of a run with equal selection-model options) and keeps the best-ranked ones per class, or overall when the
/// budget is unbalanced (<see cref="ScoreRanking"/>).
/// </summary>
public abstract class DynamicsSelector<TOptions>(TOptions options) : IMemoryBuilder, IScoreSelector where TOptions : SelectionModelOptions
{
    public TOptions Options { get; } = options;

    /// <summary>Which end of the ranking the memory keeps.</summary>
    public abstract Rank Rank { get; }

    /// <summary>Epochs (1-based) after which the recording keeps an eval-mode checkpoint, besides the last one.</summary>
    protected virtual IReadOnlyCollection<int>? CheckpointEpochs => null;

    /// <summary>Whether the budget is spent per class: the request's budget decides unless a method overrides it.</summary>
    protected virtual bool Balanced(MemoryRequest request) => request.Budget.Balanced;

    public virtual MemorySet Build(MemoryRequest request, CancellationToken cancellationToken) =>
        Select(request, TrainingDynamics.For(request, Options, CheckpointEpochs, cancellationToken), cancellationToken);

    /// <summary>The memory from given dynamics (the builder's path after recording; tests pass hand-made dynamics).</summary>
    internal SelectedMemory Select(MemoryRequest request, TrainingDynamics dynamics, CancellationToken cancellationToken)
    {
        using var scope = NewDisposeScope();
        return ScoreRanking.Select(request, Score(request, dynamics, cancellationToken), Rank, Balanced(request));
    }

    /// <summary>The scores of the request's source, from its recorded dynamics (recorded once, as <see cref="Build"/> does).</summary>
    public Tensor Scores(MemoryRequest request, CancellationToken cancellationToken) =>
        Score(request, TrainingDynamics.For(request, Options, CheckpointEpochs, cancellationToken), cancellationToken);

    /// <summary>One score per source sample (N); entries outside the target classes are ignored.</summary>
    internal abstract Tensor Score(MemoryRequest request, TrainingDynamics dynamics, CancellationToken cancellationToken);
}
