using System.Buffers.Binary;
using System.IO.Compression;

namespace Condensa.Data;

/// <summary>File access shared by the readers: existence checks with a user-facing message, and gzip detection.</summary>
internal static class DataFiles
{
    /// <summary>The folder, or a <see cref="CondensaException"/> naming it (with <paramref name="hint"/>).</summary>
    public static string RequireFolder(string folder, string what, string? hint = null) =>
        Directory.Exists(folder) ? folder : throw new CondensaException($"{what} folder not found: {folder}", hint);

    /// <summary>The first of <paramref name="candidates"/> (file names inside <paramref name="folder"/>) that exists.</summary>
    public static string FindFile(string folder, IReadOnlyList<string> candidates, string what, string? hint = null)
    {
        foreach (var name in candidates)
        {
            var path = Path.Combine(folder, name);
            if (File.Exists(path)) return path;
        }
        var tried = string.Join(" or ", candidates);
        throw new CondensaException($"{what} file not found: {Path.Combine(folder, candidates[0])} (looked for {tried} in {folder})", hint);
    }

    /// <summary>
    /// The bytes of a file, decompressed when it starts with the gzip magic 0x1f 0x8b (whatever its extension).
    /// The returned array may be longer than <c>Length</c> (it is the decompression buffer, not a copy).
    /// </summary>
    public static (byte[] Bytes, int Length) ReadBytes(string path)
    {
        if (!File.Exists(path)) throw new CondensaException($"file not found: {path}");
        var raw = File.ReadAllBytes(path);
        if (raw.Length < 2 || raw[0] != 0x1f || raw[1] != 0x8b) return (raw, raw.Length);
        try
        {
            // The gzip trailer stores the uncompressed size modulo 2^32: a good capacity for one-member files
            // (capped by deflate's maximal ratio of about 1032:1, so a corrupt trailer cannot ask for gigabytes).
            var stated = raw.Length >= 18 ? BinaryPrimitives.ReadUInt32LittleEndian(raw.AsSpan(raw.Length - 4)) : 0;
            var capacity = (int)Math.Min(Math.Min(stated, raw.Length * 1032L), Array.MaxLength);
            using var output = new MemoryStream(capacity);
            using (var gzip = new GZipStream(new MemoryStream(raw), CompressionMode.Decompress))
                gzip.CopyTo(output);
            return (output.GetBuffer(), (int)output.Length);
        }
        catch (InvalidDataException e)
        {
            throw new CondensaException($"{path}: corrupt gzip data ({e.Message})", inner: e);
        }
    }
}
