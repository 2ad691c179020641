using System.ComponentModel.DataAnnotations;

namespace Condensa.Methods.Selection.Dynamics;

/// <summary>
/// How the selection model is trained: the request's architecture (or <c>selection_arch</c>) trained from
/// scratch for <c>selection_epochs</c> (DeepCore's README setting, 10) on the source, without augmentation. Selectors that
/// share these values share one recorded <see cref="TrainingDynamics"/> in a run.
/// </summary>
public class SelectionModelOptions
{
    /// <summary>Epochs of selection-model training.</summary>
    [Range(1, 10_000)] public int SelectionEpochs { get; set; } = 10;

    /// <summary>Architecture of the selection model (default: the run's architecture).</summary>
    public string? SelectionArch { get; set; }

    /// <summary>Learning rate of the selection model (SGD, momentum 0.9, weight decay 5e-4, cosine schedule).</summary>
    [Range(0.0, 10.0)] public double SelectionLr { get; set; } = 0.01;

    /// <summary>Minibatch size of the selection model.</summary>
    [Range(1, 100_000)] public int SelectionBatchSize { get; set; } = 256;

    /// <summary>Number format of the selection model's training: auto, float32 or bfloat16 (mixed precision).</summary>
    public Training.Precision SelectionPrecision { get; set; } = Training.Precision.Auto;

    /// <summary>The selection model these options train for a build on <paramref name="buildArch"/>: builds that agree on it (and on source and seed) share one recording.</summary>
    public string SelectionModel(Models.ArchitectureSpec buildArch) =>
        FormattableString.Invariant($"{SelectionArch ?? buildArch.ToString()}|{SelectionEpochs}|{SelectionLr}|{SelectionBatchSize}|{SelectionPrecision}");
}
