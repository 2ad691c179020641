namespace Condensa.Memory;

/// <summary>
/// The run folder as the memory pipeline needs it: where memories, checkpoints and shared artifacts live, and how one
/// of its folders is held by one worker, brought from and published to the other workers of the run.
/// </summary>
public interface IMemoryFiles
{
    /// <summary>The folder that holds <c>memories/</c>, <c>checkpoints/</c> and <c>artifacts/</c>.</summary>
    string Root { get; }

    /// <summary>Holds <paramref name="folder"/> (relative) for this process until disposed; waits while another holds it.</summary>
    IDisposable Lock(string folder, CancellationToken cancellationToken);

    /// <summary>Makes the folder as another worker published it present here (nothing when workers share the folder itself).</summary>
    void Fetch(string folder);

    /// <summary>Makes the folder as written here visible to the other workers (nothing when they share the folder itself).</summary>
    void Publish(string folder);
}
