using Condensa.Study;
using Microsoft.Data.Sqlite;

namespace Condensa.Tests.Framework.Study;

[TestClass]
public sealed class SqliteStudyTests
{
    private string _folder = "";
    private string _path = "";

    [TestInitialize]
    public void CreateFolder()
    {
        _folder = Path.Combine(Path.GetTempPath(), "condensa-tests-study", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_folder);
        _path = Path.Combine(_folder, "study.db");
    }

    [TestCleanup]
    public void DeleteFolder()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    private StudyStorage Open() => StudyStorage.Open("sqlite://" + _path);

    private void Execute(string sql)
    {
        using var connection = new SqliteConnection($"Data Source={_path}");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    [TestMethod]
    public void UnitsWaitForTheirPrerequisiteAndFailWithIt() => StoreScenarios.UnitsWaitForTheirPrerequisiteAndFailWithIt(Open, "units");

    [TestMethod]
    public void AFinishedUnitsResultIsReusedByKey() => StoreScenarios.AFinishedUnitsResultIsReusedByKey(Open, "units");

    [TestMethod]
    public void RunFilesAreKeptPerRunAndReadByFolder() => StoreScenarios.RunFilesAreKeptPerRunAndReadByFolder(Open, Guid.NewGuid().ToString("N"));

    /// <summary>
    /// A store as version 1 or 2 left it (version 1: no unit columns, no files table; both: the optimizer's sampler and
    /// pruner columns, system attributes and intermediate values) with one study of a finished, a waiting and, in
    /// version 2, a pruned trial: opening it upgrades it to version 3 in place, drops what version 3 no longer has,
    /// keeps the study's results, and a pruned trial becomes Failed, saying so.
    /// </summary>
    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    public void AnOlderStoreIsUpgradedInPlaceAndKeepsItsStudies(int version)
    {
        string units = version == 1 ? "" : ", unit_key TEXT, after_number INTEGER";
        foreach (var sql in new[]
                 {
                     "CREATE TABLE condensa_schema (version INTEGER NOT NULL)",
                     $"INSERT INTO condensa_schema (version) VALUES ({version})",
                     "CREATE TABLE condensa_studies (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, direction TEXT NOT NULL, sampler TEXT NOT NULL, pruner TEXT NOT NULL, user_attrs TEXT NOT NULL, created_at BIGINT NOT NULL)",
                     $"CREATE TABLE condensa_trials (id INTEGER PRIMARY KEY, study_id BIGINT NOT NULL REFERENCES condensa_studies (id), number INTEGER NOT NULL, state TEXT NOT NULL, params TEXT NOT NULL, value DOUBLE PRECISION, attempts INTEGER NOT NULL, worker TEXT, started_at BIGINT, heartbeat_at BIGINT, finished_at BIGINT, error TEXT, user_attrs TEXT NOT NULL, system_attrs TEXT NOT NULL{units}, UNIQUE (study_id, number))",
                     "CREATE TABLE condensa_trial_values (trial_id BIGINT NOT NULL REFERENCES condensa_trials (id), step INTEGER NOT NULL, value DOUBLE PRECISION, PRIMARY KEY (trial_id, step))",
                     """INSERT INTO condensa_studies VALUES (1, 'old', 'maximize', '{"type":"grid","space":{"x":{"type":"int","low":0,"high":2}}}', '{"type":"median"}', '{"note":"kept"}', 0)""",
                     """INSERT INTO condensa_trials (id, study_id, number, state, params, value, attempts, user_attrs, system_attrs) VALUES (1, 1, 0, 'complete', '{"x":0}', 0.75, 1, '{"seconds":3}', '{}')""",
                     """INSERT INTO condensa_trials (id, study_id, number, state, params, attempts, user_attrs, system_attrs) VALUES (2, 1, 1, 'waiting', '{"x":1}', 0, '{}', '{}')""",
                     """INSERT INTO condensa_trials (id, study_id, number, state, params, value, attempts, user_attrs, system_attrs) VALUES (3, 1, 2, 'pruned', '{"x":2}', 0.1, 1, '{}', '{"completed_rung_0":0.1}')""",
                     "INSERT INTO condensa_trial_values VALUES (3, 0, 0.1)",
                 }.Concat(version == 2 ? ["CREATE TABLE condensa_files (run_id TEXT NOT NULL, path TEXT NOT NULL, bytes BLOB NOT NULL, PRIMARY KEY (run_id, path))"] : []))
            Execute(sql);
        using var storage = Open();
        var old = SearchStudy.Load(storage, "old");
        Assert.AreEqual("kept", old.UserAttrs["note"].GetString());
        Assert.AreEqual((0.75, 3), (old.BestTrial()!.Value, old.BestTrial()!.UserAttrs["seconds"].GetInt32()));
        var pruned = old.GetTrials()[2];
        Assert.AreEqual(TrialState.Failed, pruned.State);
        StringAssert.Contains(pruned.Error, "pruned by a pruner of an earlier Condensa");
        Assert.AreEqual(1, StudyRunner.RunWorker(old, (trial, _) => 0.5, "w").Complete, "its waiting trial still runs");
        StoreScenarios.AFinishedUnitsResultIsReusedByKey(Open, "upgraded");
        StoreScenarios.RunFilesAreKeptPerRunAndReadByFolder(Open, "run");

        using var check = new SqliteConnection($"Data Source={_path}");
        check.Open();
        object? Scalar(string sql)
        {
            using var command = check.CreateCommand();
            command.CommandText = sql;
            return command.ExecuteScalar();
        }
        Assert.AreEqual(3L, Scalar("SELECT MAX(version) FROM condensa_schema"));
        Assert.AreEqual(0L, Scalar("SELECT COUNT(*) FROM sqlite_master WHERE name = 'condensa_trial_values'"));
        Assert.AreEqual(0L, Scalar("SELECT COUNT(*) FROM pragma_table_info('condensa_studies') WHERE name IN ('sampler', 'pruner')"));
        Assert.AreEqual(0L, Scalar("SELECT COUNT(*) FROM pragma_table_info('condensa_trials') WHERE name = 'system_attrs'"));
    }

    [TestMethod]
    public void APlanIsEnqueuedOnceWhenStudiesOpenConcurrently() => StoreScenarios.PlanIsEnqueuedOnce(Open, "grid");

    [TestMethod]
    public void ConcurrentWorkersRunEveryTrialExactlyOnce() => StoreScenarios.EveryTrialRunsExactlyOnce(Open, "claims");

    [TestMethod]
    public void StaleTrialIsRequeuedAndCompletedByAnotherWorker() => StoreScenarios.StaleTrialIsRequeuedAndCompletedByAnotherWorker(Open, Execute, "stale");

    [TestMethod]
    public void StoreUsesWalSoAnOpenReaderDoesNotBlockWorkers()
    {
        using var storage = Open();
        var study = SearchStudy.Create(storage, "wal", StudyDirection.Maximize, StoreScenarios.Numbered("wal", 10));

        using var reader = new SqliteConnection($"Data Source={_path}");
        reader.Open();
        using var check = reader.CreateCommand();
        check.CommandText = "PRAGMA journal_mode";
        Assert.AreEqual("wal", check.ExecuteScalar());
        using var snapshot = reader.BeginTransaction(deferred: true);
        using var count = reader.CreateCommand();
        count.Transaction = snapshot;
        count.CommandText = "SELECT COUNT(*) FROM condensa_trials WHERE state = 'waiting'";
        Assert.AreEqual(10L, count.ExecuteScalar());

        // The reader's snapshot stays open while a worker writes every trial.
        var report = StudyRunner.RunWorker(study, (t, _) => t.Number, "w", options: StoreScenarios.FastHeartbeat);
        Assert.AreEqual(10, report.Complete);
        Assert.AreEqual(10L, count.ExecuteScalar(), "the reader still sees its snapshot");
        snapshot.Commit();
        Assert.AreEqual(10, study.Summary(TimeSpan.FromSeconds(1)).Complete);
    }

    [TestMethod]
    public void StaleTrialStartedMaxAttemptsTimesFails()
    {
        using var storage = Open();
        var study = SearchStudy.Create(storage, "doomed", StudyDirection.Maximize, StoreScenarios.Numbered("doomed", 1));
        Assert.IsNotNull(storage.Claim(study.Id, "dead", TimeSpan.FromSeconds(1), maxAttempts: 1).Trial);
        Execute("UPDATE condensa_trials SET heartbeat_at = heartbeat_at - 600000");

        var report = StudyRunner.RunWorker(study, (_, _) => throw new AssertFailedException("nothing should run"), "w",
            options: StoreScenarios.FastHeartbeat with { MaxAttempts = 1 });

        Assert.AreEqual(1, report.FailedStale);
        var trial = study.GetTrials().Single();
        Assert.AreEqual(TrialState.Failed, trial.State);
        StringAssert.Contains(trial.Error, "worker dead stopped sending heartbeats during attempt 1");
    }

    [TestMethod]
    public void HeartbeatKeepsARunningTrialFresh()
    {
        using var storage = Open();
        var study = SearchStudy.Create(storage, "beat", StudyDirection.Maximize, StoreScenarios.Numbered("beat", 1));
        StudyRunner.RunWorker(study, (trial, _) =>
        {
            var started = study.GetTrials().Single().HeartbeatAt;
            Assert.IsTrue(SpinWait.SpinUntil(() => study.GetTrials().Single().HeartbeatAt > started, TimeSpan.FromSeconds(20)),
                "the background timer refreshes heartbeat_at while the objective runs");
            return 1;
        }, "w", options: StoreScenarios.FastHeartbeat);
        Assert.AreEqual(TrialState.Complete, study.GetTrials().Single().State);
    }
}
