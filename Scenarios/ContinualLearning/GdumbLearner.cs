using Condensa.Memory;
using Condensa.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Condensa.Scenarios.ContinualLearning;

/// <summary>
/// GDumb as the DM paper runs it (CL_DM.py): after every step, <c>models</c> freshly initialized networks are trained
/// from scratch on the whole memory alone (evaluate_synset), and each is tested on the seen classes. Nothing carries
/// over between steps but the memory, so the accuracy measures the memory. Departures: initialization is seeded
/// (CL_DM.py seeds it from the clock); no cutmix (GDumb's own code; the DM paper replaces it with DSA); a weighted
/// coreset's sample weights are not used, since they lose their meaning once a class is cut to a smaller share.
/// </summary>
internal sealed class GdumbLearner(GdumbOptions options, LearnerSetup setup) : IContinualLearner
{
    public EvalResult[][] Learn(ContinualStep step, ContinualMemory before, ContinualMemory after, long seed, CancellationToken cancellationToken)
    {
        using var memory = after.Materialize(setup.DatasetName)
            ?? throw new CondensaException($"gdumb: the memory is empty after step {step.Index}; give memory.per_class or memory.total above the number of classes");
        return Enumerable.Range(0, options.Models)
            .Select(i => MemoryEvaluation.TrainAndTest(memory, null, setup.Arch, options.Train, step.Tests, Seeds.Derive(seed, "model", i), setup.Device, cancellationToken, setup.Progress))
            .ToArray();
    }

    public void Save(string pathPrefix) { }

    public void Restore(string pathPrefix) { }

    public void Dispose() { }
}
