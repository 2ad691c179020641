using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using Condensa.Scenarios.Serve;
using Microsoft.AspNetCore.Builder;

namespace Condensa.Tests.Scenarios.Serve;

/// <summary>
/// <c>condensa serve</c> over real HTTP (Kestrel on a free loopback port): the pages show the runs' numbers, names are
/// escaped, no request reads a file outside a run folder, and a non-loopback bind needs a token.
/// </summary>
[TestClass]
public sealed class DashboardTests
{
    private const string Evil = "<img src=x onerror=alert(1)>";
    private string _root = "", _outside = "";

    [TestInitialize]
    public void MakeRuns()
    {
        var top = Path.Combine(Path.GetTempPath(), "condensa-serve-" + Guid.NewGuid().ToString("N"));
        _root = Path.Combine(top, "runs");
        _outside = Path.Combine(top, "outside");
        Directory.CreateDirectory(_outside);
        File.WriteAllText(Path.Combine(_outside, "secret.txt"), "TOPSECRET");
        File.WriteAllText(Path.Combine(_outside, "results.json"), """{"scenario":"train","status":"completed"}""");

        var train = Directory.CreateDirectory(Path.Combine(_root, "quick-train")).FullName;
        File.WriteAllText(Path.Combine(train, "config.yaml"), "scenario: train\nname: quick-train\nseed: 0\n");
        File.WriteAllText(Path.Combine(train, "results.json"), """{"scenario":"train","status":"completed","metrics":{"test_accuracy":0.9123}}""");
        File.WriteAllText(Path.Combine(train, "log.txt"), "epoch 1/1 loss 0.5\nmore workers: condensa worker --storage postgresql://condensa:hunter2@10.0.0.1:5432/runs\ntest accuracy 91.23% (completed)\n");
        File.WriteAllBytes(Path.Combine(train, "training_curve.png"), [0x89, 0x50, 0x4E, 0x47]);
        File.CreateSymbolicLink(Path.Combine(train, "link.txt"), Path.Combine(_outside, "secret.txt"));

        var compare = Directory.CreateDirectory(Path.Combine(_root, Evil)).FullName;
        File.WriteAllText(Path.Combine(compare, "config.yaml"), "scenario: compare\n");
        File.WriteAllText(Path.Combine(compare, "results.json"),
            """{"scenario":"compare","status":"completed","rows":[{"method":"dm","ipc":10,"accuracy_mean":0.8179,"accuracy_std":0.0016},{"method":"<img src=y onerror=alert(2)>","ipc":10,"accuracy_mean":0.7362,"accuracy_std":0.0002}]}""");
        File.WriteAllText(Path.Combine(compare, "results.md"), "| method | ipc 10 |\n|---|---|\n| dm | **81.79 ± 0.16** |\n| <b>random</b> | 73.62 ± 0.02 |\n");
        Directory.CreateSymbolicLink(Path.Combine(_root, "linked-run"), _outside);
        var halfWritten = Directory.CreateDirectory(Path.Combine(_root, "half-written")).FullName;
        File.WriteAllText(Path.Combine(halfWritten, "results.json"), """{"scenario":"compare","rows":[{"method":""");
        File.WriteAllText(Path.Combine(Directory.CreateDirectory(Path.Combine(_root, "odd-shape")).FullName, "results.json"), """{"scenario":["nas"],"status":7,"rows":"x"}""");
        var broken = Directory.CreateDirectory(Path.Combine(_root, "broken")).FullName;
        File.WriteAllText(Path.Combine(broken, "results.json"), """{"scenario":"nas","status":"failed","error":"dataset path /x does not exist\nat step 1"}""");
    }

    [TestCleanup]
    public void RemoveRuns() => Directory.Delete(Path.GetDirectoryName(_root)!, recursive: true);

    private static async Task<(WebApplication App, Uri Base)> Start(DashboardOptions options)
    {
        var app = Dashboard.Build(options);
        await app.StartAsync();
        return (app, new Uri(app.Urls.First()));
    }

    /// <summary>A GET with the path sent exactly as given (HttpClient would resolve "..").</summary>
    private static async Task<(int Status, string Body)> RawGet(Uri server, string path, string? host = null)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(server.Host, server.Port);
        await using var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: {host ?? server.Host}\r\nConnection: close\r\n\r\n"));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var response = await reader.ReadToEndAsync();
        return (int.Parse(response.Split(' ')[1]), response);
    }

    [TestMethod]
    public async Task PagesShowEveryRunsNumbersWithNamesEscaped()
    {
        var (app, server) = await Start(new DashboardOptions([_root], "127.0.0.1", 0));
        await using var _ = app;
        using var http = new HttpClient { BaseAddress = server };
        var index = await http.GetStringAsync("/");
        StringAssert.Contains(index, "quick-train");
        StringAssert.Contains(index, "test accuracy 91.23%");
        StringAssert.Contains(index, "best: dm ipc 10 81.79%");
        StringAssert.Contains(index, WebUtility.HtmlEncode(Evil));
        Assert.IsFalse(index.Contains(Evil), "a run's name is never markup");
        Assert.IsFalse(index.Contains("linked-run"), "a link to a folder outside the root is not a run");
        StringAssert.Contains(index, "<td class=\"failed\">failed</td><td>", "a failed run says so");
        StringAssert.Contains(index, "<td>dataset path /x does not exist</td>", "with the first line of its error");

        var filtered = await http.GetStringAsync("/?scenario=compare");
        Assert.IsFalse(filtered.Contains(">quick-train<"));

        var run = await http.GetStringAsync("/run/0/quick-train");
        StringAssert.Contains(run, "test accuracy 91.23%");
        StringAssert.Contains(run, "name: quick-train");
        StringAssert.Contains(run, "test accuracy 91.23% (completed)");
        StringAssert.Contains(run, "postgresql://condensa:***@10.0.0.1:5432/runs");
        Assert.IsFalse(run.Contains("hunter2"), "a store's password never appears");
        StringAssert.Contains(run, "/file/0/quick-train/training_curve.png");
        StringAssert.Contains(run, "<tr><th>test_accuracy</th><td>0.9123</td></tr>");
        var compare = await http.GetStringAsync("/run/0/" + Uri.EscapeDataString(Evil));
        StringAssert.Contains(compare, "<td><strong>" + WebUtility.HtmlEncode("81.79 ± 0.16") + "</strong></td>", "the best of a column stays bold");
        StringAssert.Contains(compare, "&lt;b&gt;random&lt;/b&gt;");
        Assert.IsFalse(compare.Contains("<img src=y"), "a text value in results.json is never markup");
        StringAssert.Contains(compare, WebUtility.HtmlEncode("<img src=y onerror=alert(2)>"));
        StringAssert.Contains(index, ">half-written<", "a half-written results.json leaves the runs page working");
        StringAssert.Contains(index, ">odd-shape<");
        Assert.AreEqual(HttpStatusCode.OK, (await http.GetAsync("/run/0/half-written")).StatusCode);
        Assert.AreEqual(HttpStatusCode.OK, (await http.GetAsync("/run/0/odd-shape")).StatusCode);
        var downloaded = await http.GetStringAsync("/file/0/quick-train/log.txt");
        StringAssert.Contains(downloaded, "postgresql://condensa:***@10.0.0.1:5432/runs");
        Assert.IsFalse(downloaded.Contains("hunter2"), "a downloaded log hides the password too");
        Assert.AreEqual("""{"scenario":"train","status":"completed","metrics":{"test_accuracy":0.9123}}""", await http.GetStringAsync("/file/0/quick-train/results.json"));
        Assert.AreEqual(HttpStatusCode.NotFound, (await http.GetAsync("/run/0/no-such-run")).StatusCode);
        foreach (var method in new[] { HttpMethod.Post, HttpMethod.Put, HttpMethod.Delete, HttpMethod.Patch })
        {
            using var request = new HttpRequestMessage(method, "/file/0/quick-train/results.json") { Content = new StringContent("{}") };
            Assert.AreEqual(HttpStatusCode.MethodNotAllowed, (await http.SendAsync(request)).StatusCode, $"{method}: read-only");
        }
        Assert.AreEqual("""{"scenario":"train","status":"completed","metrics":{"test_accuracy":0.9123}}""", await http.GetStringAsync("/file/0/quick-train/results.json"));
    }

    [TestMethod]
    public async Task ACompareRunPageChartsItsIterationSweepAndNamesItsFailedCells()
    {
        var sweep = Directory.CreateDirectory(Path.Combine(_root, "sweep")).FullName;
        File.WriteAllText(Path.Combine(sweep, "results.json"), """
            {"scenario":"compare","status":"partial","rows":[
              {"method":"dm-f2-100","ipc":1,"arch":"a","protocol":"thesis","accuracy_mean":0.7735,"accuracy_std":0.0019,"iterations":100,"sweep":"dm-f2"},
              {"method":"dm-f2-300","ipc":1,"arch":"a","protocol":"thesis","accuracy_mean":0.7616,"accuracy_std":0.0029,"iterations":300,"sweep":"dm-f2"},
              {"method":"dm-lr100","ipc":1,"arch":"a","protocol":"thesis","accuracy_mean":null,"accuracy_std":null,"failure":"diverged"}]}
            """);
        var (app, server) = await Start(new DashboardOptions([_root], "127.0.0.1", 0));
        await using var _ = app;
        using var http = new HttpClient { BaseAddress = server };
        var page = await http.GetStringAsync("/run/0/sweep");
        StringAssert.Contains(page, "Accuracy vs synthesis iterations (a)");
        StringAssert.Contains(page, "<th>dm-f2, ipc 1</th>", "the sweep's series, named by sweep and budget");
        StringAssert.Contains(page, "<tr><td>300</td><td>76.16 ± 0.29</td></tr>", "the chart's numbers beside it, by iterations");
        StringAssert.Contains(page, "<td>diverged</td>", "a failed cell names its failure instead of a number");
    }

    [TestMethod]
    public async Task NoRequestReadsAFileOutsideARunFolder()
    {
        var (app, server) = await Start(new DashboardOptions([_root], "127.0.0.1", 0));
        await using var _ = app;
        var secret = Path.Combine(_outside, "secret.txt");
        foreach (var path in new[]
        {
            "/file/0/quick-train/../../outside/secret.txt",
            "/file/0/quick-train/%2e%2e/%2e%2e/outside/secret.txt",
            "/file/0/quick-train/%2e%2e%2f%2e%2e%2foutside%2fsecret.txt",
            "/file/0/quick-train/..%5c..%5coutside%5csecret.txt",
            "/file/0/quick-train/" + Uri.EscapeDataString(secret),
            "/file/0/quick-train//" + secret.TrimStart('/'),
            "/file/0/quick-train/link.txt",
            "/file/0/linked-run/secret.txt",
            "/file/0/..%2foutside/secret.txt",
            "/run/0/linked-run",
            "/file/1/quick-train/results.json",
        })
        {
            var (status, body) = await RawGet(server, path);
            Assert.IsTrue(status is 400 or 404, $"{path}: {status}");
            Assert.IsFalse(body.Contains("TOPSECRET"), path);
        }
        Assert.AreEqual(200, (await RawGet(server, "/file/0/quick-train/log.txt")).Status);
        Assert.AreEqual(400, (await RawGet(server, "/run/0/quick-train", host: "rebound.example.org")).Status, "a request to another host name (DNS rebinding)");
    }

    [TestMethod]
    public async Task AnyAddressButLoopbackNeedsAToken()
    {
        var e = Assert.ThrowsExactly<CondensaException>(() => Dashboard.Build(new DashboardOptions([_root], "0.0.0.0", 0)));
        StringAssert.Contains(e.Message, "--token");
        Assert.IsTrue(Dashboard.IsLoopback("localhost") && Dashboard.IsLoopback("::1") && !Dashboard.IsLoopback("192.168.1.5"));

        var (app, server) = await Start(new DashboardOptions([_root], "127.0.0.1", 0, Token: "s3cret"));
        await using var _ = app;
        using var http = new HttpClient { BaseAddress = server };
        Assert.AreEqual(HttpStatusCode.Unauthorized, (await http.GetAsync("/")).StatusCode);
        Assert.AreEqual(HttpStatusCode.Unauthorized, (await http.GetAsync("/?token=wrong")).StatusCode);
        Assert.AreEqual(HttpStatusCode.Unauthorized, (await http.GetAsync("/file/0/quick-train/results.json")).StatusCode);
        Assert.AreEqual(HttpStatusCode.OK, (await http.GetAsync("/?token=s3cret")).StatusCode);
        using var bearer = new HttpRequestMessage(HttpMethod.Get, "/run/0/quick-train");
        bearer.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "s3cret");
        Assert.AreEqual(HttpStatusCode.OK, (await http.SendAsync(bearer)).StatusCode);
    }

    [TestMethod]
    public async Task AStorePageShowsItsStudiesUnitsByState()
    {
        var url = "sqlite:" + Path.Combine(_outside, "study.db");
        using (var storage = Condensa.Study.StudyStorage.Open(url))
            Condensa.Study.SearchStudy.Create(storage, "<script>x</script>", Condensa.Study.StudyDirection.Maximize,
                Condensa.Tests.Framework.Study.StoreScenarios.Numbered("d", 4));
        var (app, server) = await Start(new DashboardOptions([_root], "127.0.0.1", 0, Storages: [url]));
        await using var _ = app;
        using var http = new HttpClient { BaseAddress = server };
        StringAssert.Contains(await http.GetStringAsync("/"), "/store/0");
        var page = await http.GetStringAsync("/store/0");
        StringAssert.Contains(page, "<td>&lt;script&gt;x&lt;/script&gt;</td><td>-</td><td>4</td><td>4</td><td>0</td><td>0</td><td>0</td><td>0</td><td>0</td>");
        StringAssert.Contains(page, "new EventSource(", "the page follows the store live");
        var version = System.Text.RegularExpressions.Regex.Match(page, "<main data-version=\"([0-9a-f]+)\">").Groups[1].Value;
        using var events = new StreamReader(await http.GetStreamAsync($"/live/store/0?since={version}"));
        using (var storage = Condensa.Study.StudyStorage.Open(url))
            Condensa.Study.SearchStudy.Create(storage, "second-study", Condensa.Study.StudyDirection.Maximize,
                Condensa.Tests.Framework.Study.StoreScenarios.Numbered("d2", 2));
        var update = await DashboardRunTests.ReadPage(events).WaitAsync(TimeSpan.FromSeconds(30));
        StringAssert.Contains(update.Data, "<td>second-study</td>", "a new study reaches the open page");
        Assert.AreEqual(HttpStatusCode.NotFound, (await http.GetAsync("/store/1")).StatusCode);
        var missing = Path.Combine(_outside, "typo.db");
        Assert.ThrowsExactly<CondensaException>(() => Dashboard.Build(new DashboardOptions([_root], "127.0.0.1", 0, Storages: ["sqlite:" + missing])));
        Assert.IsFalse(File.Exists(missing), "showing a store never creates one");
    }
}
