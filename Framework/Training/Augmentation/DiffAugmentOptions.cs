namespace Condensa.Training.Augmentation;

/// <summary>
/// The ranges of the DSA ops, named and defaulted as the reference's <c>ParamDiffAug</c> (DSA paper, section 4.3.2).
/// </summary>
/// <param name="ProbFlip">Probability of a horizontal flip.</param>
/// <param name="RatioScale">Scale factors sx, sy ~ U[1/r, r) independently.</param>
/// <param name="RatioRotate">Rotation angle ~ U[-r, r) degrees.</param>
/// <param name="RatioCropPad">Largest translation, as a fraction of the side: <c>int(side * r + 0.5)</c> pixels.</param>
/// <param name="RatioCutout">Side of the cut-out square, as a fraction of the side: <c>int(side * r + 0.5)</c> pixels.</param>
/// <param name="Brightness">Brightness offset ~ (U[0,1) - 0.5) * b.</param>
/// <param name="Saturation">Saturation factor ~ U[0,1) * s.</param>
/// <param name="Contrast">Contrast factor ~ U[0,1) + c.</param>
public sealed record DiffAugmentOptions(
    double ProbFlip = 0.5,
    double RatioScale = 1.2,
    double RatioRotate = 15.0,
    double RatioCropPad = 0.125,
    double RatioCutout = 0.5,
    double Brightness = 1.0,
    double Saturation = 2.0,
    double Contrast = 0.5)
{
    /// <summary>Throws a <see cref="CondensaException"/> naming the first option out of its range.</summary>
    public void Validate()
    {
        Check(nameof(ProbFlip), ProbFlip, 0, 1);
        Check(nameof(RatioScale), RatioScale, 1, double.MaxValue);
        Check(nameof(RatioRotate), RatioRotate, 0, 180);
        Check(nameof(RatioCropPad), RatioCropPad, 0, 1);
        Check(nameof(RatioCutout), RatioCutout, 0, 1);
        Check(nameof(Brightness), Brightness, 0, double.MaxValue);
        Check(nameof(Saturation), Saturation, 0, double.MaxValue);
        Check(nameof(Contrast), Contrast, 0, double.MaxValue);
    }

    private static void Check(string name, double value, double min, double max)
    {
        if (!(value >= min && value <= max))
            throw new CondensaException($"DSA option {name} = {value} is out of range; allowed: {(max == double.MaxValue ? $"at least {min}" : $"{min} to {max}")}");
    }
}
