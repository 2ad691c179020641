using System.Text.Json.Nodes;
using Condensa.Scenarios.Cli;

namespace Condensa.Tests.Scenarios.Cli;

[TestClass]
public sealed class CliTests
{
    private static string TempDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "condensa-tests-cli", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>Runs the CLI in this process and returns its exit code and what it wrote to standard error.</summary>
    internal static async Task<(int Code, string Err)> Run(params string[] args)
    {
        var err = new StringWriter();
        var saved = Console.Error;
        Console.SetError(err);
        try { return (await CondensaCli.RunAsync(args), err.ToString()); }
        finally { Console.SetError(saved); }
    }

    [TestMethod]
    public async Task ValidateReportsEveryProblemWithPositionAndExitsTwo()
    {
        var dir = TempDir();
        var config = Path.Combine(dir, "bad.yaml");
        File.WriteAllText(config, "scenario: train\ndataset:\n  name: fashion-mnst\ntrain:\n  epochs: -3\n  speed: 9\narch: convnet-w100-d3-instancenorm-relu-avgpool\n");
        var (code, err) = await Run("validate", config);
        Assert.AreEqual(CondensaCli.ExitInvalid, code);
        StringAssert.Contains(err, $"{config}:3:9: 'dataset.name': 'fashion-mnst' is not allowed; allowed values: fashion-mnist");
        StringAssert.Contains(err, $"{config}:5:11: 'train.epochs': -3 is out of range");
        StringAssert.Contains(err, $"{config}:6:3: 'train.speed': unknown key");
        StringAssert.Contains(err, $"{config}:7:7: 'arch':");
        Assert.IsFalse(err.Contains("   at "), "no stack trace without --verbose");
    }

    [TestMethod]
    public async Task EveryNumberFormatIsSpelledAsItsHelpSaysIt()
    {
        var dir = TempDir();
        var config = Path.Combine(dir, "p.yaml");
        foreach (var precision in new[] { "auto", "float32", "bfloat16" })
        {
            File.WriteAllText(config, $"scenario: train\narch: convnet-w32-d1-instancenorm-relu-avgpool\ntrain:\n  epochs: 1\n  precision: {precision}\n");
            var (code, err) = await Run("validate", config);
            Assert.AreEqual(0, code, $"{precision}: {err}");
        }
        File.WriteAllText(config, "scenario: train\ntrain:\n  precision: half\n");
        StringAssert.Contains((await Run("validate", config)).Err, "'train.precision': 'half' is not allowed; allowed values: auto, float32, bfloat16");
    }

    [TestMethod]
    public async Task UnknownScenarioListsTheAllowedOnes()
    {
        var dir = TempDir();
        var config = Path.Combine(dir, "s.yaml");
        File.WriteAllText(config, "scenario: trian\n");
        var (code, err) = await Run("validate", config);
        Assert.AreEqual(CondensaCli.ExitInvalid, code);
        StringAssert.Contains(err, $"{config}:1:11: 'scenario': 'trian' is not a scenario; allowed values: compare, ");
    }

    [TestMethod]
    public async Task ANameIsAFolderNameNeverAPath()
    {
        var dir = TempDir();
        var config = Path.Combine(dir, "escape.yaml");
        File.WriteAllText(config, "scenario: compare\nname: ../../x\nbuilders: [random]\n");
        var (code, err) = await Run("run", config);
        Assert.AreEqual(CondensaCli.ExitInvalid, code);
        StringAssert.Contains(err, $"{config}:2:7: 'name': '../../x' is not a folder name");
        Assert.IsFalse(Directory.Exists(Path.Combine(Environment.CurrentDirectory, "..", "..", "x")), "nothing was written outside runs/");
        (code, err) = await Run("validate", config, "--set", "name=a/b");
        Assert.AreEqual(CondensaCli.ExitInvalid, code);
        StringAssert.Contains(err, "'name': 'a/b' is not a folder name");
    }

    [TestMethod]
    public async Task MissingConfigFileIsAnErrorNotACrash()
    {
        var (code, err) = await Run("run", "/nonexistent/config.yaml");
        Assert.AreEqual(CondensaCli.ExitInvalid, code);
        StringAssert.Contains(err, "Config file '/nonexistent/config.yaml' does not exist");
    }

    /// <summary>The short real-data check of the foundation issue: a small ConvNet on a Fashion-MNIST subset beats 70% on the full test set.</summary>
    [TestMethod]
    public async Task TrainScenarioOnAFashionMnistSubsetBeatsSeventyPercent()
    {
        if (!File.Exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"))
            Assert.Inconclusive("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)");
        var dir = TempDir();
        var config = Path.Combine(dir, "train.yaml");
        File.WriteAllText(config, """
            scenario: train
            seed: 1
            dataset: {name: fashion-mnist, train_per_class: 100}
            arch: convnet-w32-d2-instancenorm-relu-avgpool
            train: {epochs: 15, batch_size: 64, lr: 0.05, schedule: cosine, eval_every: 5}
            """);
        var outDir = Path.Combine(dir, "run");
        var (code, err) = await Run("run", config, "--out", outDir, "--set", "train.epochs=12");
        Assert.AreEqual(0, code, err);
        var results = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "results.json")))!;
        Assert.AreEqual("train", results["scenario"]!.GetValue<string>());
        Assert.AreEqual("completed", results["status"]!.GetValue<string>());
        var accuracy = results["metrics"]!["test_accuracy"]!.GetValue<double>();
        Assert.IsTrue(accuracy > 0.70, $"test accuracy {accuracy:P2} on 1,000 training images");
        Assert.AreEqual(12, results["metrics"]!["epochs_completed"]!.GetValue<int>(), "--set overrides the file");
        var confusion = results["confusion_matrix"]!.AsArray();
        Assert.AreEqual(10_000, confusion.Sum(r => r!.AsArray().Sum(v => v!.GetValue<long>())));
        var csv = File.ReadAllLines(Path.Combine(outDir, "training.csv"));
        Assert.AreEqual(13, csv.Length, "header + one row per epoch");
        StringAssert.Contains(File.ReadAllText(Path.Combine(outDir, "config.yaml")), "epochs: 12");
        Assert.IsTrue(new FileInfo(Path.Combine(outDir, "training_curve.png")).Length > 1000);
        StringAssert.Contains(File.ReadAllText(Path.Combine(outDir, "log.txt")), "test accuracy");
    }
}
