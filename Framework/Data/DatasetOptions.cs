using System.ComponentModel.DataAnnotations;

namespace Condensa.Data;

/// <summary>
/// Which dataset to load and how to prepare it (the <c>dataset</c> section of a config). The order of the steps is:
/// read, resize, pad, normalize, class subset, validation split, per-class limit of the training set.
/// </summary>
public sealed class DatasetOptions
{
    /// <summary>
    /// The dataset: <c>fashion-mnist</c>, <c>mnist</c>, <c>kmnist</c> (IDX files), <c>cifar10</c>, <c>cifar100</c>
    /// (binary versions), <c>idx</c> (any IDX pair of train/t10k files) or <c>folder</c> (class sub-folders of PNG/JPEG images).
    /// </summary>
    [AllowedValues("fashion-mnist", "mnist", "kmnist", "cifar10", "cifar100", "idx", "folder")]
    public string Name { get; set; } = "fashion-mnist";

    /// <summary>
    /// The folder holding the files. Defaults: fashion-mnist <c>/usr/share/datasets/fashion-mnist</c> (Debian package
    /// <c>dataset-fashion-mnist</c>), mnist <c>/usr/share/datasets/mnist</c>; required for the others.
    /// </summary>
    public string? Path { get; set; }

    /// <summary>
    /// Keep only these classes (labels in 0..K-1) in every split; labels keep their values (the class space is unchanged).
    /// All classes when empty.
    /// </summary>
    public int[]? Classes { get; set; }

    /// <summary>Keep this many randomly chosen (seeded) training images per class, after the validation split. All when empty.</summary>
    [Range(1, int.MaxValue)]
    public int? TrainPerClass { get; set; }

    /// <summary>Fraction of each training class held out as the validation set (seeded, stratified). 0 means no validation set.</summary>
    [Range(0.0, 1.0, MaximumIsExclusive = true)]
    public double ValidationFraction { get; set; }

    /// <summary>
    /// For a <c>folder</c> dataset without <c>train/</c> and <c>test/</c> sub-folders: fraction of each class held out as
    /// the test set (stratified, with a fixed seed 0 so the test set does not change with the run's seed).
    /// </summary>
    [Range(0.0, 1.0, MinimumIsExclusive = true, MaximumIsExclusive = true)]
    public double TestFraction { get; set; } = 0.2;

    /// <summary>Zero pixels (black in pixel space) added on every side of every image, after any resize.</summary>
    [Range(0, 256)]
    public int Pad { get; set; }

    /// <summary>Resize every image (bilinear) to this square size. Unchanged when empty.</summary>
    [Range(1, 4096)]
    public int? Resize { get; set; }

    /// <summary>
    /// For a <c>folder</c> dataset: 1 (grayscale) or 3 (RGB). When empty: 1 if every image is gray, else 3.
    /// </summary>
    [AllowedValues(null, 1, 3)]
    public int? Channels { get; set; }

    /// <summary>
    /// Normalize images per channel to <c>(x - mean) / std</c>, with the constants of the DC/DSA/DM code for
    /// fashion-mnist, mnist, cifar10 and cifar100, else (kmnist, idx, folder) the statistics of all training images as
    /// read (before resize, pad and class subset). When false, images stay in [0, 1].
    /// </summary>
    public bool Normalize { get; set; } = true;

    /// <summary>
    /// The images are digits, where a horizontal flip changes the class, so DSA augmentation (<c>augmentation: dsa</c>,
    /// the synthesizers' default strategy) leaves flip out. When empty: true for mnist, false for the other named
    /// datasets; set it for <c>idx</c> and <c>folder</c> datasets of digits (SVHN, USPS, MNIST as images).
    /// </summary>
    public bool? Digits { get; set; }

    /// <summary><see cref="Digits"/>, or its default for the dataset's name.</summary>
    public bool IsDigits => Digits ?? Name == "mnist";
}
