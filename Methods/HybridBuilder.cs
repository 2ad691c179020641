using System.ComponentModel.DataAnnotations;
using Condensa.Config;
using Condensa.Memory;

namespace Condensa.Methods;

/// <summary>Options of <c>hybrid</c>.</summary>
public sealed class HybridOptions : IValidatableOptions, IMultiFormationOptions
{
    /// <summary>The selector of the real part, with its options.</summary>
    public MethodSpec Real { get; set; } = new() { Name = "herding", Options = new Selection.Geometry.HerdingOptions() };

    /// <summary>The synthesizer of the synthetic part, with its options; it must store 8-bit pixels (pixel_bits: 8, the default).</summary>
    public MethodSpec Synthetic { get; set; } = new() { Name = "idm", Options = new Synthesis.IdmOptions() };

    /// <summary>The share of each class's stored bytes spent on synthetic images (0..1); the rest goes to real samples.</summary>
    [Range(0.0, 1.0)] public double SyntheticShare { get; set; } = 0.5;

    /// <summary>The synthetic part's multi-formation factor (the real part stores one image per training image).</summary>
    int IMultiFormationOptions.Factor => MultiFormation.FactorOf(Synthetic);

    public void Validate(Action<string, string> error)
    {
        if (Real.Name is "hybrid" || Synthetic.Name is "hybrid") error("real", "a hybrid of hybrids: give a selector and a synthesizer");
    }

    /// <summary>
    /// How a budget of <paramref name="ipc"/> stored images per class splits: synthetic share·ipc rounded half up (ipc 1
    /// at share 0.5 is one synthetic image; ipc 5 is three synthetic and two real), the rest real. Both parts store
    /// 8-bit pixels, so a share of the images is the same share of the bytes.
    /// </summary>
    public (int Real, int Synthetic) Split(int ipc)
    {
        int synthetic = (int)Math.Floor(SyntheticShare * ipc + 0.5);
        return (ipc - synthetic, synthetic);
    }
}

/// <summary>
/// <c>hybrid</c>: one budget shared by real samples and synthetic images. Synthetic images win at tiny budgets and lose
/// their edge as the budget grows (the DM paper's CIFAR-10 curve; our ipc 1 and ipc 10 rows), so a memory that spends
/// part of each class's bytes on a synthetic set and the rest on selected real samples can beat both pure kinds. The
/// two parts are built by their builders with their own options and seeds (derived from the memory's seed as "real"
/// and "synthetic"), each through the request's shared artifacts (a herding part reuses the run's recorded selection
/// model). Balanced budgets in images per class only.
/// </summary>
public sealed class HybridBuilder(HybridOptions options, MemoryBuilderRegistry registry) : IMemoryBuilder
{
    public MemorySet Build(MemoryRequest request, CancellationToken cancellationToken)
    {
        if (request.Budget is not { Ipc: int ipc, Balanced: true })
            throw new CondensaException($"hybrid needs a class-balanced budget in images per class, got {request.Budget}", "set ipc (and leave balanced: true)");
        var (realCount, syntheticCount) = options.Split(ipc);
        var real = realCount == 0 ? new SelectedMemory([])
            : registry.Create(options.Real).Build(Part(request, options.Real, realCount, "real"), cancellationToken) as SelectedMemory
              ?? throw new CondensaException($"hybrid: real = '{options.Real.Name}' returned learned images; give a selector (herding, random, ...)");
        if (syntheticCount == 0) return new HybridMemory(real, Empty(request));
        var built = registry.Create(options.Synthetic).Build(Part(request, options.Synthetic, syntheticCount, "synthetic"), cancellationToken);
        if (built is not SyntheticMemory { PixelBits: 8 } synthetic)
        {
            built.Dispose();
            throw new CondensaException($"hybrid: synthetic = '{options.Synthetic.Name}' must return 8-bit synthetic images, so both parts cost the same bytes per image",
                "give a synthesizer (idm, dm, dsa, ...) with pixel_bits: 8");
        }
        return new HybridMemory(real, synthetic);
    }

    private static MemoryRequest Part(MemoryRequest request, MethodSpec spec, int ipc, string part) => new()
    {
        Method = spec.Name, Source = request.Source, Budget = Budget.ImagesPerClass(ipc), Classes = request.Classes, Architecture = request.Architecture,
        Device = request.Device, Seed = Seeds.Derive(request.Seed, part), Progress = request.Progress, Log = request.Log, Cache = request.Cache,
        CheckpointDirectory = request.CheckpointDirectory is { } dir ? Path.Combine(dir, part) : null, SharedDirectory = request.SharedDirectory,
    };

    /// <summary>A synthetic part without images (a share that rounds to none).</summary>
    private static SyntheticMemory Empty(MemoryRequest request)
    {
        var shape = request.Source.Shape;
        return new SyntheticMemory(TorchSharp.torch.zeros(0, shape.Channels, shape.Height, shape.Width), TorchSharp.torch.zeros(0, TorchSharp.torch.ScalarType.Int64)) { PixelBits = 8 };
    }
}
