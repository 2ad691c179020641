using System.Diagnostics;
using Condensa.Data;
using Condensa.Hosting;
using Condensa.Config;
using Condensa.Memory;
using Condensa.Models;
using Condensa.Reporting;
using Condensa.Study;
using Condensa.Work;
using Microsoft.Extensions.Logging;

namespace Condensa.Scenarios.Comparison;

/// <summary>
/// Scenario <c>compare</c>: the same budgets built by every listed memory builder, each memory trained on by fresh
/// models and tested on the real test set (the DC papers' protocol), side by side. Its work units are every memory build
/// (builder, budget, seed) and every evaluation (memory, architecture, model), an evaluation waiting for its memory; any
/// number of workers run them, and a unit's seed comes from its identity, so the table does not depend on who ran what.
/// A re-run on the same --out reuses every finished unit (one more builder only computes its own rows).
/// </summary>
internal sealed class CompareScenario : ISingleStudyScenario
{
    internal const string Build = "build", Evaluate = "evaluate";

    public string Name => "compare";
    public string Description => "Build the same memory budget with several builders and evaluate them side by side";
    public Type OptionsType => typeof(CompareOptions);

    public string DescribePlan(RunOptions options)
    {
        var o = (CompareOptions)options;
        return $"{o.Builders.Count} builders x {o.Budgets.Count} budgets x {o.Seeds} seeds, evaluated on {string.Join(", ", o.EffectiveEvalArchs)} " +
               $"with {o.Models} models each ({o.Eval.Epochs} epochs, augmentation {o.Eval.Augmentation})";
    }

    /// <summary>
    /// The plan: first every memory build, then every evaluation, each after its build, the largest memories' first (an
    /// evaluation's cost grows with its memory, and the longest units first leave the workers the shortest ones to
    /// finish together). Builds that train the same
    /// selection model (same settings, same memory seed) wait for the first of them, which records it for all (in the
    /// run folder), so that no two workers train it at once; a build of an iteration sweep waits for the shorter build it
    /// continues (<see cref="IterationSweeps"/>). Keys hold what a unit's result depends on: a build its
    /// memory's slot and identity, an evaluation also the architecture, the evaluation settings and the model's index.
    /// </summary>
    public IReadOnlyList<WorkUnit> Units(RunOptions options, RunInfo run)
    {
        var o = (CompareOptions)options;
        var units = new List<WorkUnit>();
        var builds = new List<(int Number, MemorySpec Memory, string Identity, string Builder, string Budget, int Seed)>();
        var recorders = new Dictionary<string, int>();
        var sweeps = new IterationSweeps(o.Builders);
        foreach (var spec in o.Builders)
        foreach (var (label, budget) in o.Budgets)
        for (int s = 0; s < o.Seeds; s++)
        {
            var memory = Memory(o, sweeps, spec, label, budget, s);
            var identity = memory.Identity(run.SettingsKey);
            int? after = null;
            if (spec.Options is Methods.Selection.Dynamics.SelectionModelOptions selection)
            {
                var model = $"{selection.SelectionModel(memory.Architecture)}|seed {s}";
                if (recorders.TryGetValue(model, out var first)) after = first;
                else recorders[model] = units.Count;
            }
            if (sweeps.Previous(spec) is { } previous) after = builds.Single(b => b.Builder == previous.DisplayName && b.Budget == label && b.Seed == s).Number;
            builds.Add((units.Count, memory, identity, spec.DisplayName, label, s));
            units.Add(new WorkUnit(run.UnitKey($"{Build}|{memory.Slot}|{identity}"),
                UnitParams.Of($"build {spec.DisplayName} {label} seed {s}", ("kind", Build), ("builder", spec.DisplayName), ("budget", label), ("seed", s)), After: after));
        }
        // fraction budgets (usually the larger memories) before ipc ones, each largest first
        foreach (var b in builds.OrderByDescending(b => b.Memory.Budget.Fraction is not null).ThenByDescending(b => b.Memory.Budget.Fraction ?? b.Memory.Budget.Ipc).ThenBy(b => b.Number))
        foreach (var protocol in o.EvalProtocols)
        foreach (var arch in o.EffectiveEvalArchs)
        for (int m = 0; m < o.Models; m++)
            units.Add(new WorkUnit(run.UnitKey($"{Evaluate}|{b.Memory.Slot}|{b.Identity}|{arch}|{EvaluationKey(o, b.Memory.Builder, protocol)}|model {m}|{run.SettingsKey}"),
                UnitParams.Of($"evaluate {b.Builder} {b.Budget} seed {b.Seed} on {arch}{ProtocolNote(protocol)}, model {m}",
                    ("kind", Evaluate), ("builder", b.Builder), ("budget", b.Budget), ("seed", b.Seed), ("arch", arch), ("protocol", protocol), ("model", m)), After: b.Number));
        return units;
    }

    /// <summary>
    /// The memory of (builder, budget, memory index s): built from the run's training set with seed <c>Derive(seed, "build", s)</c>,
    /// continuing the synthesis of the previous row of its iteration sweep, if any.
    /// </summary>
    private static MemorySpec Memory(CompareOptions o, IterationSweeps sweeps, MethodSpec builder, string budgetLabel, Budget budget, int s) => new()
    {
        Builder = builder, SourceKey = $"{DataKey(o)}|train", Budget = budget, Architecture = ArchitectureSpec.Parse(o.BuildArch),
        Seed = Condensa.Seeds.Derive(o.Seed, "build", s), Slot = Slot(builder, budgetLabel, s),
        ContinuesFrom = sweeps.Previous(builder) is { } previous ? Slot(previous, budgetLabel, s) : null,
    };

    private static string Slot(MethodSpec builder, string budgetLabel, int s) => $"{RunDirectory.Slug(builder.DisplayName)}/{RunDirectory.Slug(budgetLabel)}/seed{s}";

    /// <summary>What the dataset is: its resolved settings and the seed of its splits.</summary>
    private static string DataKey(RunOptions o) => $"{ConfigWriter.ToYaml(o.Dataset)}|data seed {Condensa.Seeds.Derive(o.Seed, "data")}";

    /// <summary>What an evaluation's accuracy depends on besides its memory, architecture and model: the schedule, the test set, the seed.</summary>
    private static string EvaluationKey(CompareOptions o, MethodSpec builder, string protocol) =>
        $"{MemoryStore.OptionsJson(o.EvalOf(builder, protocol)).ToJsonString()}|{DataKey(o)}|test|seed {o.Seed}";

    /// <summary>How a unit label or table header names a protocol other than the thesis'.</summary>
    private static string ProtocolNote(string protocol) => protocol == Training.EvalProtocol.Thesis ? "" : $", {protocol} protocol";

    /// <summary>A unit's protocol (units stored before protocols were recorded are the thesis').</summary>
    internal static string ProtocolOf(IReadOnlyDictionary<string, System.Text.Json.JsonElement> parameters) =>
        parameters.TryGetValue("protocol", out var p) ? p.GetString()! : Training.EvalProtocol.Thesis;

    /// <summary>The best (builder, budget) cell: the highest mean accuracy over its evaluations.</summary>
    public StudyObjective Objective => new(new Dictionary<string, string> { ["kind"] = Evaluate }, ["builder", "budget"]);

    public IUnitExecutor Open(UnitEnvironment environment) => new Executor(environment);

    /// <summary>Runs compare units: the data loaded once, memories through the pipeline, evaluations by <see cref="MemoryEvaluation.TrainAndTest"/>.</summary>
    private sealed class Executor : IUnitExecutor
    {
        private readonly UnitEnvironment _env;
        private readonly CompareOptions _o;
        private readonly DatasetSplits _splits;
        private readonly LabeledDataset _train, _test;
        private readonly MemoryPipeline _pipeline;
        private readonly IterationSweeps _sweeps;

        public Executor(UnitEnvironment env)
        {
            _env = env;
            _o = (CompareOptions)env.Options;
            _splits = DatasetCatalog.Load(_o.Dataset, Condensa.Seeds.Derive(_o.Seed, "data"));
            _splits.Describe(env.Log);
            _train = _splits.Train.To(env.Settings.Device);
            _test = _splits.Test.To(env.Settings.Device);
            _pipeline = env.Pipeline();
            _sweeps = new IterationSweeps(_o.Builders);
        }

        public double Run(Trial unit, CancellationToken cancellationToken)
        {
            var builder = _o.Builders.Single(b => b.DisplayName == unit.Text("builder"));
            var (label, budget) = _o.Budgets.Single(b => b.Label == unit.Text("budget"));
            int s = unit.Int("seed");
            var clock = Stopwatch.StartNew();
            using var memory = _pipeline.Obtain(Memory(_o, _sweeps, builder, label, budget, s), _train, cancellationToken);
            unit.SetUserAttr("memory", memory.Identity);
            unit.SetUserAttr("built", memory.Built);
            if (unit.Text("kind") == Build)
            {
                unit.SetUserAttr("build_seconds", memory.BuildSeconds);
                unit.SetUserAttr("images", memory.Count);
                unit.SetUserAttr("training_images", memory.TrainingImages);
                unit.SetUserAttr("stored_bytes", memory.StoredBytes);
                if (memory.Built && memory.Set.IterationsBeforeResume > 0) unit.SetUserAttr("resumed_at_iteration", memory.Set.IterationsBeforeResume);
                return memory.BuildSeconds;
            }
            var arch = unit.Text("arch");
            var protocol = ProtocolOf(unit.Params);
            int model = unit.Int("model");
            var slug = Slot(builder, label, s);
            long seed = Condensa.Seeds.Derive(Condensa.Seeds.Derive(_o.Seed, $"eval/{slug}/{arch}{(protocol == Training.EvalProtocol.Thesis ? "" : "/" + protocol)}"), "model", model);
            using var data = memory.Materialize();
            var accuracy = MemoryEvaluation.TrainAndTest(data, memory.Weights, ArchitectureSpec.Parse(arch), _o.EvalOf(builder, protocol), [_test], seed,
                _env.Settings.Device, cancellationToken, _env.Progress)[0].Accuracy;
            unit.SetUserAttr("seconds", clock.Elapsed.TotalSeconds);
            _env.Log.LogInformation("{Method} {Budget} seed {Seed} on {Arch}, model {Model}: {Accuracy} ({Images} images)",
                builder.DisplayName, label, s, arch, model, Format.Percent(accuracy), memory.Count);
            return accuracy;
        }

        public void Dispose()
        {
            _pipeline.Dispose();
            if (!ReferenceEquals(_train, _splits.Train)) _train.Dispose();
            if (!ReferenceEquals(_test, _splits.Test)) _test.Dispose();
            _splits.Dispose();
        }
    }

    public void Report(RunContext ctx, RunOptions options, IReadOnlyList<SearchStudy> studies, RunOutcome outcome) =>
        CompareReport.Write(ctx, (CompareOptions)options, studies.Count == 0 ? [] : studies[0].GetTrials(), outcome);
}
