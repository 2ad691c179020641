namespace Condensa.Study;

/// <summary>
/// The files of run folders that a study store shares with workers on other machines (memories, for one): table
/// <c>condensa_files</c> (run id, path, bytes) in the store's database, written and read in the store's transactions.
/// </summary>
internal sealed class RunFileStore(StudyStorage store)
{
    /// <summary>The table, with <paramref name="blobColumn"/> the database's type of raw bytes.</summary>
    internal static string Ddl(string blobColumn) => $"""
        CREATE TABLE IF NOT EXISTS condensa_files (
            run_id TEXT NOT NULL,
            path TEXT NOT NULL,
            bytes {blobColumn} NOT NULL,
            PRIMARY KEY (run_id, path))
        """;

    /// <summary>Stores (or replaces) files of the run <paramref name="runId"/> in one transaction: all of them or none.</summary>
    public void Put(string runId, IReadOnlyList<(string Path, byte[] Bytes)> files) => store.Write("storing run files", (c, tx) =>
    {
        foreach (var (path, bytes) in files)
            StudyStorage.Execute(c, tx, "INSERT INTO condensa_files (run_id, path, bytes) VALUES (@run, @path, @bytes) " +
                                        "ON CONFLICT (run_id, path) DO UPDATE SET bytes = excluded.bytes", ("@run", runId), ("@path", path), ("@bytes", bytes));
        return 0;
    });

    /// <summary>The files of run <paramref name="runId"/> under <paramref name="folder"/> (a relative path with '/' separators).</summary>
    public IReadOnlyList<(string Path, byte[] Bytes)> Get(string runId, string folder) => store.Read("reading run files", (c, tx) =>
    {
        using var command = StudyStorage.Command(c, tx,
            "SELECT path, bytes FROM condensa_files WHERE run_id = @run AND (path = @path OR substr(path, 1, @length) = @prefix) ORDER BY path",
            ("@run", runId), ("@path", folder), ("@length", folder.Length + 1), ("@prefix", folder + "/"));
        using var reader = command.ExecuteReader();
        var files = new List<(string, byte[])>();
        while (reader.Read()) files.Add((reader.GetString(0), (byte[])reader.GetValue(1)));
        return files;
    });
}
