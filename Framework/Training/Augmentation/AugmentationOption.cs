namespace Condensa.Training.Augmentation;

/// <summary>The <c>augmentation:</c> key of a training config: none, dsa, or an explicit DSA strategy string.</summary>
public static class AugmentationOption
{
    /// <summary>The DSA strategy of the thesis for a dataset: all six ops, without flip for digits (a flipped digit is another digit or none).</summary>
    public static DsaStrategy DefaultStrategy(bool digits) => digits ? DsaStrategy.Default.WithoutFlip() : DsaStrategy.Default;

    public static DiffAugment? Create(string option, bool digits) => option switch
    {
        "none" or "" => null,
        "dsa" => new DiffAugment(DefaultStrategy(digits)),
        _ => new DiffAugment(DsaStrategy.Parse(option, "augmentation")),
    };
}
