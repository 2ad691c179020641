using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Condensa.Study;

/// <summary>
/// A study store in one SQLite file, for workers on one machine (SQLite's locking does not work over NFS; use
/// PostgreSQL across machines). Against Optuna's "database is locked" failures (optuna#820, #4994; its FAQ advises
/// against SQLite for parallel runs): WAL journal (readers never block the writer, so watching a live study is
/// safe), a busy timeout on every connection, write transactions that take the lock up front
/// (<c>BEGIN IMMEDIATE</c>: no deadlocking lock upgrade) and stay a few statements short, and a retry with
/// exponential backoff on SQLITE_BUSY. <c>synchronous=NORMAL</c> is safe against a killed process in WAL mode.
/// </summary>
internal class SqliteStorage : StudyStorage
{
    private const int BusyTimeoutMs = 5000;
    private readonly string _connectionString;

    /// <summary>Opens (creating if needed) the file at <paramref name="path"/>; <paramref name="url"/> is how it was named, for messages.</summary>
    public SqliteStorage(string path, string? url = null) : this(
        new SqliteConnectionStringBuilder { DataSource = Path.GetFullPath(path), Mode = SqliteOpenMode.ReadWriteCreate, Pooling = true }.ToString(),
        url ?? path, journalMode: "WAL")
    {
    }

    private protected SqliteStorage(string connectionString, string url, string journalMode) : base(url)
    {
        _connectionString = connectionString;
        try
        {
            // journal_mode is a property of the file and cannot change inside a transaction: set first, on its own.
            Run("opening the store", c => Pragma(c, $"journal_mode={journalMode}"), OpenHint);
            EnsureSchema();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    private protected override T WithConnection<T>(Func<DbConnection, T> work)
    {
        using var connection = new SqliteConnection(_connectionString);
        connection.Open();
        Configure(connection);
        return work(connection);
    }

    private protected static void Configure(SqliteConnection connection)
    {
        Pragma(connection, $"busy_timeout={BusyTimeoutMs}");
        Pragma(connection, "synchronous=NORMAL");
    }

    private protected static int Pragma(DbConnection connection, string pragma)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA " + pragma;
        command.ExecuteNonQuery();
        return 0;
    }

    private protected override DbTransaction BeginWrite(DbConnection connection) => ((SqliteConnection)connection).BeginTransaction(deferred: false);

    private protected override DbTransaction BeginRead(DbConnection connection) => ((SqliteConnection)connection).BeginTransaction(deferred: true);

    private protected override bool IsTransient(DbException exception) =>
        exception is SqliteException { SqliteErrorCode: SQLitePCL.raw.SQLITE_BUSY or SQLitePCL.raw.SQLITE_LOCKED };

    private protected override string OpenHint => new SqliteConnectionStringBuilder(_connectionString).DataSource is var file && file.StartsWith(':')
        ? "Check that the file is an SQLite database."
        : $"Check that the folder of {file} exists and is writable. If the file is damaged or not a study store, move it aside " +
          $"(mv '{file}' '{file}.bad') and run the same command again: the run's units start over, and memories already in its run folder are reused.";

    private protected override string IdColumn => "INTEGER PRIMARY KEY";

    private protected override string BlobColumn => "BLOB";

    private protected override string Now => "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)";

    private protected override string SchemaTableCountSql => "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'condensa_schema'";

    private protected override string SkipLockedClause => "";

    private protected override string ForUpdateClause => "";

    public override void Dispose()
    {
        using var connection = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(connection);
        GC.SuppressFinalize(this);
    }
}
