using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace Condensa.Methods.Synthesis;

/// <summary>
/// The state a condensation needs to go on after iteration k: the images, the image optimizer's momentum, the number of
/// completed iterations and the seconds spent. Nothing else is needed because every iteration derives its randomness from
/// (seed, iteration) (<see cref="SynthesisContext"/>). One file per setting, named by the method and a hash of
/// <paramref name="key"/> (method, seed, classes, ipc, data, architecture, options except the iteration count and the
/// logging cadence), so runs with other settings never pick it up; written to a temp file and renamed.
/// </summary>
internal sealed class SynthesisCheckpoint(string directory, string method, string key)
{
    private const string Magic = "condensa-synthesis-checkpoint/1";

    private sealed record Header(string Method, string Key, int Iteration, double Seconds);

    public string Path { get; } = System.IO.Path.Combine(directory, $"{method}-{Fingerprint.Of(key)}.ckpt");

    public void Save(SyntheticSet set, int iteration, double seconds)
    {
        Directory.CreateDirectory(directory);
        var tmp = Path + ".tmp";
        using (var writer = new BinaryWriter(File.Create(tmp)))
        {
            writer.Write(Magic);
            writer.Write(JsonSerializer.Serialize(new Header(method, key, iteration, seconds)));
            set.Images.cpu().Save(writer);
            set.Momentum.cpu().Save(writer);
        }
        File.Move(tmp, Path, overwrite: true);
    }

    /// <summary>The saved state, or null when there is no checkpoint for this setting yet.</summary>
    /// <exception cref="CondensaException">The file is not a checkpoint of this setting.</exception>
    public (Tensor Images, Tensor Momentum, int Iteration, double Seconds)? TryLoad(Device device)
    {
        if (!File.Exists(Path)) return null;
        using var reader = new BinaryReader(File.OpenRead(Path));
        var header = reader.ReadString() == Magic ? JsonSerializer.Deserialize<Header>(reader.ReadString()) : null;
        if (header is null || header.Key != key)
            throw new CondensaException($"'{Path}' is not a {method} checkpoint of this setting", "delete it, or give the run another checkpoint folder");
        using var scope = NewDisposeScope();
        var images = TensorExtensionMethods.Load(reader).to(device);
        var momentum = TensorExtensionMethods.Load(reader).to(device);
        return (images.MoveToOuterDisposeScope(), momentum.MoveToOuterDisposeScope(), header.Iteration, header.Seconds);
    }
}
