namespace Condensa.Training.Augmentation;

/// <summary>The <c>augmentation:</c> key of a training config: none, dsa, or an explicit DSA strategy string.</summary>
public static class AugmentationOption
{
    /// <summary>Datasets of digits, where a horizontal flip changes the class (the DSA paper drops flip for them).</summary>
    private static readonly string[] DigitData = ["mnist", "svhn", "usps"];

    public static bool IsDigitData(string datasetName) =>
        DigitData.Any(d => datasetName.Equals(d, StringComparison.OrdinalIgnoreCase) || datasetName.StartsWith(d + "-", StringComparison.OrdinalIgnoreCase));

    /// <summary>The DSA strategy of the thesis for a dataset: all six ops, without flip for digit data.</summary>
    public static DsaStrategy DefaultStrategy(string datasetName) =>
        IsDigitData(datasetName) ? DsaStrategy.Default.WithoutFlip() : DsaStrategy.Default;

    public static DiffAugment? Create(string option, string datasetName) => option switch
    {
        "none" or "" => null,
        "dsa" => new DiffAugment(DefaultStrategy(datasetName)),
        _ => new DiffAugment(DsaStrategy.Parse(option, "augmentation")),
    };
}
