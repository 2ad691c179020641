using System.Diagnostics;
using Condensa.Data;
using Microsoft.Extensions.Logging;
using Condensa.Runtime;

namespace Condensa.Memory;

/// <summary>
/// The one way scenarios get memories: build-or-load by <see cref="MemorySpec"/>. A memory with a slot is kept in the
/// run folder (<c>memories/SLOT</c>, written by <see cref="MemoryStore"/>, shared with other machines through
/// <see cref="IMemoryFiles"/>) and loaded instead of rebuilt while its identity holds; a synthesizer's checkpoints go to
/// <c>checkpoints/SLOT</c>, so an interrupted build resumes; two workers of one machine never build one slot at once
/// (the second waits, then loads). Artifacts that builders share, such as a selection model's recorded training
/// dynamics, live in the pipeline for its lifetime and in the run folder's <c>artifacts/</c>, so every build of the run
/// on this machine reuses them.
/// </summary>
public sealed class MemoryPipeline(MemoryBuilderRegistry builders, IMemoryFiles files, ExecutionSettings settings, ILogger log, IProgressSink progress) : IDisposable
{
    private readonly InMemoryArtifactCache _artifacts = new();

    public ExecutionSettings Settings => settings;

    /// <summary>The memory of <paramref name="spec"/> built from <paramref name="source"/>, or loaded when its slot holds it.</summary>
    public OwnedMemory Obtain(MemorySpec spec, LabeledDataset source, CancellationToken cancellationToken)
    {
        var identity = spec.Identity(settings);
        if (spec.Slot is not { } slot)
        {
            var (set, seconds) = Build(spec, source, null, cancellationToken);
            return new OwnedMemory(set, source, identity, seconds, built: true);
        }
        var folder = $"memories/{slot}";
        using (files.Lock(folder, cancellationToken))
        {
            files.Fetch(folder);
            var path = Path.Combine(files.Root, folder);
            if (MemoryStore.TryLoad(path, identity) is { } stored)
            {
                log.LogInformation("memory {Slot}: loaded (built in {Seconds:0.0} s)", slot, stored.Metadata.Seconds);
                return new OwnedMemory(stored.Memory, source, identity, stored.Metadata.Seconds, built: false);
            }
            log.LogInformation("memory {Slot}: building {Builder} ({Budget})", slot, spec.Builder.DisplayName, spec.Budget);
            var checkpoints = Path.Combine(files.Root, "checkpoints", slot);
            if (spec.ContinuesFrom is { } earlier) Continue(Path.Combine(files.Root, "checkpoints", earlier), checkpoints);
            var (set, seconds) = Build(spec, source, checkpoints, cancellationToken);
            try
            {
                MemoryStore.Save(path, set, source, new MemoryInfo(spec.Builder.Name, spec.Builder.Options, spec.Seed, Seconds: seconds, Identity: identity));
                files.Publish(folder);
            }
            catch
            {
                set.Dispose();
                throw;
            }
            return new OwnedMemory(set, source, identity, seconds, built: true);
        }
    }

    /// <summary>
    /// Starts <paramref name="checkpoints"/> from the checkpoints of a shorter run in <paramref name="earlier"/> when it
    /// holds none of its own (a fresh build, not a resumed one); without them (e.g. built on another machine) the build
    /// starts from the beginning and gives the same memory. Copied through a temporary name, so a kill leaves no half file.
    /// </summary>
    private static void Continue(string earlier, string checkpoints)
    {
        static bool Whole(string file) => !file.EndsWith(".tmp", StringComparison.Ordinal);
        if (!Directory.Exists(earlier) || (Directory.Exists(checkpoints) && Directory.EnumerateFiles(checkpoints).Any(Whole))) return;
        Directory.CreateDirectory(checkpoints);
        foreach (var file in Directory.EnumerateFiles(earlier).Where(Whole))
        {
            var target = Path.Combine(checkpoints, Path.GetFileName(file));
            File.Copy(file, target + ".tmp", overwrite: true);
            File.Move(target + ".tmp", target, overwrite: true);
        }
    }

    /// <summary>
    /// Builds the memory of <paramref name="spec"/>; its build time includes what a resumed build spent before the resume.
    /// Every builder is held to its budget the same way: a class smaller than the budget is refused before the build
    /// (<see cref="Budget.Check"/>), and a memory that does not hold the budget's image count, or holds images that are
    /// not finite numbers (a synthesis that diverged), is an error, never a result.
    /// </summary>
    private (MemorySet Set, double Seconds) Build(MemorySpec spec, LabeledDataset source, string? checkpoints, CancellationToken cancellationToken)
    {
        var classes = spec.Classes ?? source.PresentClasses();
        int expected = spec.Budget.Check(source, classes, spec.Builder.DisplayName);
        var clock = Stopwatch.StartNew();
        var set = builders.Create(spec.Builder).Build(new MemoryRequest
        {
            Method = spec.Builder.Name, Source = source, Budget = spec.Budget, Classes = spec.Classes, Architecture = spec.Architecture,
            Device = settings.Device, Seed = spec.Seed, Progress = progress, Log = log, Cache = _artifacts, CheckpointDirectory = checkpoints,
            SharedDirectory = Path.Combine(files.Root, "artifacts"),
        }, cancellationToken);
        string? problem = set.Count != expected ? $"it holds {set.Count} images where the budget ({spec.Budget}, {classes.Length} classes) asks for {expected}"
            : set is SyntheticMemory synthetic && !synthetic.Images.isfinite().all().item<bool>() ? "its images hold NaN or infinite values: the synthesis diverged" : null;
        if (problem is not null)
        {
            set.Dispose();
            throw new CondensaException($"the memory built by {spec.Builder.DisplayName} is unusable: {problem}",
                set is SyntheticMemory ? "lower the builder's image learning rate, or use float32 precision" : null);
        }
        return (set, set.SecondsBeforeResume + clock.Elapsed.TotalSeconds);
    }

    public void Dispose() => _artifacts.Dispose();
}
