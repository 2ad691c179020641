using Condensa.Reporting;

namespace Condensa.Tests.Framework.Reporting;

/// <summary>The run folder's CSV files read back exactly as they were written (the dashboard draws its charts from them).</summary>
[TestClass]
public sealed class RunDirectoryCsvTests
{
    [TestMethod]
    public void WhatWriteCsvWritesReadCsvReadsBackCellForCell()
    {
        var dir = new RunDirectory(Path.Combine(Path.GetTempPath(), "condensa-csv-" + Guid.NewGuid().ToString("N")));
        try
        {
            object?[][] rows =
            [
                ["plain", 0.1, null],
                ["comma, inside", 1e-7, "say \"hi\""],
                ["two\nlines", -3, ""],
            ];
            dir.WriteCsv("t.csv", ["name", "value", "note"], rows.Select(r => (IReadOnlyList<object?>)r));
            var read = RunDirectory.ReadCsv(File.ReadAllText(dir.PathOf("t.csv")));
            Assert.HasCount(3, read);
            CollectionAssert.AreEqual(new[] { "plain", "comma, inside", "two\nlines" }, read.Select(r => r["name"]).ToArray());
            CollectionAssert.AreEqual(new[] { "0.1", "1E-07", "-3" }, read.Select(r => r["value"]).ToArray());
            CollectionAssert.AreEqual(new[] { "", "say \"hi\"", "" }, read.Select(r => r["note"]).ToArray());
        }
        finally
        {
            Directory.Delete(dir.Path, recursive: true);
        }
    }

    [TestMethod]
    public void CrLfLinesAndShortRowsAreRead()
    {
        var read = RunDirectory.ReadCsv("a,b,c\r\n1,\"x,y\",3\r\n4\r\n\r\n");
        Assert.HasCount(2, read);
        Assert.AreEqual("x,y", read[0]["b"]);
        Assert.AreEqual("3", read[0]["c"]);
        Assert.AreEqual("4", read[1]["a"]);
        Assert.AreEqual("", read[1]["c"], "a missing field is empty");
        Assert.HasCount(0, RunDirectory.ReadCsv(""));
    }
}
