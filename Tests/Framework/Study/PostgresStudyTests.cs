using Condensa.Study;
using Npgsql;

namespace Condensa.Tests.Framework.Study;

/// <summary>
/// The store scenarios against a real PostgreSQL server, run only when <c>CONDENSA_TEST_POSTGRES</c> holds a URL such
/// as <c>postgresql://condensa:condensa@127.0.0.1:5432/condensa_test</c> (each test uses fresh study names).
/// </summary>
[TestClass]
public sealed class PostgresStudyTests
{
    private static string Url => Environment.GetEnvironmentVariable("CONDENSA_TEST_POSTGRES") ?? "";

    [TestInitialize]
    public void RequirePostgres()
    {
        if (Url.Length == 0) Assert.Inconclusive("Set CONDENSA_TEST_POSTGRES to a postgresql:// URL to run the PostgreSQL tests.");
    }

    private static string NewName() => "test-" + Guid.NewGuid().ToString("N");

    private static StudyStorage Open() => StudyStorage.Open(Url);

    private static void Execute(string sql)
    {
        var uri = new Uri(Url);
        var user = uri.UserInfo.Split(':', 2);
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host,
            Port = uri.IsDefaultPort || uri.Port < 0 ? 5432 : uri.Port,
            Database = uri.AbsolutePath.Trim('/'),
            Username = Uri.UnescapeDataString(user[0]),
            Password = user.Length > 1 ? Uri.UnescapeDataString(user[1]) : null,
        };
        using var connection = new NpgsqlConnection(builder.ConnectionString);
        connection.Open();
        using var command = new NpgsqlCommand(sql, connection);
        command.ExecuteNonQuery();
    }

    [TestMethod]
    public void UnitsWaitForTheirPrerequisiteAndFailWithIt() => StoreScenarios.UnitsWaitForTheirPrerequisiteAndFailWithIt(Open, NewName());

    [TestMethod]
    public void AFinishedUnitsResultIsReusedByKey() => StoreScenarios.AFinishedUnitsResultIsReusedByKey(Open, NewName());

    [TestMethod]
    public void RunFilesAreKeptPerRunAndReadByFolder() => StoreScenarios.RunFilesAreKeptPerRunAndReadByFolder(Open, Guid.NewGuid().ToString("N"));

    [TestMethod]
    public void APlanIsEnqueuedOnceWhenStudiesOpenConcurrently() => StoreScenarios.PlanIsEnqueuedOnce(Open, NewName());

    [TestMethod]
    public void FourConcurrentWorkersRunEveryTrialExactlyOnce() => StoreScenarios.EveryTrialRunsExactlyOnce(Open, NewName(), workers: 4);

    [TestMethod]
    public void StaleTrialIsRequeuedAndCompletedByAnotherWorker() => StoreScenarios.StaleTrialIsRequeuedAndCompletedByAnotherWorker(Open, Execute, NewName());

    [TestMethod]
    public void ConcurrentSchemaCreationSucceeds() => StoreScenarios.RunConcurrently(4, _ => { using var storage = Open(); });
}
