namespace Condensa;

/// <summary>
/// Every random stream of a run derives from the one recorded master seed and a stream name
/// (<c>Derive(seed, "model/3")</c>): independent streams, reproducible runs, nothing seeded from the clock.
/// </summary>
public static class Seeds
{
    public static long Derive(long master, string stream)
    {
        ulong h = 14695981039346656037UL; // FNV-1a over the stream name
        foreach (char c in stream) { h ^= c; h *= 1099511628211UL; }
        return (long)(SplitMix64((ulong)master ^ h) & long.MaxValue);
    }

    public static long Derive(long master, string stream, int index) => Derive(master, $"{stream}/{index}");

    /// <summary>An 8-hex-digit key of <paramref name="text"/> under <paramref name="master"/>, for names of files that cache results of these settings.</summary>
    public static string Key(long master, string text) => ((ulong)Derive(master, text)).ToString("x16")[..8];

    private static ulong SplitMix64(ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }
}
