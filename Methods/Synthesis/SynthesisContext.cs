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

    private readonly SynthesisOptions _options;
    private readonly Dictionary<int, (string Window, Tensor Indices)> _representatives = new();

    public SynthesisContext(MemoryRequest request, int ipc, SynthesisOptions options, DiffAugment? augmentation)
    {
        _options = options;
        Factor = options.Factor;
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

    /// <summary>The multi-formation factor K: each stored image decodes into K² images (<see cref="Decoded"/>).</summary>
    public int Factor { get; }

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
    /// A bfloat16 copy of <paramref name="net"/> (weights, buffers and modes), for the real side, when <paramref name="options"/>
    /// resolve <see cref="SynthesisOptions.RealPrecision"/> to bfloat16 on the device; null when the real side stays float32.
    /// </summary>
    public ClassifierModel? RealSideCopy(ClassifierModel net, SynthesisOptions options)
    {
        if (!options.RealPrecision.IsBFloat16(Device)) return null;
        var copy = ModelFactory.Create(Architecture, Shape, Source.NumClasses, seed: 0);
        copy.to(Device);
        copy.to(ScalarType.BFloat16);
        CopyState(net, copy);
        return copy;
    }

    /// <summary>Copies the parameters, buffers and train/eval modes of <paramref name="from"/> into a network of the same architecture (any number format).</summary>
    public static void CopyState(ClassifierModel from, ClassifierModel to)
    {
        using (no_grad())
        {
            foreach (var (target, source) in to.parameters().Zip(from.parameters())) target.copy_(source);
            foreach (var (target, source) in to.buffers().Zip(from.buffers())) target.copy_(source);
        }
        foreach (var (target, source) in to.modules().Zip(from.modules()))
            if (source.training) target.train(); else target.eval();
    }

    /// <summary>What the network sees of stored synthetic images: their K² decoded images each (differentiable), or themselves when K = 1.</summary>
    public Tensor Decoded(Tensor stored) => MultiFormation.Decode(stored, Factor);

    /// <summary>
    /// The real images of the class at position <paramref name="j"/> for a matching step: <see cref="RealBatch"/>, or
    /// under DREAM sampling the images nearest the centres of <paramref name="count"/> k-means clusters of a seeded
    /// subset of the class (<c>dream_pool</c> images) in the embedding of <paramref name="network"/>, computed when the
    /// step's <paramref name="window"/> differs from the class's last one and reused within a window. Every step of a
    /// window must pass a network in the same state (the one the window's first step uses), so a resumed run clusters
    /// exactly as an uninterrupted one.
    /// </summary>
    public Tensor MatchingBatch(int j, int count, Generator generator, string window, Func<ClassifierModel> network)
    {
        if (_options.Sampling == RealSampling.Random) return RealBatch(j, count, generator);
        if (!_representatives.TryGetValue(j, out var cached) || cached.Window != window)
        {
            cached.Indices?.Dispose();
            _representatives[j] = cached = (window, Representatives(j, count, window, network()));
        }
        return Source.Images.index_select(0, cached.Indices.to(Source.Device)).to(Device);
    }

    /// <summary>DREAM's picks for class position <paramref name="j"/>: source indices of the images nearest the k-means centres.</summary>
    private Tensor Representatives(int j, int count, string window, ClassifierModel network)
    {
        using var scope = NewDisposeScope();
        using var generator = Generator($"dream/{window}", j);
        var members = _members[j];
        var pool = randperm(members.shape[0], generator: generator).narrow(0, 0, Math.Min(_options.DreamPool, members.shape[0]));
        var indices = members.index_select(0, pool);
        Tensor embeddings;
        using (no_grad())
            embeddings = cat(indices.split(512).Select(part => network.Embed(Source.Images.index_select(0, part.to(Source.Device)).to(Device)).to(ScalarType.Float32).cpu()).ToArray(), 0);
        var picks = Methods.Selection.Kernels.KMeans.Representatives(embeddings, (int)Math.Min(count, indices.shape[0]), generator, KMeansIterations);
        return indices.index_select(0, tensor(picks)).DetachFromDisposeScope();
    }

    /// <summary>Lloyd iterations of a DREAM clustering (it stops earlier once no assignment changes).</summary>
    private const int KMeansIterations = 30;

    /// <summary><paramref name="count"/> distinct random real images of all target classes together, with their labels.</summary>
    public (Tensor Images, Tensor Labels) RealMixedBatch(int count, Generator generator)
    {
        using var scope = NewDisposeScope();
        var all = _all ??= cat(_members, 0).DetachFromDisposeScope();
        var pick = all.index_select(0, randperm(all.shape[0], generator: generator).narrow(0, 0, Math.Min(count, all.shape[0]))).to(Source.Device);
        return (Source.Images.index_select(0, pick).to(Device).MoveToOuterDisposeScope(), Source.Labels.index_select(0, pick).to(Device).MoveToOuterDisposeScope());
    }

    private Tensor? _all;

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
        _all?.Dispose();
        foreach (var (_, indices) in _representatives.Values) indices.Dispose();
    }
}
