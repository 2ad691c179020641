namespace Condensa;

/// <summary>
/// An error the user can fix (bad config, missing or corrupt data file, unknown method). The CLI prints its message
/// as one paragraph without a stack trace; <see cref="Hint"/> (when set) tells how to fix it.
/// </summary>
public class CondensaException : Exception
{
    public CondensaException(string message, string? hint = null, Exception? inner = null) : base(message, inner) => Hint = hint;

    public string? Hint { get; }
}
