using System.ComponentModel.DataAnnotations;
using System.Reflection;
using System.Text.RegularExpressions;

namespace Condensa.Data;

/// <summary>
/// The named datasets and the one way to load them: <see cref="Load"/> reads the files, then resizes, pads,
/// normalizes, keeps a class subset, splits off a validation set and limits the training images per class, as set in
/// <see cref="DatasetOptions"/>.
/// </summary>
public static partial class DatasetCatalog
{
    private enum Format { Idx, Cifar10, Cifar100, Folder }

    /// <param name="Published">Normalization constants of the DC/DSA/DM code (<c>utils.get_dataset</c>); null: computed from the training images.</param>
    private sealed record Entry(string Title, Format Format, string? DefaultPath, Normalization? Published, string[]? ClassNames, string? InstallHint);

    private static readonly string[] Digits = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

    private static readonly Dictionary<string, Entry> Entries = new()
    {
        ["fashion-mnist"] = new("Fashion-MNIST", Format.Idx, "/usr/share/datasets/fashion-mnist", new([0.2861f], [0.3530f]),
            ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"],
            "apt-get install dataset-fashion-mnist (it installs /usr/share/datasets/fashion-mnist), " +
            "or set dataset.path to a folder holding the four Fashion-MNIST IDX files"),
        ["mnist"] = new("MNIST", Format.Idx, "/usr/share/datasets/mnist", new([0.1307f], [0.3081f]), Digits,
            "put train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz " +
            "in /usr/share/datasets/mnist, or set dataset.path"),
        // KMNIST's ten hiragana, romanized (Clanuwat et al. 2018, class map of the IDX release).
        ["kmnist"] = new("KMNIST", Format.Idx, null, null, ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"], null),
        ["cifar10"] = new("CIFAR-10", Format.Cifar10, null, new([0.4914f, 0.4822f, 0.4465f], [0.2023f, 0.1994f, 0.2010f]), null, null),
        ["cifar100"] = new("CIFAR-100", Format.Cifar100, null, new([0.5071f, 0.4866f, 0.4409f], [0.2673f, 0.2564f, 0.2762f]), null, null),
        ["idx"] = new("IDX", Format.Idx, null, null, null, null),
        ["folder"] = new("image folder", Format.Folder, null, null, null, null),
    };

    /// <summary>The dataset names <see cref="DatasetOptions.Name"/> accepts.</summary>
    public static IReadOnlyCollection<string> Names => Entries.Keys;

    /// <summary>The normalization constants used for <paramref name="name"/>, or null when they are computed from the data.</summary>
    public static Normalization? PublishedNormalization(string name) => Lookup(name).Published;

    /// <summary>The folder read when <see cref="DatasetOptions.Path"/> is not set, or null when the path is required.</summary>
    public static string? DefaultPath(string name) => Lookup(name).DefaultPath;

    /// <summary>
    /// Loads the dataset described by <paramref name="options"/>. <paramref name="seed"/> drives the validation split
    /// (<c>seed</c>) and the per-class limit (<c>seed + 1</c>); the same options and seed give the same splits.
    /// Padding fills black in pixel space (0, stored as <c>-mean / std</c> after normalization).
    /// </summary>
    public static DatasetSplits Load(DatasetOptions options, long seed)
    {
        Validate(options);
        var entry = Entries[options.Name];
        var path = options.Path ?? entry.DefaultPath
                   ?? throw new CondensaException($"dataset.path is required for dataset '{options.Name}' ({entry.Title})");
        if (options.Channels is not null && entry.Format != Format.Folder)
            throw new CondensaException($"dataset.channels applies only to the 'folder' dataset, not to '{options.Name}'");

        var published = options.Normalize ? entry.Published : null;
        var notes = new List<string>();
        var (train, test) = Read(options, entry, path, published, notes.Add);
        LabeledDataset? validation = null;
        try
        {
            if (options.Classes is { Length: > 0 } classes) CheckClasses(classes, train.NumClasses, options.Name);
            if (options.Normalize && published is null)
            {
                var statistics = ImageTransforms.ComputeNormalization(train);
                Replace(ref train, d => ImageTransforms.Renormalize(d, statistics));
                Replace(ref test, d => ImageTransforms.Renormalize(d, statistics));
            }
            if (options.Resize is int size && (train.Shape.Height != size || train.Shape.Width != size))
            {
                Replace(ref train, d => ImageTransforms.Resize(d, size));
                Replace(ref test, d => ImageTransforms.Resize(d, size));
            }
            if (options.Pad > 0)
            {
                Replace(ref train, d => ImageTransforms.Pad(d, options.Pad));
                Replace(ref test, d => ImageTransforms.Pad(d, options.Pad));
            }
            if (options.Classes is { Length: > 0 } subset)
            {
                Replace(ref train, d => d.WithClasses(subset));
                Replace(ref test, d => d.WithClasses(subset));
            }
            if (options.ValidationFraction > 0)
            {
                var (kept, held) = DatasetSampling.StratifiedSplit(train, options.ValidationFraction, seed, train.Name, $"{options.Name}/validation");
                train.Dispose();
                (train, validation) = (kept, held);
            }
            if (options.TrainPerClass is int perClass)
                Replace(ref train, d => DatasetSampling.SamplePerClass(d, perClass, seed + 1));
            if (train.PresentClasses() is [var only])
                notes.Add($"only one class ({train.ClassNames[only]}) is present: a model trained on it scores 100 % by always predicting it; " +
                          "a classifier needs at least two classes (dataset.classes)");
            return new DatasetSplits(train.AsDigits(options.IsDigits), validation?.AsDigits(options.IsDigits), test.AsDigits(options.IsDigits)) { Notes = notes };
        }
        catch
        {
            train.Dispose();
            test.Dispose();
            validation?.Dispose();
            throw;
        }
    }

    private static (LabeledDataset Train, LabeledDataset Test) Read(DatasetOptions options, Entry entry, string path, Normalization? published, Action<string> note)
    {
        switch (entry.Format)
        {
            case Format.Idx:
                var train = IdxReader.ReadSplit(path, "train", $"{options.Name}/train", entry.ClassNames, published, entry.InstallHint);
                try
                {
                    return (train, IdxReader.ReadSplit(path, "t10k", $"{options.Name}/test", train.ClassNames, published, entry.InstallHint));
                }
                catch
                {
                    train.Dispose();
                    throw;
                }
            case Format.Cifar10:
                return CifarReader.ReadCifar10(path, options.Name, published);
            case Format.Cifar100:
                return CifarReader.ReadCifar100(path, options.Name, published);
            default:
                var (all, test) = ImageFolderReader.Read(path, options.Channels, options.Resize, options.Name, note);
                if (test is not null) return (all, test);
                // One set: hold out a fixed (seed 0) stratified test split, the same for every run seed.
                using (all)
                    return DatasetSampling.StratifiedSplit(all, options.TestFraction, 0, $"{options.Name}/train", $"{options.Name}/test");
        }
    }

    /// <summary>Replaces <paramref name="dataset"/> by <c>transform(dataset)</c> and disposes the old one.</summary>
    private static void Replace(ref LabeledDataset dataset, Func<LabeledDataset, LabeledDataset> transform)
    {
        var old = dataset;
        dataset = transform(old);
        old.Dispose();
    }

    private static void CheckClasses(int[] classes, int count, string name)
    {
        foreach (var c in classes)
            if (c < 0 || c >= count)
                throw new CondensaException($"dataset.classes contains {c}; the classes of '{name}' are 0..{count - 1}");
    }

    private static Entry Lookup(string name) =>
        Entries.TryGetValue(name, out var entry) ? entry
            : throw new CondensaException($"unknown dataset '{name}'; known datasets: {string.Join(", ", Entries.Keys)}");

    /// <summary>Checks the data annotations of <see cref="DatasetOptions"/> (the config binder does the same for YAML).</summary>
    private static void Validate(DatasetOptions options)
    {
        foreach (var property in typeof(DatasetOptions).GetProperties())
        {
            var value = property.GetValue(options);
            foreach (var attribute in property.GetCustomAttributes<ValidationAttribute>())
                if (!attribute.IsValid(value))
                    throw new CondensaException($"dataset.{SnakeCase(property.Name)} = {value ?? "(empty)"} is invalid: {Describe(attribute)}");
        }
    }

    private static string Describe(ValidationAttribute attribute) => attribute switch
    {
        AllowedValuesAttribute a => "allowed values are " + string.Join(", ", a.Values.Select(v => v ?? "(empty)")),
        RangeAttribute r => $"must be in {(r.MinimumIsExclusive ? "(" : "[")}{r.Minimum}, {r.Maximum}{(r.MaximumIsExclusive ? ")" : "]")}",
        _ => attribute.FormatErrorMessage("value"),
    };

    private static string SnakeCase(string name) => UpperCase().Replace(name, m => (m.Index > 0 ? "_" : "") + m.Value.ToLowerInvariant());

    [GeneratedRegex("[A-Z]")]
    private static partial Regex UpperCase();
}
