using System.Text.Json;
using System.Text.Json.Serialization;

namespace Condensa.Study;

/// <summary>
/// Decides the parameters of the trials of a study. Unlike Optuna, where every worker's sampler picks a point when
/// it asks for a trial (so distributed grid workers "occasionally suggest the same parameter configuration", says
/// the <c>GridSampler</c> docstring), a sampler here fixes its points up front: the process that creates the study
/// inserts them all as Waiting trials in the same transaction that inserts the study, and workers only claim them.
/// So every point runs exactly once however many workers join. A parameter a trial suggests that its point does not
/// fix (define-by-run) comes from <see cref="SampleMissing"/>. The sampler is stored with the study as JSON, so a
/// worker that only knows the study's name rebuilds it.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(GridSampler), "grid")]
[JsonDerivedType(typeof(RandomSampler), "random")]
[JsonDerivedType(typeof(UnitSampler), "units")]
public abstract record Sampler
{
    /// <summary>The parameters of the trials enqueued when the study is created, trial number = position.</summary>
    internal abstract IReadOnlyList<Dictionary<string, JsonElement>> EnqueuedPoints();

    /// <summary>The trials enqueued when the study is created: parameters, and for work units their key and prerequisite.</summary>
    internal virtual IReadOnlyList<EnqueuedTrial> Enqueued() => EnqueuedPoints().Select(p => new EnqueuedTrial(StudyJson.SerializeMap(p))).ToList();

    /// <summary>The value of parameter <paramref name="name"/> for trial <paramref name="trialNumber"/>, which its point does not fix.</summary>
    internal abstract JsonElement SampleMissing(int trialNumber, string name, ParamDistribution distribution);
}
