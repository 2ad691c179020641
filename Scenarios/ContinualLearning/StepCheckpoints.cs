using System.Text.Json;
using System.Text.RegularExpressions;
using Condensa.Reporting;
using Condensa.Work;

namespace Condensa.Scenarios.ContinualLearning;

/// <summary>
/// The checkpoints of one continual run, in <c>checkpoints/RUN-SETTINGS/</c> of the run folder: after step t, its
/// result (<c>step{t}.json</c>) and the learner's state (<c>step{t}</c>...). The folder is named by the run's settings
/// key, so a changed config never reads another's checkpoints; the same run's folders under other settings keys are
/// dropped when the run starts. Workers without the run folder share them through the store (<see cref="RunFiles"/>).
/// </summary>
internal sealed partial class StepCheckpoints
{
    private readonly RunFiles _files;
    private readonly ContinualRun _run;

    public StepCheckpoints(RunFiles files, ContinualRun run)
    {
        _files = files;
        _run = run;
        Folder = $"checkpoints/{run.Name}-{run.Settings}";
        var root = Path.Combine(files.Root, "checkpoints");
        if (Directory.Exists(root))
            foreach (var stale in Directory.EnumerateDirectories(root, run.Name + "-*")
                         .Where(d => Path.GetFileName(d) != Path.GetFileName(Folder) && SettingsKey().IsMatch(Path.GetFileName(d)[(run.Name.Length + 1)..])))
                Directory.Delete(stale, recursive: true);
        files.Fetch(Folder);
    }

    /// <summary>The run's checkpoint folder, relative to the run folder.</summary>
    public string Folder { get; }

    private string Step(int t) => $"{Folder}/step{t}";

    /// <summary>The result of step <paramref name="t"/> when it was checkpointed, else null; an error when it was written for another class split.</summary>
    public StepResult? Read(int t)
    {
        var path = Step(t) + ".json";
        if (!_files.Directory.Exists(path)) return null;
        var result = JsonSerializer.Deserialize<StepResult>(File.ReadAllText(_files.PathOf(path)), RunDirectory.Json)!;
        if (t > _run.Groups.Length || !result.Classes.SequenceEqual(_run.Groups[t - 1]))
            throw new CondensaException($"{path} was written for another class split (step {t}: [{string.Join(", ", result.Classes)}], this config: [{(t <= _run.Groups.Length ? string.Join(", ", _run.Groups[t - 1]) : "")}])",
                "use a new --out directory for a changed config");
        return result;
    }

    /// <summary>Puts the learner back in its state after step <paramref name="t"/>.</summary>
    public void Restore(int t, IContinualLearner learner) => learner.Restore(_files.PathOf(Step(t)));

    /// <summary>Keeps step <paramref name="t"/>: the learner's state, then its result (the marker of a complete step), published to the other workers.</summary>
    public void Write(int t, StepResult result, IContinualLearner learner)
    {
        learner.Save(_files.PathOf(Step(t)));
        _files.Directory.WriteJson(Step(t) + ".json", result);
        _files.Publish(Folder);
    }

    /// <summary>The form of a settings key (<see cref="Seeds.Key"/>): 8 hexadecimal digits.</summary>
    [GeneratedRegex("^[0-9a-f]{8}$")]
    private static partial Regex SettingsKey();
}
