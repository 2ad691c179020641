using Condensa.Data;
using Condensa.Models;
using Condensa.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Condensa.Scenarios.ContinualLearning;

/// <summary>
/// One step of a stream (<see cref="ContinualStream"/>): its 1-based index, the classes it brings, the class groups of
/// every step so far (the last is <see cref="Classes"/>), the step's training data, the test set of every step so far
/// (one accuracy-matrix column each), and the memory's per-class share after the step.
/// </summary>
internal sealed record ContinualStep(int Index, int[] Classes, IReadOnlyList<int[]> Groups, LabeledDataset Train, IReadOnlyList<LabeledDataset> Tests, int MemoryShare)
{
    /// <summary>The classes seen so far (each once).</summary>
    public int[] Seen => Groups.SelectMany(g => g).Distinct().ToArray();

    /// <summary>The classes of the earlier steps (each once): in a domain stream every class from step 2 on.</summary>
    public int[] Old => Groups.Take(Groups.Count - 1).SelectMany(g => g).Distinct().ToArray();

    /// <summary>The model's accuracy on the test set of every step so far.</summary>
    public EvalResult[] Test(ClassifierModel model, Precision precision) => Tests.Select(t => Evaluator.Evaluate(model, t, precision: precision)).ToArray();
}
