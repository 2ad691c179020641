using System.Security.Cryptography;
using System.Text;

namespace Condensa;

/// <summary>
/// A content hash naming what a result depends on (a memory's identity, a work unit's key): 16 hex digits of SHA-256,
/// so equal texts give equal names on every machine and different texts practically never collide.
/// </summary>
internal static class Fingerprint
{
    public static string Of(string text) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16].ToLowerInvariant();
}
