using Condensa.Data;
using Condensa.Memory;
using Condensa.Models;
using Condensa.Training;
using Condensa.Training.Augmentation;
using TorchSharp;
using static TorchSharp.torch;

namespace Condensa.Methods.Synthesis;

/// <summary>
/// What one condensation works with: the real data of the target classes, the budget, the network family and the
/// randomness. Every random number of an iteration comes from generators derived from the seed, the iteration and the
/// class (<see cref="Generator"/>), never from state carried between iterations: a run resumed from a checkpoint draws
/// exactly what the uninterrupted run drew, and the classes of an iteration are independent of each other.
/// </summary>
internal sealed class SynthesisContext : IDisposable
{
    private readonly Tensor[] _members;

    public SynthesisContext(MemoryRequest request, int ipc, DiffAugment? augmentation)
    {
        Source = request.Source;
        Classes = request.TargetClasses;
        Ipc = ipc;
        Architecture = request.Architecture;
        Device = request.Device;
        Seed = request.Seed;
        Augmentation = augmentation;
        _members = Classes.Select(c => tensor(Source.IndicesOfClass(c).Select(i => (long)i).ToArray()).DetachFromDisposeScope()).ToArray();
    }

    public LabeledDataset Source { get; }
    /// <summary>The classes to synthesize, in the order of the synthetic set (positions j = 0..C−1).</summary>
    public int[] Classes { get; }
    public int Ipc { get; }
    public ImageShape Shape => Source.Shape;
    public ArchitectureSpec Architecture { get; }
    public Device Device { get; }
    public long Seed { get; }
    /// <summary>The differentiable Siamese augmentation A_ω, or null (DC, DM without augmentation).</summary>
    public DiffAugment? Augmentation { get; }

    /// <summary>A generator for one stream of one iteration, e.g. <c>("match", k, t, j)</c>.</summary>
    public Generator Generator(string stream, params int[] indices) =>
        new(unchecked((ulong)Seeds.Derive(Seed, $"{stream}/{string.Join('/', indices)}")), CPU);

    /// <summary>The randomly initialized network θ ~ P_θ of iteration <paramref name="iteration"/>, in training mode, on the device.</summary>
    public ClassifierModel Network(int iteration)
    {
        var net = ModelFactory.Create(Architecture, Shape, Source.NumClasses, Seeds.Derive(Seed, "net", iteration));
        net.to(Device);
        return net;
    }

    /// <summary>
    /// The network of iteration <paramref name="iteration"/> in bfloat16, for the real side, when <paramref name="options"/>
    /// resolve <see cref="SynthesisOptions.RealPrecision"/> to bfloat16 on the device; null when the real side stays float32.
    /// </summary>
    public ClassifierModel? RealSideNetwork(int iteration, SynthesisOptions options)
    {
        if (!options.RealPrecision.IsBFloat16(Device)) return null;
        var net = Network(iteration);
        net.to(ScalarType.BFloat16);
        return net;
    }

    /// <summary>Up to <paramref name="count"/> distinct random real images of the class at position <paramref name="j"/> (all of them when it has fewer).</summary>
    public Tensor RealBatch(int j, int count, Generator generator)
    {
        using var scope = NewDisposeScope();
        var members = _members[j];
        var pick = randperm(members.shape[0], generator: generator).narrow(0, 0, Math.Min(count, members.shape[0]));
        return Source.Images.index_select(0, members.index_select(0, pick).to(Source.Device)).to(Device).MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        foreach (var m in _members) m.Dispose();
    }
}
