using Microsoft.Extensions.Logging;

namespace Condensa.Data;

/// <summary>
/// The splits of a loaded dataset. They share the class names, the normalization and the image shape; the class
/// space is the full one even when a class subset was kept. <see cref="Notes"/> says what loading did to the data
/// that a user would not expect (images resized to a common size, a single class).
/// </summary>
public sealed record DatasetSplits(LabeledDataset Train, LabeledDataset? Validation, LabeledDataset Test) : IDisposable
{
    public IReadOnlyList<string> ClassNames => Train.ClassNames;
    public Normalization Normalization => Train.Normalization;
    public ImageShape Shape => Train.Shape;

    /// <summary>What loading did that changes the data or its meaning, one sentence each; logged as warnings.</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>Logs the splits' sizes and the classes present (of the class space), then every note as a warning.</summary>
    public void Describe(ILogger log)
    {
        var present = Train.PresentClasses();
        var classes = present.Length == Train.NumClasses ? $"{present.Length} classes"
            : $"{present.Length} of {Train.NumClasses} classes ({string.Join(", ", present.Select(c => ClassNames[c]))})";
        log.LogInformation("dataset {Name}: {Train} training{Validation} / {Test} test images, {Classes}, {Shape}",
            Train.Name, Train.Count, Validation is null ? "" : $" / {Validation.Count} validation", Test.Count, classes, Shape);
        foreach (var note in Notes) log.LogWarning("dataset {Name}: {Note}", Train.Name, note);
    }

    public void Dispose()
    {
        Train.Dispose();
        Validation?.Dispose();
        Test.Dispose();
    }
}
