namespace Condensa.Data;

/// <summary>
/// The splits of a loaded dataset. They share the class names, the normalization and the image shape; the class
/// space is the full one even when a class subset was kept.
/// </summary>
public sealed record DatasetSplits(LabeledDataset Train, LabeledDataset? Validation, LabeledDataset Test) : IDisposable
{
    public IReadOnlyList<string> ClassNames => Train.ClassNames;
    public Normalization Normalization => Train.Normalization;
    public ImageShape Shape => Train.Shape;

    public void Dispose()
    {
        Train.Dispose();
        Validation?.Dispose();
        Test.Dispose();
    }
}
