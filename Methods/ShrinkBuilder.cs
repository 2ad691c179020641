using System.ComponentModel.DataAnnotations;
using Condensa.Config;
using Condensa.Memory;
using static TorchSharp.torch;

namespace Condensa.Methods;

/// <summary>Options of <c>shrink</c>.</summary>
public sealed class ShrinkOptions : IValidatableOptions, IMultiFormationOptions
{
    /// <summary>The builder of the larger memory, with its options: any registered selector or synthesizer.</summary>
    public MethodSpec? From { get; set; }

    /// <summary>The larger memory's budget in images per class (e.g. a condensed set of 50 per class).</summary>
    [Range(1, 1_000_000)] public int FromIpc { get; set; } = 50;

    /// <summary>The selector that picks the final budget out of the larger memory; default <c>yoco</c> (YOCO's rules for pruning a condensed set).</summary>
    public MethodSpec By { get; set; } = new() { Name = "yoco", Options = new Selection.Scores.YocoOptions() };

    /// <summary>The larger memory's multi-formation factor, which the images picked from it keep.</summary>
    int IMultiFormationOptions.Factor => From is null ? 1 : MultiFormation.FactorOf(From);

    public void Validate(Action<string, string> error)
    {
        if (From is null) error("from", "give the builder of the larger memory, e.g. from: {name: dm, iterations: 200}");
        else if (From.Name == "shrink") error("from", "a shrink of a shrink: give the inner builder directly");
    }
}

/// <summary>
/// <c>shrink</c>: a memory built from a larger memory instead of from the real data, as YOCO prunes a condensed set
/// (He et al. 2023: a DM/IDC set of 50 per class pruned to 10 keeps more accuracy than condensing 10 directly). Builds
/// <c>from</c> at <c>from_ipc</c> images per class on the request's data, then runs the <c>by</c> selector on that
/// memory as its source with the request's budget. The result keeps the larger memory's kind: a subset of a synthetic
/// set is a synthetic set; a subset of a selection is a selection of the original indices (with the inner selector's
/// scores and weights).
/// </summary>
public sealed class ShrinkBuilder(ShrinkOptions options, MemoryBuilderRegistry registry) : IMemoryBuilder
{
    public MemorySet Build(MemoryRequest request, CancellationToken cancellationToken)
    {
        var from = options.From ?? throw new CondensaException("shrink: 'from' is required (the builder of the larger memory)");
        if (request.Budget.Ipc is int ipc && ipc > options.FromIpc)
            throw new CondensaException($"shrink: the budget of {ipc} images per class exceeds from_ipc = {options.FromIpc}", "raise from_ipc or lower the budget");
        using var larger = registry.Create(from).Build(With(request, from.Name, request.Source, Budget.ImagesPerClass(options.FromIpc), "from"), cancellationToken);
        using var source = larger.Stored(request.Source);   // the selector picks stored images (a multi-formation set is pruned as stored)
        var by = options.By;
        // a fresh cache: the inner selector's recordings belong to the larger memory, not to the request's data
        using var cache = new InMemoryArtifactCache();
        using var built = registry.Create(by).Build(With(request, by.Name, source, request.Budget, "by", cache), cancellationToken);
        var picked = built as SelectedMemory
                     ?? throw new CondensaException($"shrink: by = '{by.Name}' must be a selector (it returned learned images)");
        return larger switch
        {
            SelectedMemory selection => picked with { Indices = picked.Indices.Select(i => selection.Indices[i]).ToArray() },
            SyntheticMemory synthetic => Subset(synthetic, picked.Indices),
            _ => throw new InvalidOperationException($"unknown memory kind {larger.GetType().Name}"),
        };
    }

    private static SyntheticMemory Subset(SyntheticMemory synthetic, long[] indices)
    {
        using var idx = tensor(indices, device: synthetic.Images.device);
        return synthetic with { Images = synthetic.Images.index_select(0, idx).DetachFromDisposeScope(), Labels = synthetic.Labels.index_select(0, idx).DetachFromDisposeScope() };
    }

    private static MemoryRequest With(MemoryRequest request, string method, Data.LabeledDataset source, Budget budget, string stage, IArtifactCache? cache = null) => new()
    {
        Method = method, Source = source, Budget = budget, Classes = request.Classes, Architecture = request.Architecture, Device = request.Device,
        Seed = Seeds.Derive(request.Seed, stage), Progress = request.Progress, Log = request.Log, Cache = cache ?? request.Cache,
        CheckpointDirectory = request.CheckpointDirectory is { } dir ? Path.Combine(dir, stage) : null,
    };
}
