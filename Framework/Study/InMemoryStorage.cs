using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Condensa.Study;

/// <summary>
/// A study store that lives in this process only (Optuna's <c>InMemoryStorage</c>; tests, single-process use):
/// a private in-memory SQLite database behind one connection and a lock, so it runs exactly the SQL of the file
/// store. Thread-safe: many worker threads may share it.
/// </summary>
internal sealed class InMemoryStorage : SqliteStorage
{
    private const string MemoryConnection = "Data Source=:memory:";

    // Initialized before the base constructor runs (C# runs field initializers first), which already uses it.
    private readonly SqliteConnection _connection = OpenShared();
    private readonly Lock _gate = new();

    public InMemoryStorage() : base(MemoryConnection, "memory", journalMode: "MEMORY")
    {
    }

    private static SqliteConnection OpenShared()
    {
        var connection = new SqliteConnection(MemoryConnection);
        connection.Open();
        Configure(connection);
        return connection;
    }

    private protected override T WithConnection<T>(Func<DbConnection, T> work)
    {
        lock (_gate) return work(_connection);
    }

    public override void Dispose() => _connection.Dispose();
}
