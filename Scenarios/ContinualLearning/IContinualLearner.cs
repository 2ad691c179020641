using Condensa.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Condensa.Scenarios.ContinualLearning;

/// <summary>A continual-learning strategy: learns one step at a time and reports the test of its model(s) on the seen classes.</summary>
internal interface IContinualLearner : IDisposable
{
    /// <param name="before">The memory before the step (old classes only).</param>
    /// <param name="after">The memory after the step (old classes shrunk, new classes added).</param>
    /// <param name="seed">The step's seed; everything random in the step derives from it.</param>
    /// <returns>Per model trained, its evaluation on each of <see cref="ContinualStep.Tests"/>.</returns>
    EvalResult[][] Learn(ContinualStep step, ContinualMemory before, ContinualMemory after, long seed, CancellationToken cancellationToken);

    /// <summary>Saves what the next step needs (files named from <paramref name="pathPrefix"/>).</summary>
    void Save(string pathPrefix);

    /// <summary>Loads what <see cref="Save"/> wrote, to continue after that step.</summary>
    void Restore(string pathPrefix);

    public static IContinualLearner Create(ContinualStrategy strategy, ContinualOptions options, LearnerSetup setup) => strategy switch
    {
        ContinualStrategy.Gdumb => new GdumbLearner(options.Gdumb, setup),
        ContinualStrategy.Eeil => new EeilLearner(options.Eeil, setup),
        _ => throw new ArgumentOutOfRangeException(nameof(strategy), strategy, null),
    };
}
