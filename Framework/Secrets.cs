using System.Text.RegularExpressions;

namespace Condensa;

/// <summary>
/// Passwords kept out of everything Condensa shows or writes for people (logs, results, the dashboard, the owner file):
/// the password of a URL's user-info part and every password-like query parameter (<c>password</c>, <c>pwd</c>,
/// <c>psw</c>, <c>sslpassword</c>, which a PostgreSQL URL passes on to its connection string).
/// </summary>
internal partial class Secrets
{
    /// <summary><paramref name="url"/> with its passwords replaced by <c>***</c>.</summary>
    public static string MaskUrl(string url) => QueryPassword().Replace(UserInfoPassword().Replace(url, "${head}***@", 1), "${key}=***");

    /// <summary><paramref name="text"/> with every URL in it masked as <see cref="MaskUrl"/> does.</summary>
    public static string Mask(string text) => AnyUrl().Replace(text, m => MaskUrl(m.Value));

    [GeneratedRegex("^(?<head>[A-Za-z][A-Za-z0-9+.-]*://[^:/@]*:).*@")]
    private static partial Regex UserInfoPassword();

    [GeneratedRegex(@"(?<=[?&])(?<key>(?:[A-Za-z%0-9_+.-]*password|pwd|psw))=[^&#\s'""]*", RegexOptions.IgnoreCase)]
    private static partial Regex QueryPassword();

    /// <summary>A URL in running text: up to white space or a quote, without trailing punctuation.</summary>
    [GeneratedRegex(@"[A-Za-z][A-Za-z0-9+.-]*://[^\s'""<>]*[^\s'""<>,.;:!?)\]]")]
    private static partial Regex AnyUrl();
}
