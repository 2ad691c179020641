using Condensa.Data;
using Condensa.Memory;
using Condensa.Models;
using Condensa.Training;
using TorchSharp;
using static TorchSharp.torch;
using Condensa.Runtime;

namespace Condensa.Scenarios.ContinualLearning;

/// <summary>
/// One step of a stream (<see cref="ContinualStream"/>): its 1-based index, the classes it brings, the class groups of
/// every step so far (the last is <see cref="Classes"/>), the step's training data, the test set of every step so far
/// (one accuracy-matrix column each), and the memory's per-class share after the step.
/// </summary>
public sealed record ContinualStep(int Index, int[] Classes, IReadOnlyList<int[]> Groups, LabeledDataset Train, IReadOnlyList<LabeledDataset> Tests, int MemoryShare)
{
    /// <summary>The classes seen so far (each once).</summary>
    public int[] Seen => Groups.SelectMany(g => g).Distinct().ToArray();

    /// <summary>The classes of the earlier steps (each once): in a domain stream every class from step 2 on.</summary>
    public int[] Old => Groups.Take(Groups.Count - 1).SelectMany(g => g).Distinct().ToArray();

    /// <summary>The model's accuracy on the test set of every step so far.</summary>
    public EvalResult[] Test(ClassifierModel model, Precision precision) => Tests.Select(t => Evaluator.Evaluate(model, t, precision: precision)).ToArray();
}

/// <summary>What every learner needs: the model to build (over the dataset's whole class space), where, and how to report.</summary>
public sealed record LearnerSetup(ArchitectureSpec Arch, ImageShape Shape, int NumClasses, string DatasetName, Device Device, IProgressSink Progress);

/// <summary>A continual-learning strategy: learns one step at a time and reports the test of its model(s) on the seen classes.</summary>
public interface IContinualLearner : IDisposable
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

/// <summary>
/// GDumb as the DM paper runs it (CL_DM.py): after every step, <c>models</c> freshly initialized networks are trained
/// from scratch on the whole memory alone (evaluate_synset), and each is tested on the seen classes. Nothing carries
/// over between steps but the memory, so the accuracy measures the memory. Departures: initialization is seeded
/// (CL_DM.py seeds it from the clock); no cutmix (GDumb's own code; the DM paper replaces it with DSA); a weighted
/// coreset's sample weights are not used, since they lose their meaning once a class is cut to a smaller share.
/// </summary>
public sealed class GdumbLearner(GdumbOptions options, LearnerSetup setup) : IContinualLearner
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

/// <summary>
/// EEIL, End-to-End Incremental Learning (Castro et al. 2018), as the thesis runs it: one model over the dataset's
/// whole class space carried from step to step. At step t it trains on the new data plus the memory with cross-entropy
/// and, from t = 2, λ·L_KD on the old classes' logits against a copy of the model after step t−1
/// (<see cref="KnowledgeDistillation"/>); then, from t = 2, it fine-tunes on a class-balanced set at the lower rate,
/// with the distillation chosen by <c>teacher</c>, <c>distill</c>, <c>kd_in_finetune</c> and <c>temporary_kd</c>. The memory is updated by the
/// scenario (the builder works on the new step's data alone, as in the thesis), so the training phase sees the memory
/// from before the step and the fine-tuning the updated one. Departures from Castro: a fixed output layer over all
/// classes (unseen classes' logits take part in the softmax and are pushed down, as in CL_DM.py's network) instead of a
/// growing one; constant rates per phase (the thesis gives one rate each) instead of Castro's step decay.
/// </summary>
public sealed class EeilLearner(EeilOptions options, LearnerSetup setup) : IContinualLearner
{
    private ClassifierModel? _model;

    public EvalResult[][] Learn(ContinualStep step, ContinualMemory before, ContinualMemory after, long seed, CancellationToken cancellationToken)
    {
        if (_model is null)
        {
            if (step.Index > 1) throw new InvalidOperationException($"eeil: step {step.Index} needs the model of step {step.Index - 1} (Restore)");
            _model = NewModel(Seeds.Derive(seed, "model"));
        }
        var old = step.Old;
        using var previous = options.Kd && old.Length > 0 ? Copy(_model) : null;
        using (var memory = before.Materialize(setup.DatasetName))
        using (var joined = memory is null ? null : LabeledDataset.Concat(setup.DatasetName, step.Train, memory))
        {
            var data = joined ?? step.Train;
            Train(data, options.Phase(options.Iterations, data.Count, options.Lr), Seeds.Derive(seed, "train"),
                previous is null ? [] : [(previous, old)], cancellationToken);
        }
        if (step.Index > 1 && options.FinetuneIterations > 0)
        {
            using var balanced = BalancedSet(step, before, after, Seeds.Derive(seed, "balanced"));
            if (balanced is not null)
            {
                bool distill = options.Kd && options.KdInFinetune, temporary = options.Kd && options.TemporaryKd;
                using var postTraining = (distill && options.Teacher == EeilTeacher.PostTraining) || temporary ? Copy(_model) : null;
                var terms = new List<(ClassifierModel Teacher, int[] Classes)>();
                if (distill) terms.Add((options.Teacher == EeilTeacher.PostTraining ? postTraining! : previous!, options.Distill == EeilDistill.OldClasses ? old : step.Seen));
                if (temporary) terms.Add((postTraining!, step.Classes));
                Train(balanced, options.Phase(options.FinetuneIterations, balanced.Count, options.Lr * options.FinetuneLrFactor),
                    Seeds.Derive(seed, "finetune"), terms, cancellationToken);
            }
        }
        return [step.Test(_model, options.Precision)];
    }

    /// <summary>The fine-tuning set (see <see cref="EeilBalance"/>), or null when it would be empty (no memory).</summary>
    private LabeledDataset? BalancedSet(ContinualStep step, ContinualMemory before, ContinualMemory after, long seed)
    {
        var name = setup.DatasetName;
        switch (options.Balanced)
        {
            case EeilBalance.Memory:
                return after.Materialize(name);
            case EeilBalance.PerClass:
            {
                if (step.MemoryShare == 0) return null;
                using var oldPart = after.Materialize(name, beforeStep: step.Index);
                using var newPart = DatasetSampling.SamplePerClass(step.Train, step.MemoryShare, seed);
                return oldPart is null ? LabeledDataset.Concat(name, newPart) : LabeledDataset.Concat(name, oldPart, newPart);
            }
            case EeilBalance.Total:
            {
                using var memory = before.Materialize(name);
                if (memory is null) return null;
                var picked = Shuffling.Permutation(step.Train.Count, new Random(unchecked((int)seed))).Take(memory.Count).ToArray();
                using var newPart = step.Train.Subset(picked);
                return LabeledDataset.Concat(name, memory, newPart);
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(options), options.Balanced, null);
        }
    }

    /// <summary>
    /// Trains the model on <paramref name="data"/> with CE plus, for every (teacher, classes) term, λ·L_KD of those
    /// classes' logits against the teacher's.
    /// </summary>
    private void Train(LabeledDataset data, TrainOptions phase, long seed, IReadOnlyList<(ClassifierModel Teacher, int[] Classes)> distillations,
        CancellationToken cancellationToken)
    {
        var terms = distillations.Where(d => d.Classes.Length > 0)
            .Select(d => (d.Teacher, Columns: tensor(d.Classes.Select(c => (long)c).ToArray(), device: setup.Device))).ToList();
        try
        {
            Func<Tensor, Tensor, Tensor>? kd = null;
            if (terms.Count > 0)
            {
                foreach (var term in terms) term.Teacher.eval();
                kd = (x, logits) =>
                {
                    Tensor? sum = null;
                    foreach (var (teacher, columns) in terms)
                    {
                        Tensor target;
                        using (no_grad()) target = teacher.call(x);
                        var loss = KnowledgeDistillation.Loss(logits, target, columns, options.Temperature);
                        sum = sum is null ? loss : sum + loss;
                    }
                    return options.KdWeight * sum!;
                };
            }
            new Trainer(phase).Train(_model!, data, seed, cancellationToken, progress: setup.Progress, extraLoss: kd);
        }
        finally
        {
            foreach (var term in terms) term.Columns.Dispose();
        }
    }

    private ClassifierModel NewModel(long seed)
    {
        var model = ModelFactory.Create(setup.Arch, setup.Shape, setup.NumClasses, seed);
        model.to(setup.Device);
        return model;
    }

    private ClassifierModel Copy(ClassifierModel model)
    {
        var copy = NewModel(0);
        copy.load_state_dict(model.state_dict());
        return copy;
    }

    public void Save(string pathPrefix) => _model!.save(pathPrefix + "-model.bin");

    public void Restore(string pathPrefix)
    {
        _model?.Dispose();
        _model = NewModel(0);
        _model.load(pathPrefix + "-model.bin");
    }

    public void Dispose() => _model?.Dispose();
}
