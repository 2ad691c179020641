using Condensa.Study;
using Microsoft.Data.Sqlite;

namespace Condensa.Tests.Framework.Study;

[TestClass]
public sealed class StorageUrlTests
{
    [TestMethod]
    [DataRow("postgresql://user:secret@host:5432/db", "postgresql://user:***@host:5432/db")]
    [DataRow("postgres://user:p@ss:w/rd@host/db", "postgres://user:***@host/db")]
    [DataRow("postgresql://user@host/db", "postgresql://user@host/db")]
    [DataRow("sqlite:///tmp/x.db", "sqlite:///tmp/x.db")]
    public void MaskPasswordHidesOnlyThePassword(string url, string masked) => Assert.AreEqual(masked, Secrets.MaskUrl(url));

    [TestMethod]
    [DataRow("mysql://u:secret@host/db", "unknown form")]
    [DataRow("postgresql://u:secret@/db", "does not parse")]
    [DataRow("postgresql://u:secret@host", "names no database")]
    [DataRow("postgresql://u:secret@host/db?nosuchoption=1", "option 'nosuchoption'")]
    [DataRow("sqlite://host/x.db", "absolute path")]
    [DataRow("sqlite:", "names no file")]
    [DataRow("notes.txt", "unknown form")]
    public void MalformedUrlsNameTheUrlWithoutThePassword(string url, string problem)
    {
        var e = Assert.ThrowsExactly<CondensaException>(() => StudyStorage.Open(url));
        StringAssert.Contains(e.Message, Secrets.MaskUrl(url));
        StringAssert.Contains(e.Message, problem);
        Assert.IsFalse(e.Message.Contains("secret"), e.Message);
        Assert.IsNotNull(e.Hint);
    }

    [TestMethod]
    public void UnreachablePostgresSaysWhatFailedWithoutThePassword()
    {
        var e = Assert.ThrowsExactly<CondensaException>(() => StudyStorage.Open("postgresql://u:secret@127.0.0.1:1/db"));
        StringAssert.Contains(e.Message, "postgresql://u:***@127.0.0.1:1/db");
        StringAssert.Contains(e.Message, "opening the store failed: Failed to connect to 127.0.0.1:1");
        Assert.IsNotNull(e.Hint);
        Assert.IsFalse(e.ToString().Contains("secret"), e.ToString());
    }

    [TestMethod]
    public void SqliteInAMissingFolderSaysWhatFailed()
    {
        var e = Assert.ThrowsExactly<CondensaException>(() => StudyStorage.Open("sqlite:///no-such-folder-condensa/x.db"));
        StringAssert.Contains(e.Message, "sqlite:///no-such-folder-condensa/x.db");
        StringAssert.Contains(e.Message, "unable to open database file");
    }

    [TestMethod]
    public void RelativeAndBarePathsOpenSqliteFiles()
    {
        string folder = Path.Combine(Path.GetTempPath(), "condensa-tests-study", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        string previous = Environment.CurrentDirectory;
        try
        {
            Environment.CurrentDirectory = folder;
            using (var a = StudyStorage.Open("sqlite:a.db")) Assert.IsInstanceOfType<SqliteStorage>(a);
            using (var b = StudyStorage.Open("sub.b.db")) Assert.AreEqual("sub.b.db", b.Url);
            Assert.IsTrue(File.Exists(Path.Combine(folder, "a.db")));
            Assert.IsTrue(File.Exists(Path.Combine(folder, "sub.b.db")));
        }
        finally
        {
            Environment.CurrentDirectory = previous;
            SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }
}
