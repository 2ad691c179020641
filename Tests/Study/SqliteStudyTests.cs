using Condensa.Study;
using Microsoft.Data.Sqlite;

namespace Condensa.Tests.Study;

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
    public void GridIsEnumeratedOnceWhenStudiesOpenConcurrently() => StoreScenarios.GridIsEnumeratedOnce(Open, "grid");

    [TestMethod]
    public void ConcurrentWorkersRunEveryTrialExactlyOnce() => StoreScenarios.EveryTrialRunsExactlyOnce(Open, "claims");

    [TestMethod]
    public void StaleTrialIsRequeuedAndCompletedByAnotherWorker() => StoreScenarios.StaleTrialIsRequeuedAndCompletedByAnotherWorker(Open, Execute, "stale");

    [TestMethod]
    public void StoreUsesWalSoAnOpenReaderDoesNotBlockWorkers()
    {
        using var storage = Open();
        var study = SearchStudy.Create(storage, "wal", StudyDirection.Maximize, new GridSampler(new SearchSpace().Int("x", 0, 9)));

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
        var study = SearchStudy.Create(storage, "doomed", StudyDirection.Maximize, new GridSampler(new SearchSpace().Int("x", 0, 0)));
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
        var study = SearchStudy.Create(storage, "beat", StudyDirection.Maximize, new GridSampler(new SearchSpace().Int("x", 0, 0)));
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
