using System.Text.RegularExpressions;

namespace Condensa;

/// <summary>
/// What went wrong, in words a user reads: a <see cref="CondensaException"/>'s own message, a file-system error as
/// "PATH: why" ("permission denied", "no such file or folder"), anything else as its message. A .NET type name reaches
/// the user only for an error Condensa does not expect (a bug to report).
/// </summary>
internal partial class Errors
{
    /// <summary>The sentence for <paramref name="error"/>, then its hint on a line of its own when it has one.</summary>
    public static string Describe(Exception error) =>
        (error as CondensaException)?.Hint is { } hint ? $"{Sentence(error)}\nhint: {hint}" : Sentence(error);

    /// <summary>One sentence for <paramref name="error"/>, without its hint.</summary>
    public static string Sentence(Exception error)
    {
        if (error is CondensaException) return error.Message;
        if (error is not (IOException or UnauthorizedAccessException)) return $"unexpected error ({error.GetType().Name}): {error.Message}";
        string? path = (error as FileNotFoundException)?.FileName ?? (QuotedPath().Match(error.Message) is { Success: true } m ? m.Groups["path"].Value : null);
        return path is null ? $"{Reason(error)} ({error.Message})" : $"{path}: {Reason(error)}";
    }

    /// <summary>Why a file-system operation failed, in a few words.</summary>
    public static string Reason(Exception error) => error switch
    {
        UnauthorizedAccessException => "permission denied",
        FileNotFoundException or DirectoryNotFoundException => "no such file or folder",
        PathTooLongException => "the path is too long",
        IOException when error.Message.Contains("already exists", StringComparison.Ordinal) => "a file of that name already exists",
        IOException when error.Message.Contains("No space left", StringComparison.Ordinal) => "the disk is full",
        IOException when error.Message.Contains("Read-only file system", StringComparison.Ordinal) => "the file system is read-only",
        _ => error.Message.TrimEnd('.'),
    };

    [GeneratedRegex("'(?<path>[^']+)'")]
    private static partial Regex QuotedPath();
}
