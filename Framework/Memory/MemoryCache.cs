using System.Diagnostics;
using Condensa.Data;
using Condensa.Hosting.Config;

namespace Condensa.Memory;

/// <summary>
/// Builds a memory once per folder: a memory that an earlier (possibly interrupted) run saved there with
/// <see cref="MemoryStore"/> is loaded instead of rebuilt, so a re-run only computes what is missing. It is reused only
/// when the same builder with the same options and seed built it from a source of the same name; otherwise it is
/// rebuilt and overwritten (a changed config never reads a stale memory).
/// </summary>
public static class MemoryCache
{
    /// <returns>The memory and the seconds its build took (as recorded when it was built).</returns>
    public static (MemorySet Memory, double BuildSeconds) BuildOrLoad(string dir, LabeledDataset source, Func<MemorySet> build, MethodSpec spec, long seed)
    {
        if (File.Exists(Path.Combine(dir, MemoryStore.MetadataFile)))
        {
            var stored = MemoryStore.Load(dir);
            var meta = stored.Metadata;
            if (meta.Method == spec.Name && meta.Seed == seed && meta.Source == source.Name
                && meta.Options?.ToJsonString() == MemoryStore.OptionsJson(spec.Options).ToJsonString())
                return (stored.Memory, meta.Seconds);
        }
        var clock = Stopwatch.StartNew();
        var memory = build();
        double seconds = clock.Elapsed.TotalSeconds;
        MemoryStore.Save(dir, memory, source, new MemoryInfo(spec.Name, spec.Options, seed, Seconds: seconds));
        return (memory, seconds);
    }

    /// <summary>
    /// A short hash of what decides a memory built by <see cref="BuildOrLoad"/> (builder, options, seed, source), so that
    /// results derived from a memory (e.g. its evaluations) can be keyed by it and are never read for a rebuilt one.
    /// </summary>
    public static string Identity(MethodSpec spec, long seed, LabeledDataset source) =>
        Seeds.Key(seed, $"{spec.Name}|{MemoryStore.OptionsJson(spec.Options).ToJsonString()}|{source.Name}");
}
