using Condensa.Study;
using Condensa.Work;

namespace Condensa.Hosting;

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

    /// <summary>What a worker runs the units of one study with.</summary>
    IUnitExecutor Open(UnitEnvironment environment);

    /// <summary>Writes the results (results.json, tables, plots) from the units' stored outcomes.</summary>
    void Report(RunContext context, RunOptions options, IReadOnlyList<SearchStudy> studies, string status);

    int IScenario.Run(RunContext context, RunOptions options, CancellationToken cancellationToken) =>
        Coordinator.Run(context, this, (StudyRunOptions)options, cancellationToken, owner: context.Owner);
}
