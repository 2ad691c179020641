using Condensa.Config;
using Condensa.Memory;
using Condensa.Methods.Synthesis;

namespace Condensa.Scenarios.Comparison;

/// <summary>
/// Rows of one synthesizer whose options differ only in <c>iterations</c> form a sweep: accuracy against iterations.
/// Each of its builds continues the synthesis of the sweep's longest shorter row listed before it (from that row's
/// checkpoint) instead of starting over, so rows of 100, 300 and 600 iterations cost 600 iterations of synthesis, and
/// its build time counts the iterations it continued. The rows' memories are those of their own configs: a resumed
/// synthesis gives an uninterrupted one's images.
/// </summary>
internal sealed class IterationSweeps
{
    private readonly Dictionary<string, (string Sweep, MethodSpec? Previous)> _members = [];

    public IterationSweeps(IReadOnlyList<MethodSpec> builders)
    {
        var sweeps = builders.Where(b => Iterations(b) is not null).GroupBy(Lineage).Where(g => g.Select(b => Iterations(b)).Distinct().Count() > 1).ToList();
        var names = new HashSet<string>();
        foreach (var sweep in sweeps)
        {
            var members = sweep.ToList();
            string name = Name(members);
            for (int n = 2; !names.Add(name); n++) name = $"{Name(members)} #{n}";
            for (int i = 0; i < members.Count; i++)
            {
                var previous = members.Take(i).Where(b => Iterations(b) < Iterations(members[i])).MaxBy(b => Iterations(b));
                _members[members[i].DisplayName] = (name, previous);
            }
        }
    }

    /// <summary>The iteration count of a synthesizer's row; null for other builders.</summary>
    public static int? Iterations(MethodSpec builder) => builder.Options is SynthesisOptions synthesis ? synthesis.Iterations : null;

    /// <summary>The name of the sweep <paramref name="builder"/>'s row belongs to, or null.</summary>
    public string? SweepOf(MethodSpec builder) => _members.TryGetValue(builder.DisplayName, out var m) ? m.Sweep : null;

    /// <summary>The row whose synthesis <paramref name="builder"/>'s continues, or null.</summary>
    public MethodSpec? Previous(MethodSpec builder) => _members.TryGetValue(builder.DisplayName, out var m) ? m.Previous : null;

    /// <summary>What the rows of one sweep share: the builder and every option but <c>iterations</c>.</summary>
    private static string Lineage(MethodSpec builder)
    {
        var options = MemoryStore.OptionsJson(builder.Options);
        options.Remove("iterations");
        return $"{builder.Name}|{options.ToJsonString()}";
    }

    /// <summary>The rows' labels' common beginning without a cut number or trailing separators (dm-f2-100, dm-f2-1000: dm-f2), else the builder's name.</summary>
    private static string Name(IReadOnlyList<MethodSpec> members)
    {
        var labels = members.Select(b => b.DisplayName).ToList();
        int n = labels.Min(l => l.Length);
        int common = Enumerable.Range(0, n).FirstOrDefault(i => labels.Any(l => l[i] != labels[0][i]), n);
        // a cut inside a number (dm-100, dm-1000) keeps none of it
        while (common > 0 && char.IsDigit(labels[0][common - 1]) && labels.Any(l => l.Length > common && char.IsDigit(l[common]))) common--;
        var prefix = labels[0][..common].TrimEnd('-', '_', ' ', '@', '=');
        return prefix.Length > 0 ? prefix : members[0].Name;
    }
}
