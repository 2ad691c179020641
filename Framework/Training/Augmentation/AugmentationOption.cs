namespace Condensa.Training.Augmentation;

/// <summary>The <c>augmentation:</c> key of a training config: none, dsa, or an explicit DSA strategy string.</summary>
public static class AugmentationOption
{
    /// <summary>Datasets of digits, where a horizontal flip changes the class (the DSA paper drops flip for them).</summary>
    private static readonly string[] DigitData = ["mnist", "svhn", "usps"];

    /// <param name="datasetName">A dataset name as the catalog gives it (e.g. <c>mnist/train</c>): the part before '/' decides.</param>
    public static bool IsDigitData(string datasetName)
    {
        var baseName = datasetName.Split('/')[0];
        return DigitData.Any(d => baseName.Equals(d, StringComparison.OrdinalIgnoreCase) || baseName.StartsWith(d + "-", StringComparison.OrdinalIgnoreCase));
    }

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
