using TorchSharp;
using static TorchSharp.torch;

namespace Condensa.Methods.Selection.Kernels;

/// <summary>Runs a selector class by class (balanced budgets) on the rows of a feature tensor.</summary>
public static class PerClass
{
    /// <summary>
    /// For every class c with samples, calls <paramref name="selectInClass"/>(c, rows of <paramref name="features"/>
    /// at <paramref name="classIndices"/>[c]) and maps the returned local row numbers back to dataset indices.
    /// The result lists the classes in order, each in the selector's order. The class rows are disposed after the call.
    /// </summary>
    public static long[] Select(Tensor features, IReadOnlyList<int[]> classIndices, Func<int, Tensor, long[]> selectInClass)
    {
        var selected = new List<long>();
        for (var c = 0; c < classIndices.Count; c++)
        {
            var members = classIndices[c];
            if (members.Length == 0) continue;
            long[] local;
            using (NewDisposeScope())
            {
                var rows = features.index_select(0, tensor(members.Select(i => (long)i).ToArray(), device: features.device));
                local = selectInClass(c, rows);
            }
            selected.AddRange(local.Select(i => (long)members[i]));
        }
        return selected.ToArray();
    }
}
