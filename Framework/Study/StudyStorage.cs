using System.Data;
using System.Data.Common;
using System.Diagnostics;

namespace Condensa.Study;

/// <summary>
/// Where studies live, shared by every worker: <see cref="SqliteStorage"/> (a file; the default), <see cref="PostgresStorage"/>
/// (many machines) or <see cref="InMemoryStorage"/> (one process). All three run the same SQL; only the
/// connection, the clock, the transaction start and the claim's row locking differ.
/// <para>
/// Consistency: every change is one short transaction, so a worker killed at any instant leaves either the old or
/// the new state. A claim moves exactly one Waiting trial to Running in one statement inside a write transaction
/// (SQLite: <c>BEGIN IMMEDIATE</c>, one writer at a time; PostgreSQL: <c>FOR UPDATE SKIP LOCKED</c>), so no trial
/// runs twice and none is lost. Every write a worker makes to its trial is guarded by (state Running, worker,
/// attempt), so a worker whose trial was re-queued cannot overwrite the new run. Reads take no write lock (SQLite
/// WAL readers and PostgreSQL plain SELECTs never block writers): watching a live study is safe.
/// </para>
/// <para>
/// Tables (schema version 3, created when missing; a store of version 1 or 2 is upgraded in place):
/// <c>condensa_studies</c> (name unique, direction, user attributes JSON, created_at), <c>condensa_trials</c> (study,
/// number unique per study, state, params JSON, value (NULL stands for NaN, which SQLite cannot store), attempts,
/// worker, started_at, heartbeat_at, finished_at, error, user attributes JSON, the unit's key and the number of the
/// trial it waits for) and <c>condensa_files</c> (<see cref="RunFileStore"/>). Times are Unix milliseconds from the database's clock.
/// </para>
/// <para>
/// Work units (<see cref="WorkUnit"/>): a trial may wait for another trial of its study (<c>after_number</c>); a
/// claim takes only trials whose prerequisite is Complete, and a trial whose prerequisite failed fails with it. A unit
/// created with a key that a Complete unit of the store already has is created Complete, with that unit's value and
/// attributes (its result is reused, not recomputed).
/// </para>
/// </summary>
public abstract partial class StudyStorage : IDisposable
{
    internal const int SchemaVersion = 3;

    /// <summary>How long a write keeps retrying while the database is busy (locked by another writer).</summary>
    private static readonly TimeSpan RetryBudget = TimeSpan.FromSeconds(60);

    private protected StudyStorage(string url) => Url = url;

    /// <summary>The store's URL with any password masked (<c>postgresql://user:***@host/db</c>): safe to print.</summary>
    public string Url { get; }

    /// <summary>
    /// Opens a store by URL: <c>sqlite:///abs/path.db</c>, <c>sqlite:relative/path.db</c>, a bare <c>*.db</c> path, or
    /// <c>postgresql://user:pass@host:port/db</c> (also <c>postgres://</c>; <c>?key=value</c> options are Npgsql
    /// connection-string keywords such as <c>sslmode=require</c>). Creates the schema when missing. Note: unlike
    /// SQLAlchemy, <c>sqlite:///x.db</c> is the absolute path <c>/x.db</c>. A malformed URL or a store that cannot be
    /// opened gives a <see cref="CondensaException"/> naming the URL with the password masked.
    /// </summary>
    public static StudyStorage Open(string url)
    {
        string text = url.Trim();
        if (text.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase) || text.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase))
            return PostgresStorage.FromUrl(text);
        if (SqliteFile(text) is { } file) return new SqliteStorage(file, text);
        throw Malformed(text, "unknown form");
    }

    /// <summary>The file a SQLite store URL names (<c>sqlite:PATH</c>, <c>sqlite:///PATH</c>, <c>PATH.db</c>), or null for other stores.</summary>
    public static string? SqliteFile(string url)
    {
        string text = url.Trim();
        if (text.StartsWith("sqlite:", StringComparison.OrdinalIgnoreCase))
        {
            string rest = text["sqlite:".Length..];
            if (rest.StartsWith("//", StringComparison.Ordinal))
            {
                rest = rest[2..];
                if (!rest.StartsWith('/')) throw Malformed(text, "a sqlite URL with '//' needs an absolute path after it (sqlite:///abs/path.db)");
            }
            if (rest.Length == 0) throw Malformed(text, "it names no file");
            return rest;
        }
        return !text.Contains("://", StringComparison.Ordinal) && text.EndsWith(".db", StringComparison.OrdinalIgnoreCase) ? text : null;
    }

    /// <summary>How the error of a unit that failed because the unit it waited for failed begins (the number follows).</summary>
    public const string PrerequisiteFailed = "waits for unit ";

    internal static CondensaException Malformed(string url, string problem) => new(
        $"Malformed study store URL '{Secrets.MaskUrl(url)}': {problem}.",
        "Use sqlite:///abs/path.db, sqlite:relative.db, path/to/file.db, or postgresql://user:pass@host:port/db.");

    /// <summary>The run-folder files this store shares with workers on other machines.</summary>
    internal RunFileStore Files => new(this);

    public abstract void Dispose();

    // ---- dialect -------------------------------------------------------------------------------------------------

    /// <summary>Runs <paramref name="work"/> on an open connection (a pooled one, or the single in-memory one under a lock).</summary>
    private protected abstract T WithConnection<T>(Func<DbConnection, T> work);

    /// <summary>A transaction that holds the write lock from its start (SQLite <c>BEGIN IMMEDIATE</c>).</summary>
    private protected abstract DbTransaction BeginWrite(DbConnection connection);

    /// <summary>A read-only snapshot that takes no write lock.</summary>
    private protected abstract DbTransaction BeginRead(DbConnection connection);

    /// <summary>Whether retrying the transaction may succeed (a busy database, a deadlock).</summary>
    private protected abstract bool IsTransient(DbException exception);

    /// <summary>The definition of an auto-numbered 64-bit primary key column.</summary>
    private protected abstract string IdColumn { get; }

    /// <summary>An SQL expression for the database clock in Unix milliseconds (constant within a statement).</summary>
    private protected abstract string Now { get; }

    /// <summary>The row-lock clause of the claim's inner SELECT (empty when the write transaction already serializes).</summary>
    private protected abstract string SkipLockedClause { get; }

    /// <summary>The row-lock clause of a read-then-write inside a write transaction.</summary>
    private protected abstract string ForUpdateClause { get; }

    /// <summary>The column type of raw bytes (SQLite <c>BLOB</c>, PostgreSQL <c>BYTEA</c>).</summary>
    private protected abstract string BlobColumn { get; }

    /// <summary>A query counting the tables named condensa_schema (0 or 1) visible to this connection.</summary>
    private protected abstract string SchemaTableCountSql { get; }

    /// <summary>Serializes concurrent schema creation where DDL alone does not.</summary>
    private protected virtual void LockSchema(DbConnection connection, DbTransaction transaction) { }

    /// <summary><paramref name="message"/> without secrets (the password of the URL).</summary>
    private protected virtual string Sanitize(string message) => message;

    // ---- transactions and errors ---------------------------------------------------------------------------------

    internal T Write<T>(string operation, Func<DbConnection, DbTransaction, T> work, string? hint = null) =>
        Retry(operation, hint, () => WithConnection(connection =>
        {
            using var transaction = BeginWrite(connection);
            var result = work(connection, transaction);
            transaction.Commit();
            return result;
        }));

    private protected T Run<T>(string operation, Func<DbConnection, T> work, string? hint = null) => Retry(operation, hint, () => WithConnection(work));

    internal T Read<T>(string operation, Func<DbConnection, DbTransaction, T> work, string? hint = null) =>
        Retry(operation, hint, () => WithConnection(connection =>
        {
            using var transaction = BeginRead(connection);
            return work(connection, transaction);
        }));

    private T Retry<T>(string operation, string? hint, Func<T> attempt)
    {
        var clock = Stopwatch.StartNew();
        var delay = TimeSpan.FromMilliseconds(10);
        while (true)
        {
            try
            {
                return attempt();
            }
            catch (DbException e) when (IsTransient(e) && clock.Elapsed < RetryBudget)
            {
                Thread.Sleep(delay + TimeSpan.FromMilliseconds(Random.Shared.Next((int)delay.TotalMilliseconds + 1)));
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 1000));
            }
            catch (DbException e)
            {
                throw Failure(operation, e, IsTransient(e)
                    ? $"The database stayed busy for {RetryBudget.TotalSeconds:0} s. Too many workers on one SQLite file? Use PostgreSQL."
                    : hint);
            }
        }
    }

    /// <summary>What to check when a store cannot be opened.</summary>
    private protected abstract string OpenHint { get; }

    private protected CondensaException Failure(string operation, Exception e, string? hint) =>
        new($"Study store {Url}: {operation} failed: {Sanitize(e.Message)}", hint, e);

    // ---- schema --------------------------------------------------------------------------------------------------

    /// <summary>
    /// Checks the schema version with a plain read and, only when the tables are missing or older, creates or
    /// upgrades them in a write transaction (so opening a live store to watch it takes no write lock). Every subclass
    /// constructor calls it.
    /// </summary>
    private protected void EnsureSchema()
    {
        object? ReadVersion(DbConnection c, DbTransaction tx) =>
            Convert.ToInt64(Scalar(c, tx, SchemaTableCountSql)) == 0 ? null : Scalar(c, tx, "SELECT MAX(version) FROM condensa_schema");

        var version = Read("opening the store", ReadVersion, OpenHint);
        if (version is null or DBNull || Convert.ToInt32(version) < SchemaVersion)
            version = Write("creating the schema", (c, tx) =>
            {
                LockSchema(c, tx);
                var existing = ReadVersion(c, tx);
                if (existing is null or DBNull)
                {
                    foreach (string ddl in Ddl()) Execute(c, tx, ddl);
                    Execute(c, tx, $"INSERT INTO condensa_schema (version) VALUES ({SchemaVersion})");
                    return SchemaVersion;
                }
                int from = Convert.ToInt32(existing);
                if (from is < 1 or >= SchemaVersion) return existing;
                foreach (string ddl in (from == 1 ? UpgradeFrom1() : []).Concat(UpgradeFrom2())) Execute(c, tx, ddl);
                Execute(c, tx, $"UPDATE condensa_schema SET version = {SchemaVersion}");
                return SchemaVersion;
            });
        if (Convert.ToInt32(version) != SchemaVersion)
            throw new CondensaException(
                $"Study store {Url} has schema version {version}; this Condensa reads version {SchemaVersion}.",
                "Use the Condensa version that created the store, or a new store.");
    }

    /// <summary>What version 2 added to version 1: work units (key, prerequisite) and shared run files.</summary>
    private IEnumerable<string> UpgradeFrom1() =>
    [
        "ALTER TABLE condensa_trials ADD COLUMN unit_key TEXT",
        "ALTER TABLE condensa_trials ADD COLUMN after_number INTEGER",
        .. UnitDdl(),
    ];

    /// <summary>
    /// What version 3 drops from version 2: the optimizer's parts no scenario used (sampler and pruner configs,
    /// intermediate values, system attributes). A trial a pruner stopped becomes Failed, saying so.
    /// </summary>
    private static IEnumerable<string> UpgradeFrom2() =>
    [
        "UPDATE condensa_trials SET state = 'failed', error = 'pruned by a pruner of an earlier Condensa' WHERE state = 'pruned'",
        "DROP TABLE condensa_trial_values",
        "ALTER TABLE condensa_trials DROP COLUMN system_attrs",
        "ALTER TABLE condensa_studies DROP COLUMN sampler",
        "ALTER TABLE condensa_studies DROP COLUMN pruner",
    ];

    private IEnumerable<string> UnitDdl() =>
    [
        "CREATE INDEX IF NOT EXISTS condensa_trials_by_unit_key ON condensa_trials (unit_key)",
        RunFileStore.Ddl(BlobColumn),
    ];

    private IEnumerable<string> Ddl() =>
    [
        "CREATE TABLE IF NOT EXISTS condensa_schema (version INTEGER NOT NULL)",
        $"""
        CREATE TABLE IF NOT EXISTS condensa_studies (
            id {IdColumn},
            name TEXT NOT NULL UNIQUE,
            direction TEXT NOT NULL,
            user_attrs TEXT NOT NULL,
            created_at BIGINT NOT NULL)
        """,
        $"""
        CREATE TABLE IF NOT EXISTS condensa_trials (
            id {IdColumn},
            study_id BIGINT NOT NULL REFERENCES condensa_studies (id),
            number INTEGER NOT NULL,
            state TEXT NOT NULL,
            params TEXT NOT NULL,
            value DOUBLE PRECISION,
            attempts INTEGER NOT NULL,
            worker TEXT,
            started_at BIGINT,
            heartbeat_at BIGINT,
            finished_at BIGINT,
            error TEXT,
            user_attrs TEXT NOT NULL,
            unit_key TEXT,
            after_number INTEGER,
            UNIQUE (study_id, number))
        """,
        "CREATE INDEX IF NOT EXISTS condensa_trials_by_state ON condensa_trials (study_id, state, number)",
        .. UnitDdl(),
    ];

    // ---- studies -------------------------------------------------------------------------------------------------

    private const string StudyColumns = "id, name, direction, user_attrs";

    internal StoredStudy CreateOrLoadStudy(string name, string direction, string userAttrsJson, IReadOnlyList<EnqueuedTrial> enqueued) =>
        Write($"creating study '{name}'", (c, tx) =>
    {
        var id = Scalar(c, tx,
            $"INSERT INTO condensa_studies (name, direction, user_attrs, created_at) VALUES (@name, @direction, @attrs, {Now}) " +
            "ON CONFLICT (name) DO NOTHING RETURNING id",
            ("@name", name), ("@direction", direction), ("@attrs", userAttrsJson));
        if (id is not null and not DBNull)
        {
            long studyId = Convert.ToInt64(id);
            for (int number = 0; number < enqueued.Count; number++)
            {
                var (parameters, key, after) = enqueued[number];
                var reused = key is null ? null : CompleteUnit(c, tx, key);
                Execute(c, tx,
                    "INSERT INTO condensa_trials (study_id, number, state, params, value, attempts, user_attrs, unit_key, after_number, finished_at) " +
                    $"VALUES (@study, @number, @state, @params, @value, 0, @user, @key, @after, {(reused is null ? "NULL" : Now)})",
                    ("@study", studyId), ("@number", number), ("@state", reused is null ? "waiting" : "complete"), ("@params", parameters),
                    ("@value", reused?.Value ?? double.NaN), ("@user", reused?.UserAttrs ?? "{}"), ("@key", key),
                    ("@after", after is int a ? a : new TypedNull(DbType.Int32)));
            }
        }
        return QueryStudy(c, tx, name)!;
    });

    private sealed record ReusedUnit(double? Value, string UserAttrs);

    /// <summary>A Complete unit with this key anywhere in the store (the oldest), whose result a new unit reuses.</summary>
    private static ReusedUnit? CompleteUnit(DbConnection c, DbTransaction tx, string key)
    {
        using var command = Command(c, tx,
            "SELECT value, user_attrs FROM condensa_trials WHERE unit_key = @key AND state = 'complete' ORDER BY id LIMIT 1", ("@key", key));
        using var reader = command.ExecuteReader();
        return reader.Read() ? new ReusedUnit(reader.IsDBNull(0) ? null : Convert.ToDouble(reader.GetValue(0)), reader.GetString(1)) : null;
    }

    internal StoredStudy? LoadStudy(string name) => Read($"reading study '{name}'", (c, tx) => QueryStudy(c, tx, name));

    /// <summary>The names of the studies in this store.</summary>
    public IReadOnlyList<string> StudyNames() => Read("listing studies", (c, tx) =>
    {
        using var command = Command(c, tx, "SELECT name FROM condensa_studies ORDER BY name");
        using var reader = command.ExecuteReader();
        var names = new List<string>();
        while (reader.Read()) names.Add(reader.GetString(0));
        return names;
    });

    private StoredStudy? QueryStudy(DbConnection c, DbTransaction tx, string name)
    {
        using var command = Command(c, tx, $"SELECT {StudyColumns} FROM condensa_studies WHERE name = @name", ("@name", name));
        using var reader = command.ExecuteReader();
        return reader.Read()
            ? new StoredStudy(Convert.ToInt64(reader.GetValue(0)), reader.GetString(1), reader.GetString(2), reader.GetString(3))
            : null;
    }

    internal string UpdateStudyUserAttrs(long studyId, Func<string, string> update) => Write("setting a study user attribute", (c, tx) =>
    {
        string current = (string)Scalar(c, tx, $"SELECT user_attrs FROM condensa_studies WHERE id = @id{ForUpdateClause}", ("@id", studyId))!;
        string next = update(current);
        Execute(c, tx, "UPDATE condensa_studies SET user_attrs = @attrs WHERE id = @id", ("@attrs", next), ("@id", studyId));
        return next;
    });

    // ---- claims and heartbeats -----------------------------------------------------------------------------------

    private const string Owned = "id = @id AND state = 'running' AND worker = @worker AND attempts = @attempt";

    private static (string, object?)[] LeaseArgs(TrialLease lease) => [("@id", lease.TrialId), ("@worker", lease.Worker), ("@attempt", lease.Attempt)];

    private const string BackToWaiting = "state = 'waiting', worker = NULL, started_at = NULL, heartbeat_at = NULL, user_attrs = '{}'";

    /// <summary>
    /// In one write transaction: re-queues the Running trials of the study whose heartbeat is older than
    /// <paramref name="grace"/> (back to Waiting with their parameters kept and their attributes cleared;
    /// those already started <paramref name="maxAttempts"/> times become Failed instead), fails the Waiting trials whose
    /// prerequisite failed, then claims for <paramref name="worker"/> the Waiting trial with the lowest number whose
    /// prerequisite (if any) is Complete (Running, attempts + 1, heartbeat now).
    /// </summary>
    internal ClaimResult Claim(long studyId, string worker, TimeSpan grace, int maxAttempts) => Write("claiming a trial", (c, tx) =>
    {
        var staleArgs = new (string, object?)[] { ("@study", studyId), ("@grace", (long)grace.TotalMilliseconds), ("@max", maxAttempts) };
        const string stale = "study_id = @study AND state = 'running' AND heartbeat_at < {0} - @grace";
        int requeued = Execute(c, tx,
            $"UPDATE condensa_trials SET {BackToWaiting}, " +
            "error = 'worker ' || worker || ' stopped sending heartbeats during attempt ' || attempts " +
            $"WHERE {string.Format(stale, Now)} AND attempts < @max", staleArgs);
        int failed = Execute(c, tx,
            $"UPDATE condensa_trials SET state = 'failed', finished_at = {Now}, " +
            "error = 'worker ' || worker || ' stopped sending heartbeats during attempt ' || attempts || ' (the last allowed)' " +
            $"WHERE {string.Format(stale, Now)} AND attempts >= @max", staleArgs);
        // a failure reaches every unit that waits for it, directly or through others
        while (Execute(c, tx,
                   $"UPDATE condensa_trials SET state = 'failed', finished_at = {Now}, error = '{PrerequisiteFailed}' || after_number || ', which failed' " +
                   "WHERE study_id = @study AND state = 'waiting' AND after_number IN " +
                   "(SELECT number FROM condensa_trials WHERE study_id = @study AND state = 'failed')", ("@study", studyId)) > 0)
        {
        }

        using var command = Command(c, tx,
            $"UPDATE condensa_trials SET state = 'running', worker = @worker, attempts = attempts + 1, started_at = {Now}, heartbeat_at = {Now} " +
            "WHERE state = 'waiting' AND id = (SELECT t.id FROM condensa_trials t WHERE t.study_id = @study AND t.state = 'waiting' " +
            "AND (t.after_number IS NULL OR EXISTS (SELECT 1 FROM condensa_trials p WHERE p.study_id = t.study_id AND p.number = t.after_number AND p.state = 'complete')) " +
            $"ORDER BY t.number LIMIT 1{SkipLockedClause}) RETURNING id, number, attempts, params",
            ("@worker", worker), ("@study", studyId));
        using var reader = command.ExecuteReader();
        var claimed = reader.Read()
            ? new ClaimedTrial(Convert.ToInt64(reader.GetValue(0)), Convert.ToInt32(reader.GetValue(1)), Convert.ToInt32(reader.GetValue(2)), reader.GetString(3))
            : null;
        return new ClaimResult(claimed, requeued, failed);
    });

    /// <summary>Refreshes the heartbeat of a trial this worker runs; false when the trial is no longer its own.</summary>
    internal bool Heartbeat(TrialLease lease) =>
        Write("sending a heartbeat", (c, tx) => Execute(c, tx, $"UPDATE condensa_trials SET heartbeat_at = {Now} WHERE {Owned}", LeaseArgs(lease)) == 1);

    // ---- writes of the running trial -----------------------------------------------------------------------------

    internal bool SetTrialUserAttrs(TrialLease lease, string json) => Write("storing trial user attributes", (c, tx) =>
        Execute(c, tx, $"UPDATE condensa_trials SET user_attrs = @json WHERE {Owned}", [("@json", json), .. LeaseArgs(lease)]) == 1);

    /// <summary>Ends the trial as Complete or Failed; false when the trial is no longer this worker's.</summary>
    internal bool Finish(TrialLease lease, TrialState state, double value, string? error) => Write("finishing a trial", (c, tx) =>
        Execute(c, tx, $"UPDATE condensa_trials SET state = @state, value = @value, error = @error, finished_at = {Now} WHERE {Owned}",
            [("@state", StudyText.Of(state)), ("@value", value), ("@error", error), .. LeaseArgs(lease)]) == 1);

    /// <summary>
    /// Puts the worker's own trial back to Waiting (parameters kept, attributes cleared) with
    /// <paramref name="reason"/>; <paramref name="countAttempt"/> false gives the attempt back (an interruption).
    /// </summary>
    internal bool Requeue(TrialLease lease, string reason, bool countAttempt) => Write("re-queuing a trial", (c, tx) =>
        Execute(c, tx, $"UPDATE condensa_trials SET {BackToWaiting}, error = @error, attempts = attempts - @undo WHERE {Owned}",
            [("@error", reason), ("@undo", countAttempt ? 0 : 1), .. LeaseArgs(lease)]) == 1);

    internal int RequeueFailed(long studyId) => Write("re-queuing failed trials", (c, tx) =>
        Execute(c, tx, $"UPDATE condensa_trials SET {BackToWaiting}, attempts = 0, finished_at = NULL, value = NULL " +
            "WHERE study_id = @study AND state = 'failed'", ("@study", studyId)));

    // ---- reads ---------------------------------------------------------------------------------------------------

    internal IReadOnlyList<FrozenTrial> GetTrials(long studyId, TrialState? state) => Read("reading trials", (c, tx) =>
    {
        string filter = state is null ? "" : " AND t.state = @state";
        (string, object?)[] args = state is { } s ? [("@study", studyId), ("@state", StudyText.Of(s))] : [("@study", studyId)];

        var trials = new List<FrozenTrial>();
        using (var command = Command(c, tx,
            "SELECT t.id, t.number, t.state, t.params, t.value, t.attempts, t.worker, t.started_at, t.heartbeat_at, t.finished_at, " +
            $"{Now} - t.heartbeat_at, t.error, t.user_attrs, t.unit_key, t.after_number FROM condensa_trials t WHERE t.study_id = @study{filter} ORDER BY t.number", args))
        using (var reader = command.ExecuteReader())
            while (reader.Read())
            {
                long id = Convert.ToInt64(reader.GetValue(0));
                int number = Convert.ToInt32(reader.GetValue(1));
                long? Long(int i) => reader.IsDBNull(i) ? null : Convert.ToInt64(reader.GetValue(i));
                DateTimeOffset? Time(int i) => Long(i) is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;
                double? value = reader.IsDBNull(4) ? null : Convert.ToDouble(reader.GetValue(4));
                trials.Add(new FrozenTrial(
                    id, number, StudyText.ParseState(reader.GetString(2)),
                    StudyJson.DeserializeMap(reader.GetString(3), $"parameters of trial {number}"),
                    value is { } v && !double.IsNaN(v) ? v : null,
                    Convert.ToInt32(reader.GetValue(5)), reader.IsDBNull(6) ? null : reader.GetString(6),
                    Time(7), Time(8), Time(9), Long(10) is { } age ? TimeSpan.FromMilliseconds(age) : null,
                    reader.IsDBNull(11) ? null : reader.GetString(11),
                    StudyJson.DeserializeMap(reader.GetString(12), $"user attributes of trial {number}"),
                    reader.IsDBNull(13) ? null : reader.GetString(13), reader.IsDBNull(14) ? null : Convert.ToInt32(reader.GetValue(14))));
            }
        return trials;
    });

    // ---- commands ------------------------------------------------------------------------------------------------

    internal static DbCommand Command(DbConnection connection, DbTransaction transaction, string sql, params (string Name, object? Value)[] args)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in args)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            (parameter.DbType, parameter.Value) = value switch
            {
                long l => (DbType.Int64, (object)l),
                int i => (DbType.Int32, i),
                double d when double.IsNaN(d) => (DbType.Double, DBNull.Value), // NULL stands for NaN (SQLite cannot store it)
                double d => (DbType.Double, d),
                string s => (DbType.String, s),
                byte[] b => (DbType.Binary, b),
                TypedNull n => (n.Type, DBNull.Value),
                null => (DbType.String, DBNull.Value),
                _ => throw new ArgumentException($"Unsupported SQL parameter type {value.GetType()}", nameof(args)),
            };
            command.Parameters.Add(parameter);
        }
        return command;
    }

    internal static int Execute(DbConnection c, DbTransaction tx, string sql, params (string, object?)[] args)
    {
        using var command = Command(c, tx, sql, args);
        return command.ExecuteNonQuery();
    }

    private static object? Scalar(DbConnection c, DbTransaction tx, string sql, params (string, object?)[] args)
    {
        using var command = Command(c, tx, sql, args);
        return command.ExecuteScalar();
    }
}
