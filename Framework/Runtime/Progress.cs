namespace Condensa.Runtime;

/// <summary>Reports long work (epochs, iterations, candidates): a bar on a terminal, plain lines otherwise.</summary>
public interface IProgressSink
{
    IProgressTask Start(string description, double total);
}

public interface IProgressTask : IDisposable
{
    void Increment(double amount = 1);
    /// <summary>Replaces the status text shown beside the bar (e.g. the current loss).</summary>
    void Status(string status);
}

public sealed class NullProgress : IProgressSink, IProgressTask
{
    public static readonly NullProgress Instance = new();
    public IProgressTask Start(string description, double total) => this;
    public void Increment(double amount = 1) { }
    public void Status(string status) { }
    public void Dispose() { }
}
