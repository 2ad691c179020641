using System.Text.Json;
using System.Text.Json.Nodes;
using Condensa.Data;
using Condensa.Config;
using Condensa.Reporting;
using TorchSharp;
using static TorchSharp.torch;

namespace Condensa.Memory;

/// <summary>Who made a memory and how, recorded beside it: the builder name, its options, the seed, iterations, time and identity (<see cref="MemorySpec.Identity(string)"/>).</summary>
public sealed record MemoryInfo(string Method, object? Options, long Seed, int? Iterations = null, double Seconds = 0, string? Identity = null);

/// <summary>The <c>memory.json</c> of a stored memory. <see cref="Counts"/> holds the images per class, in the order of <see cref="Classes"/> (ascending).</summary>
public sealed record MemoryMetadata
{
    /// <summary><see cref="MemoryStore.Selected"/> or <see cref="MemoryStore.Synthetic"/>.</summary>
    public required string Kind { get; init; }
    public required string Method { get; init; }
    /// <summary>The builder's options with config keys (snake_case) and values.</summary>
    public JsonObject? Options { get; init; }
    public long Seed { get; init; }
    public int? Iterations { get; init; }
    public double Seconds { get; init; }
    /// <summary>What the memory depends on (<see cref="MemorySpec.Identity(string)"/>); the pipeline loads it only under the same identity.</summary>
    public string? Identity { get; init; }
    public required string Source { get; init; }
    public required IReadOnlyList<string> ClassNames { get; init; }
    public required int[] Classes { get; init; }
    public required int[] Counts { get; init; }

    /// <summary>Stored images (what the budget counts).</summary>
    public int Count { get; init; }

    /// <summary>The multi-formation factor K of a synthetic memory: each stored image decodes into K² training images.</summary>
    public int Factor { get; init; } = 1;

    /// <summary>Bits per stored pixel (8: real samples or quantized synthetic images; 32: float32).</summary>
    public int PixelBits { get; init; } = 32;

    /// <summary>Images a model trains on after decoding.</summary>
    public int TrainingImages { get; init; }

    /// <summary>Bytes of the stored images and their labels (<see cref="MemorySet.StoredBytes"/>).</summary>
    public long StoredBytes { get; init; }
}

/// <summary>A memory read back by <see cref="MemoryStore.Load"/>.</summary>
public sealed record StoredMemory(MemorySet Memory, MemoryMetadata Metadata);

/// <summary>
/// Saves a memory set to a folder and loads it back, so a memory built once serves many runs. The folder holds
/// <c>memory.json</c> (<see cref="MemoryMetadata"/>), the memory itself (synthetic: <c>images.pt</c> and <c>labels.pt</c>,
/// TorchSharp tensor files of the stored images, with their multi-formation factor in the metadata; selected:
/// <c>selection.json</c> with indices, weights and scores) and <c>memory.png</c>, the stored images in pixel space, one
/// row per class (at most <see cref="GridColumns"/> per row). Every file is written to a
/// temp file and renamed; <c>memory.json</c> comes last, so a folder with it is complete.
/// </summary>
public static class MemoryStore
{
    public const string Selected = "selected", Synthetic = "synthetic", Hybrid = "hybrid";
    public const string MetadataFile = "memory.json", ImagesFile = "images.pt", LabelsFile = "labels.pt", SelectionFile = "selection.json", GridFile = "memory.png";

    /// <summary>Images per class drawn in <see cref="GridFile"/>.</summary>
    public const int GridColumns = 50;

    private sealed record Selection(long[] Indices, float[]? Weights, float[]? Scores);

    /// <summary>Writes <paramref name="memory"/>, built from <paramref name="source"/> (its indices, class names and normalization), to <paramref name="folder"/>.</summary>
    public static void Save(string folder, MemorySet memory, LabeledDataset source, MemoryInfo info)
    {
        var directory = new RunDirectory(folder);
        using var scope = NewDisposeScope();
        var kind = memory switch
        {
            SelectedMemory => Selected,
            SyntheticMemory => Synthetic,
            HybridMemory => Hybrid,
            _ => throw new ArgumentException($"cannot store a {memory.GetType().Name}"),
        };
        var (selected, synthetic) = memory switch
        {
            HybridMemory h => (h.Real, h.Synthetic),
            _ => (memory as SelectedMemory, memory as SyntheticMemory),
        };
        if (selected is not null) directory.WriteJson(SelectionFile, new Selection(selected.Indices, selected.SampleWeights, selected.Scores));
        if (synthetic is not null)
        {
            directory.WriteAtomic(ImagesFile, tmp => synthetic.Images.detach().cpu().save(tmp));
            directory.WriteAtomic(LabelsFile, tmp => synthetic.Labels.cpu().save(tmp));
        }
        using var stored = memory.Stored(source);
        var labels = stored.LabelArray.ToArray();
        var images = stored.Images;
        var classes = labels.Distinct().Order().ToArray();
        var rows = classes.Select(c => Enumerable.Range(0, labels.Length).Where(i => labels[i] == c).Take(GridColumns).ToArray()).ToList();
        if (rows.Count > 0) ImageGrid.Save(directory.PathOf(GridFile), source.Normalization.Denormalize(images.cpu()), rows);
        directory.WriteJson(MetadataFile, new MemoryMetadata
        {
            Kind = kind,
            Method = info.Method,
            Options = info.Options is null ? null : OptionsJson(info.Options),
            Seed = info.Seed,
            Iterations = info.Iterations,
            Seconds = info.Seconds,
            Identity = info.Identity,
            Source = source.Name,
            ClassNames = source.ClassNames,
            Classes = classes.Select(c => (int)c).ToArray(),
            Counts = classes.Select(c => labels.Count(l => l == c)).ToArray(),
            Count = memory.Count,
            Factor = synthetic?.Factor ?? 1,
            PixelBits = 8 * memory.BytesPerPixel,
            TrainingImages = memory.TrainingImages,
            StoredBytes = memory.StoredBytes(source.Shape),
        });
    }

    /// <summary>Reads a memory written by <see cref="Save"/>.</summary>
    /// <exception cref="CondensaException">The folder has no <c>memory.json</c>, a file is missing, or the kind is unknown.</exception>
    public static StoredMemory Load(string folder)
    {
        var metadata = JsonSerializer.Deserialize<MemoryMetadata>(File.ReadAllText(Existing(folder, MetadataFile)), RunDirectory.Json)
            ?? throw new CondensaException($"{Path.Combine(folder, MetadataFile)} is empty");
        SyntheticMemory ReadSynthetic() => new(Tensor.load(Existing(folder, ImagesFile)), Tensor.load(Existing(folder, LabelsFile)))
        {
            Factor = metadata.Factor, PixelBits = metadata.PixelBits,
        };
        MemorySet memory = metadata.Kind switch
        {
            Selected => ReadSelection(folder),
            Synthetic => ReadSynthetic(),
            Hybrid => new HybridMemory(ReadSelection(folder), ReadSynthetic()),
            _ => throw new CondensaException($"{Path.Combine(folder, MetadataFile)}: unknown kind '{metadata.Kind}'; allowed: {Selected}, {Synthetic}, {Hybrid}"),
        };
        return new StoredMemory(memory, metadata);
    }

    /// <summary>The memory stored in <paramref name="folder"/> when it is complete and has <paramref name="identity"/>, else null.</summary>
    public static StoredMemory? TryLoad(string folder, string identity)
    {
        var path = Path.Combine(folder, MetadataFile);
        if (!File.Exists(path)) return null;
        var metadata = JsonSerializer.Deserialize<MemoryMetadata>(File.ReadAllText(path), RunDirectory.Json);
        return metadata?.Identity == identity ? Load(folder) : null;
    }

    /// <summary>Options as config JSON: public settable properties under their snake_case keys, enums as their kebab-case values.</summary>
    public static JsonObject OptionsJson(object options)
    {
        var json = new JsonObject();
        foreach (var property in OptionsBinder.BindableProperties(options.GetType()))
            json[Naming.Key(property.Name)] = property.GetValue(options) switch
            {
                null => null,
                Enum e => JsonValue.Create(Naming.EnumValue(e)),
                var v => JsonSerializer.SerializeToNode(v, v.GetType(), RunDirectory.Json),
            };
        return json;
    }

    private static SelectedMemory ReadSelection(string folder)
    {
        var path = Existing(folder, SelectionFile);
        var s = JsonSerializer.Deserialize<Selection>(File.ReadAllText(path), RunDirectory.Json) ?? throw new CondensaException($"{path} is empty");
        return new SelectedMemory(s.Indices, s.Weights, s.Scores);
    }

    private static string Existing(string folder, string file)
    {
        var path = Path.Combine(folder, file);
        return File.Exists(path) ? path
            : throw new CondensaException($"no stored memory at '{folder}': {file} is missing", "point to a folder written by a run's memory output");
    }
}
