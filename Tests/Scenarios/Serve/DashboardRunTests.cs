using System.Net;
using System.Text.Json.Nodes;
using Condensa.Scenarios.Cli;
using Condensa.Scenarios.Serve;
using Condensa.Tests.Support;

namespace Condensa.Tests.Scenarios.Serve;

/// <summary>
/// The dashboard on real runs of every scenario, made here by <c>condensa run</c> on tiny patch data: each run's page
/// shows its numbers and its charts, and a page open in a browser receives the new body when a running run writes.
/// </summary>
[TestClass]
public sealed class DashboardRunTests
{
    private const string Tiny = "convnet-w32-d1-instancenorm-relu-avgpool";
    private static TempDataFolder? _data;
    private static string _runs = "";

    private static string Config(string scenario, string body) => $$"""
        scenario: {{scenario}}
        name: {{scenario}}-tiny
        seed: 1
        dataset: { name: idx, path: {{_data!.Root}}{{(scenario == "nas" ? ", validation_fraction: 0.25" : "")}} }
        {{body}}
        """;

    [ClassInitialize]
    public static async Task MakeRuns(TestContext _)
    {
        _data = ContinualTestData.IdxPatches(train: (16, 3), test: (6, 4));
        _runs = Path.Combine(Path.GetTempPath(), "condensa-serve-runs-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_runs);
        var configs = new Dictionary<string, string>
        {
            ["train"] = Config("train", $"arch: {Tiny}\ntrain: {{ epochs: 3, batch_size: 16, lr: 0.05, eval_every: 1 }}"),
            ["compare"] = Config("compare", $"builders: [random, {{ name: herding, selection_epochs: 1 }}]\nipc: [1, 2]\nseeds: 1\nmodels: 1\nbuild_arch: {Tiny}\n" +
                                            "eval: { epochs: 3, batch_size: 16, lr: 0.05, augmentation: none }"),
            ["continual"] = Config("continual", $"builders: [random]\nstrategies: [gdumb]\nsteps: 2\nseeds: 2\nmemory: {{ per_class: 3 }}\narch: {Tiny}\n" +
                                                "gdumb: { models: 1, train: { epochs: 3, batch_size: 16, lr: 0.05 } }"),
            ["nas"] = Config("nas", "space: { widths: [32], depths: [1, 2], norms: [instancenorm], activations: [relu], poolings: [avgpool, maxpool] }\n" +
                                    "proxies: [{ builder: random, ipc: 2 }]\nproxy_train: { epochs: 2, batch_size: 16, lr: 0.05 }\n" +
                                    "whole_train: { epochs: 2, batch_size: 16, lr: 0.05 }\nrepeats: 1\ntop_k: 2\ntop_fraction: 0"),
        };
        foreach (var (scenario, yaml) in configs)
        {
            var file = Path.Combine(_runs, scenario + ".yaml");
            File.WriteAllText(file, yaml);
            Assert.AreEqual(0, await CondensaCli.RunAsync(["run", file, "--out", Path.Combine(_runs, scenario)]), scenario);
        }
    }

    [ClassCleanup]
    public static void RemoveRuns()
    {
        _data?.Dispose();
        if (Directory.Exists(_runs)) Directory.Delete(_runs, recursive: true);
    }

    private static async Task<(Microsoft.AspNetCore.Builder.WebApplication App, HttpClient Http)> Start()
    {
        var app = Dashboard.Build(new DashboardOptions([_runs], "127.0.0.1", 0));
        await app.StartAsync();
        return (app, new HttpClient { BaseAddress = new Uri(app.Urls.First()), Timeout = TimeSpan.FromSeconds(60) });
    }

    private static JsonNode Results(string scenario) => JsonNode.Parse(File.ReadAllText(Path.Combine(_runs, scenario, "results.json")))!;

    private static string Pct(double x) => (100 * x).ToString("0.00", System.Globalization.CultureInfo.InvariantCulture);

    [TestMethod]
    public async Task EveryScenariosPageShowsItsNumbersAndCharts()
    {
        var (app, http) = await Start();
        await using var _ = app;
        using var __ = http;
        var index = await http.GetStringAsync("/");
        foreach (var scenario in new[] { "train", "compare", "continual", "nas" })
            StringAssert.Contains(index, $"href=\"/run/0/{scenario}\"");

        var train = await http.GetStringAsync("/run/0/train");
        StringAssert.Contains(train, $"test accuracy {Pct(Results("train")["metrics"]!["test_accuracy"]!.GetValue<double>())}%");
        StringAssert.Contains(train, "<h2>Training curve</h2>");
        StringAssert.Contains(train, "<h2>Confusion matrix</h2>");
        var confusion = Results("train")["confusion_matrix"]!.AsArray();
        var firstClass = Results("train")["per_class_accuracy"]!.AsObject().First().Key;
        Assert.IsTrue(System.Text.RegularExpressions.Regex.IsMatch(train,
                $"<tr><th>{System.Text.RegularExpressions.Regex.Escape(firstClass)}</th>" + string.Concat(confusion[0]!.AsArray().Select(c => $"<td class=\"heat\"[^>]*>{c}</td>")) + "</tr>"),
            "the confusion matrix's first row holds its counts, named by its class");
        var epochOne = Condensa.Reporting.RunDirectory.ReadCsv(File.ReadAllText(Path.Combine(_runs, "train", "training.csv")))[0];
        StringAssert.Contains(train, $"<tr><td>1</td><td>{double.Parse(epochOne["loss"], System.Globalization.CultureInfo.InvariantCulture):0.0000}</td>", "the curve's values beside the chart");

        var compare = await http.GetStringAsync("/run/0/compare");
        foreach (var row in Results("compare")["rows"]!.AsArray())
            StringAssert.Contains(compare, $"{Pct(row!["accuracy_mean"]!.GetValue<double>())} ± {Pct(row["accuracy_std"]!.GetValue<double>())}");
        StringAssert.Contains(compare, "rows, top to bottom: ", "a memory grid names the class of each row");
        StringAssert.Contains(compare, "/selection.json\">selection.json</a>", "a selected memory's indices can be downloaded");

        var continual = await http.GetStringAsync("/run/0/continual");
        StringAssert.Contains(continual, "Accuracy matrix: gdumb + random (mean of 2 runs)");
        var summary = Results("continual")["summary"]![0]!;
        StringAssert.Contains(continual, $"{Pct(summary["final_accuracy_mean"]!.GetValue<double>())} ± {Pct(summary["final_accuracy_std"]!.GetValue<double>())}");
        StringAssert.Contains(continual, "<h2>Work units</h2>", "the run's own studies in its study.db");

        var nas = await http.GetStringAsync("/run/0/nas");
        StringAssert.Contains(nas, "Proxy random against whole-set training");
        StringAssert.Contains(nas, "top 2 by proxy");

        foreach (var page in new[] { train, compare, continual, nas })
        {
            Assert.IsTrue(System.Text.RegularExpressions.Regex.IsMatch(page, "<svg[^>]*>.*<(path|polyline|line|circle|rect)", System.Text.RegularExpressions.RegexOptions.Singleline),
                "an inline SVG chart with drawn marks");
            Assert.IsFalse(page.Contains("charts: the run's files are incomplete"), "every chart was drawn");
        }
    }

    [TestMethod]
    public async Task ARunningRunsPageReceivesItsNewResults()
    {
        var copy = Path.Combine(_runs, "train-live");
        Directory.CreateDirectory(copy);
        foreach (var file in Directory.GetFiles(Path.Combine(_runs, "train"))) File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        File.WriteAllText(Path.Combine(copy, ".condensa-owner"), $$"""{"host":"{{Environment.MachineName}}","pid":{{Environment.ProcessId}}}""");
        var saved = Dashboard.LiveInterval;
        Dashboard.LiveInterval = TimeSpan.FromMilliseconds(100);
        try
        {
            var (app, http) = await Start();
            await using var _ = app;
            using var __ = http;
            var page = await http.GetStringAsync("/run/0/train-live");
            StringAssert.Contains(page, "<span class=\"running\">running</span>");
            var version = System.Text.RegularExpressions.Regex.Match(page, "<main data-version=\"([0-9a-f]+)\">").Groups[1].Value;
            Assert.AreNotEqual("", version);

            using var events = await http.GetStreamAsync($"/live/run/0/train-live?since={version}");
            using var reader = new StreamReader(events);
            var results = Results("train");
            results["metrics"]!["test_accuracy"] = 0.4321;
            File.WriteAllText(Path.Combine(copy, "results.json.tmp"), results.ToJsonString());
            File.Move(Path.Combine(copy, "results.json.tmp"), Path.Combine(copy, "results.json"), overwrite: true);   // as the run writes it

            // the running time shown on the page ticks too, so an event may come before the one with the new result
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var received = await ReadPage(reader, timeout.Token);
            while (!received.Data.Contains("test accuracy 43.21%")) received = await ReadPage(reader, timeout.Token);
            Assert.AreEqual("page", received.Type);
            Assert.AreNotEqual(version, received.Id, "the event's id is the page's new version");
        }
        finally
        {
            Dashboard.LiveInterval = saved;
        }
    }

    [TestMethod]
    public async Task ALivePageSendsNothingWhileNothingChanges()
    {
        var (app, http) = await Start();
        await using var _ = app;
        using var __ = http;
        var page = await http.GetStringAsync("/run/0/nas");
        var version = System.Text.RegularExpressions.Regex.Match(page, "<main data-version=\"([0-9a-f]+)\">").Groups[1].Value;
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        using var events = await http.GetStreamAsync($"/live/run/0/nas?since={version}", cancel.Token);
        using var reader = new StreamReader(events);
        Assert.AreEqual("ready", (await ReadEvent(reader, cancel.Token)).Type, "the stream opens at once");
        await Assert.ThrowsAsync<OperationCanceledException>(async () => await ReadEvent(reader, cancel.Token), "no page for an unchanged run");
        Assert.AreEqual(HttpStatusCode.NotFound, (await http.GetAsync("/live/run/0/no-such-run")).StatusCode);
    }

    [TestMethod]
    public async Task ARealBrowserDrawsTheRunsPageAndEveryScenariosPage()
    {
        if (!File.Exists("/usr/bin/chromium")) Assert.Inconclusive("Debian's chromium is not installed (apt-get install chromium); .ci/run installs it");
        var (app, http) = await Start();
        await using var _ = app;
        using var __ = http;
        var shots = Path.Combine(_runs, "ui-check");
        var check = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("bash",
            [Path.Combine(Repository.Root, "tools", "ui-check"), "--url", http.BaseAddress!.ToString(), "--out", shots])
        {
            RedirectStandardOutput = true, RedirectStandardError = true,
        })!;
        var output = check.StandardOutput.ReadToEndAsync();
        var errors = check.StandardError.ReadToEndAsync();
        await check.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
        var report = await output + await errors;
        Assert.AreEqual(0, check.ExitCode, report);
        StringAssert.Contains(report, "ui-check: 5 pages, 0 failed", "the runs page and one page per scenario");
        foreach (var name in new[] { "runs", "run-train", "run-compare", "run-continual", "run-nas" })
            Assert.IsTrue(new FileInfo(Path.Combine(shots, name + ".png")) is { Exists: true, Length: > 10_000 }, $"a screenshot of {name}");
    }

    /// <summary>The next server-sent event: its type, id and data (data lines joined by newlines).</summary>
    internal static async Task<(string Type, string Id, string Data)> ReadEvent(StreamReader reader, CancellationToken cancel = default)
    {
        string type = "message", id = "";
        var data = new List<string>();
        bool any = false;
        while (await reader.ReadLineAsync(cancel) is { } line)
        {
            if (line.Length == 0) { if (any) break; continue; }
            any = true;
            if (line.StartsWith("event: ", StringComparison.Ordinal)) type = line[7..];
            else if (line.StartsWith("id: ", StringComparison.Ordinal)) id = line[4..];
            else if (line.StartsWith("data: ", StringComparison.Ordinal)) data.Add(line[6..]);
            else if (line == "data:") data.Add("");
        }
        return (type, id, string.Join('\n', data));
    }

    /// <summary>The next event that carries a page (after the stream's opening "ready").</summary>
    internal static async Task<(string Type, string Id, string Data)> ReadPage(StreamReader reader, CancellationToken cancel = default)
    {
        while (true)
            if (await ReadEvent(reader, cancel) is { Type: "page" } page) return page;
    }
}
