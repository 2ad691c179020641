using Condensa.Data;
using Condensa.Hosting;
using Condensa.Memory;
using Condensa.Reporting;
using Microsoft.Extensions.Logging;
using TorchSharp;
using static TorchSharp.torch;
using Condensa.Runtime;

namespace Condensa.Tests.Support;

/// <summary>Tiny separable class-incremental data: class c lights the 2x2 patch at (2·(c / 4), 2·(c mod 4)) of a noisy 1x8x8 image.</summary>
internal static class ContinualTestData
{
    public const int Side = 8;

    /// <summary>8-bit pixels (N x 64) and labels: <paramref name="perClass"/> images of each of <paramref name="classes"/> classes.</summary>
    public static (byte[] Pixels, byte[] Labels) PatchBytes(int classes, int perClass, int seed)
    {
        var random = new Random(seed);
        int n = classes * perClass;
        var pixels = new byte[n * Side * Side];
        var labels = new byte[n];
        for (int i = 0; i < n; i++)
        {
            int c = i % classes;
            labels[i] = (byte)c;
            var image = pixels.AsSpan(i * Side * Side, Side * Side);
            for (int p = 0; p < image.Length; p++) image[p] = (byte)random.Next(0, 90);
            int row = 2 * (c / 4), col = 2 * (c % 4);
            for (int dy = 0; dy < 2; dy++)
                for (int dx = 0; dx < 2; dx++)
                    image[(row + dy) * Side + col + dx] = (byte)random.Next(180, 256);
        }
        return (pixels, labels);
    }

    /// <summary>A folder of IDX files (train and t10k) holding patch data of 4 classes, as the IDX reader expects.</summary>
    public static TempDataFolder IdxPatches((int PerClass, int Seed) train, (int PerClass, int Seed) test)
    {
        var data = new TempDataFolder();
        foreach (var (split, (perClass, seed)) in new[] { ("train", train), ("t10k", test) })
        {
            var (pixels, labels) = PatchBytes(4, perClass, seed);
            data.Write($"{split}-images-idx3-ubyte", TempDataFolder.IdxImages(labels.Length, Side, Side, pixels));
            data.Write($"{split}-labels-idx1-ubyte", TempDataFolder.IdxLabels(labels));
        }
        return data;
    }

    public static LabeledDataset Patches(int classes, int perClass, int seed, string name = "patches")
    {
        var (pixels, labels) = PatchBytes(classes, perClass, seed);
        using var scope = NewDisposeScope();
        var images = tensor(pixels).view(-1, 1, Side, Side).to_type(ScalarType.Float32) / 255f;
        return new LabeledDataset(name, images, tensor(labels).to_type(ScalarType.Int64),
            Enumerable.Range(0, classes).Select(c => $"c{c}").ToArray(), Normalization.Identity(1));
    }

    public static MemoryBuilderRegistry Registry()
    {
        var registry = new MemoryBuilderRegistry();
        Condensa.Methods.MethodsModule.Register(registry);
        return registry;
    }

    /// <param name="builders">The registry the scenario resolves builders from (default: every registered builder).</param>
    public static RunContext Context(string dir, ILogger log, MemoryBuilderRegistry? builders = null) => new()
    {
        Directory = new RunDirectory(dir), Log = log, Device = CPU, Progress = NullProgress.Instance, Builders = builders ?? Registry(), ConfigPath = "test.yaml",
    };
}

/// <summary>The work units a run left in its folder's study store: how a test sees what ran, what was reused and what it produced.</summary>
internal static class StoredUnits
{
    public static List<string> StudyNames(string runFolder)
    {
        if (!File.Exists(Path.Combine(runFolder, "study.db"))) return [];
        using var store = Condensa.Study.StudyStorage.Open("sqlite:" + Path.Combine(runFolder, "study.db"));
        return store.StudyNames().ToList();
    }

    public static List<Condensa.Study.FrozenTrial> Of(string runFolder, string study)
    {
        using var store = Condensa.Study.StudyStorage.Open("sqlite:" + Path.Combine(runFolder, "study.db"));
        return Condensa.Study.SearchStudy.Load(store, study).GetTrials().ToList();
    }

    /// <summary>The units of the run folder's only study.</summary>
    public static List<Condensa.Study.FrozenTrial> Single(string runFolder) => Of(runFolder, StudyNames(runFolder).Single());
}

/// <summary>Keeps every log message and lets a test react to one (e.g. cancel the run after a step).</summary>
internal sealed class RecordingLogger(Action<string>? onMessage = null) : ILogger
{
    public List<string> Messages { get; } = [];

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var message = formatter(state, exception);
        Messages.Add(message);
        onMessage?.Invoke(message);
    }
}

/// <summary>A fresh folder for a run directory, deleted on dispose.</summary>
internal sealed class TempRunFolder : IDisposable
{
    public string Root { get; } = Path.Combine(Path.GetTempPath(), "condensa-tests-continual", Guid.NewGuid().ToString("N"));

    public string PathOf(string name) => Path.Combine(Root, name);

    public void Dispose()
    {
        if (Directory.Exists(Root)) Directory.Delete(Root, recursive: true);
    }
}
