using Condensa.Study;
using Condensa.Work;
using Microsoft.Extensions.Logging;
using Condensa.Hosting;

namespace Condensa.Work;

/// <summary>
/// A scenario whose work is independent units in a study store (compare, continual, nas), run by any number of
/// workers: the coordinator (<c>condensa run</c>) plans the studies, works units itself beside its local workers and
/// any <c>condensa worker</c> elsewhere, and writes the report from the units' stored results.
/// </summary>
public interface IUnitScenario : IScenario
{
    /// <summary>The names of the studies a run of <paramref name="options"/> works, known before planning (workers start with them).</summary>
    IReadOnlyList<string> StudyNames(RunOptions options, RunInfo run);

    /// <summary>Creates (or re-opens) the run's studies; it may do work the units need first (NAS builds its proxy sets).</summary>
    IReadOnlyList<SearchStudy> Plan(PlanContext plan, RunOptions options, CancellationToken cancellationToken);

    /// <summary>
    /// The studies that follow from the finished ones (<paramref name="studies"/>, every unit complete or failed), e.g.
    /// the next rung of a successive halving, planned from their stored results; none when the run is done. Their names
    /// must be among <see cref="StudyNames"/>, so that workers started with the run serve them once they exist.
    /// </summary>
    IReadOnlyList<SearchStudy> Extend(PlanContext plan, RunOptions options, IReadOnlyList<SearchStudy> studies, CancellationToken cancellationToken) => [];

    /// <summary>What a worker runs the units of one study with.</summary>
    IUnitExecutor Open(UnitEnvironment environment);

    /// <summary>
    /// Writes the results (results.json, tables, plots) from the units' stored outcomes; <paramref name="outcome"/> says
    /// whether every unit completed, and a table shows a failed unit's cell as failed, never as a number.
    /// </summary>
    void Report(RunContext context, RunOptions options, IReadOnlyList<SearchStudy> studies, RunOutcome outcome);

    int IScenario.Run(RunContext context, RunOptions options, CancellationToken cancellationToken) =>
        Coordinator.Run(context, this, (StudyRunOptions)options, cancellationToken, owner: context.Owner);
}

/// <summary>
/// A unit scenario whose run is one study of units known from the config alone (compare, continual): the study is named
/// after its units' keys, so a changed config gets its own study and reuses the finished units it shares.
/// </summary>
public interface ISingleStudyScenario : IUnitScenario
{
    /// <summary>The run's units, in the order workers should claim them.</summary>
    IReadOnlyList<WorkUnit> Units(RunOptions options, RunInfo run);

    /// <summary>What the plan holds, for the log (without the unit count, which follows).</summary>
    string DescribePlan(RunOptions options);

    /// <summary>What the study's best result is (shown by <c>condensa status</c>), or null for none.</summary>
    StudyObjective? Objective => null;

    IReadOnlyList<string> IUnitScenario.StudyNames(RunOptions options, RunInfo run) =>
        [run.StudyName(string.Join('|', Units(options, run).Select(u => u.Key)))];

    IReadOnlyList<SearchStudy> IUnitScenario.Plan(PlanContext plan, RunOptions options, CancellationToken cancellationToken)
    {
        var units = Units(options, plan.Run);
        plan.Context.Log.LogInformation("{Scenario}: {Plan}: {Units} units", Name, DescribePlan(options), units.Count);
        var extra = Objective is { } objective ? new Dictionary<string, System.Text.Json.JsonElement> { [StudyObjective.Attribute] = objective.ToJson() } : null;
        return [plan.Create(plan.Run.StudyName(string.Join('|', units.Select(u => u.Key))), units, extra)];
    }
}
