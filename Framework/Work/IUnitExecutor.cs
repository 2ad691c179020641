using Condensa.Study;

namespace Condensa.Work;

/// <summary>
/// Runs the units of one study in one worker process; opened once per (worker, study) with what the units share
/// (datasets, the memory pipeline), disposed when the worker is done with the study.
/// </summary>
public interface IUnitExecutor : IDisposable
{
    /// <summary>
    /// Runs the unit <paramref name="unit"/> holds (its parameters say which) and returns its value; everything else
    /// the run's report needs goes into the unit's user attributes. Throws on failure; on cancellation it stops at the
    /// next step it can resume from.
    /// </summary>
    double Run(Trial unit, CancellationToken cancellationToken);
}
