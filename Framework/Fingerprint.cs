using System.Security.Cryptography;
using System.Text;
using static TorchSharp.torch;

namespace Condensa;

/// <summary>
/// A content hash naming what a result depends on (a memory's identity, a work unit's key): 16 hex digits of SHA-256,
/// so equal inputs give equal names on every machine and different inputs practically never collide.
/// </summary>
internal static class Fingerprint
{
    public static string Of(string text) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16].ToLowerInvariant();

    /// <summary>The hash of the tensors' shapes, element types and values, in order (each below 2 GB).</summary>
    public static string Of(params Tensor[] tensors)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var t in tensors)
        {
            hash.AppendData(Encoding.UTF8.GetBytes($"{t.dtype} [{string.Join(",", t.shape)}];"));
            using var scope = NewDisposeScope();
            hash.AppendData(t.cpu().contiguous().bytes);
        }
        return Convert.ToHexString(hash.GetHashAndReset())[..16].ToLowerInvariant();
    }
}
