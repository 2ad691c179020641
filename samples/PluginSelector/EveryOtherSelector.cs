// docs:begin selector
using System.ComponentModel.DataAnnotations;
using Condensa;
using Condensa.Memory;

namespace Samples;

/// <summary>The options of <c>every-other</c>; a config sets them as <c>{name: every-other, offset: 1}</c>.</summary>
public sealed class EveryOtherOptions
{
    /// <summary>Images of each class passed over before the first one taken.</summary>
    [Range(0, 1_000_000)] public int Offset { get; set; }
}

/// <summary>
/// A class-balanced selector: of each class's images in dataset order, after the first <c>offset</c>, every other one
/// (the 1st, 3rd, 5th, ...) until the budget is filled.
/// </summary>
public sealed class EveryOtherSelector(EveryOtherOptions options) : IMemoryBuilder
{
    public MemorySet Build(MemoryRequest request, CancellationToken cancellationToken)
    {
        var picked = new List<long>();
        foreach (var c in request.TargetClasses)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var members = request.Source.IndicesOfClass(c);
            int k = request.Budget.PerClass(members.Length);
            var candidates = members.Skip(options.Offset).Where((_, i) => i % 2 == 0).ToArray();
            if (candidates.Length < k)
                throw new CondensaException($"every-other: class {c} has {members.Length} images, too few for {k} with offset {options.Offset}", "lower the budget or the offset");
            picked.AddRange(candidates.Take(k).Select(i => (long)i));
        }
        return new SelectedMemory(picked.ToArray());
    }
}
// docs:end selector
