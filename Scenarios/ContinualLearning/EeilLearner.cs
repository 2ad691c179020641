using Condensa.Data;
using Condensa.Memory;
using Condensa.Models;
using Condensa.Training;
using TorchSharp;
using static TorchSharp.torch;
using Condensa.Runtime;

namespace Condensa.Scenarios.ContinualLearning;

/// <summary>
/// EEIL, End-to-End Incremental Learning (Castro et al. 2018), as the thesis runs it: one model over the dataset's
/// whole class space carried from step to step. At step t it trains on the new data plus the memory with cross-entropy
/// and, from t = 2, λ·L_KD on the old classes' logits against a copy of the model after step t−1
/// (<see cref="KnowledgeDistillation"/>); then, from t = 2, it fine-tunes on a class-balanced set at the lower rate,
/// with the distillation chosen by <c>teacher</c>, <c>distill</c>, <c>kd_in_finetune</c> and <c>temporary_kd</c>. The memory is updated by the
/// scenario (the builder works on the new step's data alone, as in the thesis), so the training phase sees the memory
/// from before the step and the fine-tuning the updated one. Departures from Castro: a fixed output layer over all
/// classes (unseen classes' logits take part in the softmax and are pushed down, as in CL_DM.py's network) instead of a
/// growing one; constant rates per phase (the thesis gives one rate each) instead of Castro's step decay; under a
/// multi-formation memory, every real image (the builder's, the training's and the test's) at the memory's resolution
/// (<c>match_resolution</c>, applied by the scenario to the step it hands over).
/// </summary>
internal sealed class EeilLearner(EeilOptions options, LearnerSetup setup) : IContinualLearner
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
                using var newPart = DatasetSampling.SamplePerClass(step.Train, NewImagesPerClass(step.MemoryShare, after), seed);
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
    /// Images of each new class in the <c>per-class</c> fine-tuning set: as many as an old class trains on, its
    /// <paramref name="share"/> of stored images times the images each decodes into (4 under multi-formation factor 2),
    /// so the set is balanced in what the model sees.
    /// </summary>
    internal static int NewImagesPerClass(int share, ContinualMemory after) => (int)Math.Round(share * after.DecodedPerStored);

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
