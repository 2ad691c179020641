using System.Net;
using System.Text.Json.Nodes;
using Condensa.Data;
using Condensa.Scenarios.Cli;
using Condensa.Scenarios.Serve;
using Condensa.Study;
using Condensa.Tests.Support;
using Condensa.Work;
using SkiaSharp;
using static Condensa.Tests.Scenarios.Cli.CliTests;

namespace Condensa.Tests.HostileUser;

/// <summary>
/// Condensa tried as a hostile new user would: real runs of the command line (in this process) with a diverging learning
/// rate, an empty image folder, a class smaller than the budget, a password in a URL's query, and requests for the
/// files a dashboard must not serve. Each test reads what the run left (exit code, results.json, results.md, the store,
/// HTTP answers): a run never reports a result it did not get.
/// </summary>
[TestClass]
public sealed class HostileUserTests
{
    private string _dir = "";

    [TestInitialize]
    public void MakeFolder() => Directory.CreateDirectory(_dir = Path.Combine(Path.GetTempPath(), "condensa-hostile", Guid.NewGuid().ToString("N")));

    [TestCleanup]
    public void RemoveFolder() => Directory.Delete(_dir, recursive: true);

    private string Config(string name, string yaml)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, yaml);
        return path;
    }

    private static JsonNode Results(string run) => JsonNode.Parse(File.ReadAllText(Path.Combine(run, "results.json")))!;

    private const string SmallFashion = "dataset: {train_per_class: 20, classes: [0, 1, 2]}\nbuild_arch: convnet-w32-d1-instancenorm-relu-avgpool\n";

    /// <summary>A folder dataset of 8x8 gray images: <paramref name="perClass"/> images of each class folder (0: an empty folder).</summary>
    private string ImageFolder(params int[] perClass)
    {
        var root = Path.Combine(_dir, "images");
        for (int c = 0; c < perClass.Length; c++)
        {
            Directory.CreateDirectory(Path.Combine(root, $"class{c}"));
            for (int i = 0; i < perClass[c]; i++)
            {
                using var bitmap = new SKBitmap(new SKImageInfo(8, 8, SKColorType.Gray8, SKAlphaType.Opaque));
                bitmap.Erase(new SKColor((byte)(40 * c + 3 * i), (byte)(40 * c + 3 * i), (byte)(40 * c + 3 * i)));
                using var png = bitmap.Encode(SKEncodedImageFormat.Png, 100);
                File.WriteAllBytes(Path.Combine(root, $"class{c}", $"{i:000}.png"), png.ToArray());
            }
        }
        return root;
    }

    [TestMethod]
    public async Task ATrainingWhoseLossBecomesNaNFailsNamingTheStepAndReportsNoAccuracy()
    {
        var config = Config("diverge.yaml", "scenario: train\narch: convnet-w32-d1-instancenorm-relu-avgpool\ndataset: {train_per_class: 50, classes: [0, 1, 2]}\n" +
                                            "train: {epochs: 4, batch_size: 32, lr: 100, momentum: 0.99, schedule: constant, precision: float32}\n");
        var run = Path.Combine(_dir, "run");
        var (code, err) = await Run("run", config, "--out", run);
        Assert.AreEqual(CondensaCli.ExitFailed, code, err);
        StringAssert.Matches(err, new System.Text.RegularExpressions.Regex(@"training diverged: the loss is (NaN|-?Infinity) at step \d+ \(epoch \d+, learning rate 100\)"));
        StringAssert.Contains(err, "the learning rate is likely too high");
        var results = Results(run);
        Assert.AreEqual("failed", results["status"]!.GetValue<string>());
        StringAssert.Contains(results["error"]!.GetValue<string>(), "training diverged");
        Assert.IsNull(results["metrics"]!["test_accuracy"], "a diverged model has no test accuracy");
    }

    [TestMethod]
    public async Task ACompareCellWhoseModelsDivergedSaysSoInsteadOfANumber()
    {
        var config = Config("compare.yaml", "scenario: compare\n" + SmallFashion + "builders: [random]\nipc: [2]\nmodels: 2\neval: {epochs: 60, lr: 100, momentum: 0.99}\n");
        var run = Path.Combine(_dir, "run");
        var (code, err) = await Run("run", config, "--out", run);
        Assert.AreEqual(CondensaCli.ExitPartial, code, "the memory was built, its evaluations failed: " + err);
        StringAssert.Contains(err, "2 of 3 units failed");
        var results = Results(run);
        Assert.AreEqual("partial", results["status"]!.GetValue<string>());
        Assert.AreEqual(2, results["failed_units"]!.GetValue<int>());
        var row = results["rows"]![0]!;
        Assert.IsNull(row["accuracy_mean"], "no number for a cell whose models diverged");
        Assert.AreEqual("diverged", row["failure"]!.GetValue<string>());
        var table = File.ReadAllText(Path.Combine(run, "results.md"));
        StringAssert.Contains(table, "| random | diverged (2 of 2 models) |");
        StringAssert.Contains(table, "Status: partial, 2 of 3 units failed");
        Assert.DoesNotMatchRegex(new System.Text.RegularExpressions.Regex(@"\| random \| \d"), table);
    }

    [TestMethod]
    public async Task ARunWhoseEveryUnitFailedIsFailedInItsResultsExitCodeAndDashboard()
    {
        var images = ImageFolder(3, 0);   // class1/ holds no image
        var config = Config("empty.yaml", $"scenario: compare\ndataset: {{name: folder, path: {images}}}\nbuilders: [random]\nipc: [1]\nmodels: 1\n" +
                                          "build_arch: convnet-w32-d1-instancenorm-relu-avgpool\neval: {epochs: 2}\n");
        var run = Path.Combine(_dir, "runs", "empty");
        var (code, err) = await Run("run", config, "--out", run);
        Assert.AreEqual(CondensaCli.ExitFailed, code, err);
        StringAssert.Contains(err, "2 of 2 units failed");
        StringAssert.Contains(err, "empty class folder");
        Assert.IsFalse(err.Contains("Exception"), "no .NET type name in what the user reads: " + err);
        var results = Results(run);
        Assert.AreEqual("failed", results["status"]!.GetValue<string>());
        var row = results["rows"]!.AsArray().Single()!;
        Assert.IsTrue(row["accuracy_mean"] is null && row["failure"]!.GetValue<string>() == "failed", row.ToJsonString());
        StringAssert.Contains(File.ReadAllText(Path.Combine(run, "results.md")), "| random | failed (1 of 1 models) |");
        using var store = StudyStorage.Open("sqlite:" + Path.Combine(run, "study.db"));
        var failed = StoreStatus.Read(store).Failed;
        Assert.IsTrue(failed.Count == 2 && failed.All(f => !f.Error.Contains("Exception")), string.Join("\n", failed.Select(f => f.Error)));

        File.WriteAllText(Path.Combine(run, ".condensa-owner"), """{"host":"elsewhere","pid":1}""");   // the run was this test process, which still runs
        var (app, server) = await StartDashboard(Path.Combine(_dir, "runs"));
        await using var _ = app;
        using var http = new HttpClient { BaseAddress = server };
        StringAssert.Contains(await http.GetStringAsync("/"), "<td class=\"failed\">failed</td>");
    }

    [TestMethod]
    public async Task ABudgetAboveAClassIsAnErrorNamingTheClassItsSizeAndTheBudget()
    {
        var images = ImageFolder(6, 3);
        var config = Config("small.yaml", $"scenario: compare\ndataset: {{name: folder, path: {images}, test_fraction: 0.34}}\nbuilders: [random]\nipc: [1, 3]\nmodels: 1\n" +
                                          "build_arch: convnet-w32-d1-instancenorm-relu-avgpool\neval: {epochs: 2}\n");
        var run = Path.Combine(_dir, "run");
        var (code, err) = await Run("run", config, "--out", run);
        Assert.AreEqual(CondensaCli.ExitPartial, code, err);
        StringAssert.Contains(err, "2 of 4 units failed");
        StringAssert.Contains(err, "random, ipc 3: class 1 (class1) has 2 images in folder/train, fewer than the budget of 3 per class");
        var results = Results(run);
        Assert.AreEqual("partial", results["status"]!.GetValue<string>());
        var rows = results["rows"]!.AsArray();
        Assert.AreEqual(0.0, rows.Single(r => r!["ipc"]!.GetValue<int>() == 1)!["failed_models"]!.GetValue<int>());
        var capped = rows.Single(r => r!["ipc"]!.GetValue<int>() == 3)!;
        Assert.AreEqual("failed", capped["failure"]!.GetValue<string>(), "the ipc-3 cell names its failure, never a memory of 2 per class");

        // known before anything runs: the config's own per-class limit
        var (invalid, why) = await Run("validate", Config("limit.yaml", "scenario: compare\ndataset: {train_per_class: 5}\nbuilders: [random]\nipc: [1, 10]\n"));
        Assert.AreEqual(CondensaCli.ExitInvalid, invalid);
        StringAssert.Contains(why, "'ipc': 10 images per class exceed dataset.train_per_class = 5");
        (invalid, why) = await Run("validate", Config("gdumb.yaml", "scenario: continual\ndataset: {train_per_class: 50}\nbuilders: [random]\nsteps: 5\nclasses_per_step: [2, 2, 2, 2, 2]\nmemory: {total: 200}\n"));
        Assert.AreEqual(CondensaCli.ExitInvalid, invalid);
        StringAssert.Contains(why, "the memory asks 100 images per class at step 1 (2 classes), more than dataset.train_per_class = 50");
    }

    [TestMethod]
    [DataRow("postgresql://u:p%40ss@host/db?password=other", "postgresql://u:***@host/db?password=***")]
    [DataRow("postgresql://u@host/db?sslmode=disable&Password=other&timeout=2", "postgresql://u@host/db?sslmode=disable&Password=***&timeout=2")]
    [DataRow("postgresql://u@host/db?pwd=other", "postgresql://u@host/db?pwd=***")]
    public void APasswordInAUrlsQueryIsMaskedLikeTheUserInfosOne(string url, string masked)
    {
        Assert.AreEqual(masked, Secrets.MaskUrl(url));
        Assert.AreEqual($"see {masked}, then", Secrets.Mask($"see {url}, then"));
    }

    [TestMethod]
    public void AStoreThatCannotBeReachedNamesItsUrlWithoutTheQueryPassword()
    {
        // port 1 refuses at once: the error comes from the server side of opening the store
        var e = Assert.ThrowsExactly<CondensaException>(() => StudyStorage.Open("postgresql://u@127.0.0.1:1/db?password=other&timeout=2"));
        Assert.IsFalse(e.Message.Contains("other") || (e.Hint ?? "").Contains("other"), e.Message);
        StringAssert.Contains(e.Message, "password=***");
    }

    [TestMethod]
    public async Task TheDashboardServesWhatPeopleReadNeverTheStoreTheOwnerFileOrCheckpoints()
    {
        var runs = Path.Combine(_dir, "runs");
        var config = Config("ok.yaml", "scenario: compare\n" + SmallFashion + "builders: [random]\nipc: [1]\nmodels: 1\neval: {epochs: 2}\n");
        var (code, err) = await Run("run", config, "--out", Path.Combine(runs, "ok"), "--set", "storage=postgresql://u:hunter2@127.0.0.1:1/db?password=other");
        Assert.AreNotEqual(0, code, "the store cannot be reached");
        Assert.IsFalse(err.Contains("hunter2") || err.Contains("other"), err);
        var folder = Path.Combine(runs, "ok");
        (code, err) = await Run("run", config, "--out", folder);
        Assert.AreEqual(0, code, err);
        File.WriteAllText(Path.Combine(folder, ".condensa-owner"), """{"host":"elsewhere","pid":1,"command":"condensa run --set storage=postgresql://u:hunter2@h/db"}""");
        Directory.CreateDirectory(Path.Combine(folder, "checkpoints", "x"));
        File.WriteAllText(Path.Combine(folder, "checkpoints", "x", "state.json"), "{}");

        var (app, server) = await StartDashboard(runs);
        await using var _ = app;
        using var http = new HttpClient { BaseAddress = server };
        foreach (var hidden in new[] { ".condensa-owner", ".condensa-run", ".condensa-lock", "study.db", "checkpoints/x/state.json" })
            Assert.AreEqual(HttpStatusCode.NotFound, (await http.GetAsync($"/file/0/ok/{hidden}")).StatusCode, hidden);
        Assert.AreEqual(HttpStatusCode.OK, (await http.GetAsync("/file/0/ok/results.json")).StatusCode);
        Assert.AreEqual(HttpStatusCode.OK, (await http.GetAsync("/file/0/ok/memories/random/ipc-1/seed0/memory.json")).StatusCode, "the memory itself is served");
        foreach (var page in new[] { "/", "/run/0/ok", "/file/0/ok/results.md" })
        {
            using var head = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, page));
            Assert.AreEqual(HttpStatusCode.OK, head.StatusCode, $"HEAD {page}");
        }
        Assert.AreEqual(HttpStatusCode.MethodNotAllowed, (await http.PostAsync("/", null)).StatusCode);

        // condensa status names the best cell of a completed compare study
        using var store = StudyStorage.Open("sqlite:" + Path.Combine(folder, "study.db"));
        StringAssert.Matches(StoreStatus.Read(store).Studies.Single().Best, new System.Text.RegularExpressions.Regex(@"^0\.\d{4} random ipc 1 \(mean of 1\)$"));
    }

    private static async Task<(Microsoft.AspNetCore.Builder.WebApplication App, Uri Base)> StartDashboard(string runs)
    {
        var app = Dashboard.Build(new DashboardOptions([runs], "127.0.0.1", 0));
        await app.StartAsync();
        return (app, new Uri(app.Urls.First()));
    }

    [TestMethod]
    public async Task FileSystemErrorsSayWhatCouldNotBeDoneAndWhyInWords()
    {
        var config = Config("q.yaml", "scenario: train\narch: convnet-w32-d1-instancenorm-relu-avgpool\ntrain: {epochs: 1}\n");
        var (code, err) = await Run("run", config, "--out", "/proc/condensa-run");
        Assert.AreEqual(CondensaCli.ExitFailed, code);
        StringAssert.Contains(err, "error: cannot create the run folder /proc/condensa-run: /proc does not accept new folders");
        Assert.IsFalse(err.Contains("Exception"), err);

        var file = Path.Combine(_dir, "a-file");
        File.WriteAllText(file, "");
        (code, err) = await Run("run", config, "--out", file);
        StringAssert.Contains(err, $"error: cannot create the run folder {file}: a file of that name already exists");

        (code, err) = await Run("run", config, "--out", Path.Combine(_dir, "runs/<script>alert(1)</script>"));
        Assert.AreEqual(CondensaCli.ExitInvalid, code);
        StringAssert.Contains(err, "a folder name holds '<'");
        Assert.IsFalse(Directory.Exists(Path.Combine(_dir, "runs")), "nothing was created");

        var corrupt = Path.Combine(_dir, "study.db");
        File.WriteAllText(corrupt, "this is not a database");
        (code, err) = await Run("status", "--storage", corrupt);
        Assert.AreEqual(CondensaCli.ExitFailed, code);
        StringAssert.Contains(err, $"mv '{corrupt}' '{corrupt}.bad'");
    }

    [TestMethod]
    public void LoadingSaysWhatItDidToTheData()
    {
        var root = Path.Combine(_dir, "mixed");
        foreach (var (cls, size, count) in new[] { ("a", 8, 3), ("a", 6, 1), ("b", 8, 4) })
            for (int i = 0; i < count; i++)
            {
                Directory.CreateDirectory(Path.Combine(root, cls));
                using var bitmap = new SKBitmap(new SKImageInfo(size, size, SKColorType.Gray8, SKAlphaType.Opaque));
                using var png = bitmap.Encode(SKEncodedImageFormat.Png, 100);
                File.WriteAllBytes(Path.Combine(root, cls, $"{size}-{i}.png"), png.ToArray());
            }
        using (var mixed = DatasetCatalog.Load(new DatasetOptions { Name = "folder", Path = root, TestFraction = 0.25 }, seed: 0))
            Assert.AreEqual("1 images of other sizes (6x6) were resized (bilinear) to 8x8, the most frequent size; set dataset.resize to choose the size", mixed.Notes.Single());

        using var one = DatasetCatalog.Load(new DatasetOptions { Classes = [3], TrainPerClass = 5 }, seed: 0);
        StringAssert.StartsWith(one.Notes.Single(), "only one class (Dress) is present");
        using var two = DatasetCatalog.Load(new DatasetOptions { Classes = [0, 1], TrainPerClass = 5 }, seed: 0);
        Assert.IsEmpty(two.Notes);
        var log = new RecordingLogger();
        two.Describe(log);
        StringAssert.Contains(log.Messages.Single(), "10 training / 2000 test images, 2 of 10 classes (T-shirt/top, Trouser)");

        var empty = Path.Combine(_dir, "no-classes");
        Directory.CreateDirectory(empty);
        var e = Assert.ThrowsExactly<CondensaException>(() => ImageFolderReader.Read(empty));
        StringAssert.Contains(e.Hint, "ROOT/train/<class>/*.png");
    }
}
