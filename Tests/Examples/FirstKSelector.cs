// docs:begin selector
using System.ComponentModel.DataAnnotations;
using Condensa.Memory;

namespace Condensa.Tests.Examples;

/// <summary>The options of <c>first-k</c>; a config sets them as <c>{name: first-k, skip: 1}</c>.</summary>
public sealed class FirstKOptions
{
    /// <summary>Samples of each class passed over before the first one taken.</summary>
    [Range(0, 1_000_000)] public int Skip { get; set; }
}

/// <summary>The first samples of each class in dataset order, after the first <c>skip</c>: a class-balanced selector.</summary>
public sealed class FirstKSelector(FirstKOptions options) : IMemoryBuilder
{
    public MemorySet Build(MemoryRequest request, CancellationToken cancellationToken)
    {
        if (!request.Budget.Balanced)
            throw new CondensaException($"{request.Method}: only class-balanced budgets are supported", "remove 'balanced: false' from the config");
        var picked = new List<long>();
        foreach (var c in request.TargetClasses)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var members = request.Source.IndicesOfClass(c); // ascending dataset indices
            int k = request.Budget.PerClass(members.Length);
            picked.AddRange(members.Skip(options.Skip).Take(k).Select(i => (long)i));
        }
        return new SelectedMemory(picked.ToArray());
    }
}
// docs:end selector
