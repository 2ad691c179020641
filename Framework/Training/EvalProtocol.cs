using Condensa.Training.Augmentation;

namespace Condensa.Training;

/// <summary>
/// Named ways of training the models that evaluate a memory. Published accuracies mix protocols (epochs, schedule,
/// augmentation, mixing), which move a number by points on their own; evaluating one memory under several protocols
/// lets a reader tell the method from the protocol.
/// </summary>
public static class EvalProtocol
{
    /// <summary>The thesis' evaluation (<c>evaluate_synset</c>): the scenario's own <c>eval</c> block.</summary>
    public const string Thesis = "thesis";

    /// <summary>IDC's evaluation (Kim et al., ICML 2022, <c>train.py</c>).</summary>
    public const string Idc = "idc";

    public static IReadOnlyList<string> Names { get; } = [Thesis, Idc];

    /// <summary>
    /// The training of protocol <paramref name="name"/>; the thesis' is <paramref name="thesis"/> itself. IDC's: 1,000
    /// epochs, batch 64, SGD lr 0.01 (momentum 0.9, weight decay 5e-4) multiplied by 0.2 at 2/3 and at 5/6 of the training
    /// (momentum kept), per-image DSA color_crop_flip_scale_rotate (without flip for digits) and CutMix with probability
    /// 0.5; the number format is the thesis block's.
    /// </summary>
    public static TrainOptions Of(string name, TrainOptions thesis, bool digits) => name switch
    {
        Thesis => thesis,
        Idc => new TrainOptions
        {
            Epochs = 1000, BatchSize = 64, Lr = 0.01, Momentum = 0.9, WeightDecay = 5e-4, Schedule = LrSchedule.MultiStep, Milestones = [2.0 / 3, 5.0 / 6],
            DecayFactor = 0.2, ResetMomentumAtDecay = false, Cutmix = 0.5, Precision = thesis.Precision,
            Augmentation = (digits ? DsaStrategy.Parse("color_crop_flip_scale_rotate").WithoutFlip() : DsaStrategy.Parse("color_crop_flip_scale_rotate")).ToString(),
        },
        _ => throw new CondensaException($"unknown evaluation protocol '{name}'; allowed values: {string.Join(", ", Names)}"),
    };
}
