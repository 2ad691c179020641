using System.Text.Json;
using System.Text.Json.Serialization;

namespace Condensa.Study;

/// <summary>
/// One unit of a scenario's work (a memory build, an evaluation, a continual run, a NAS candidate): its
/// <see cref="Key"/>, a hash of everything its result depends on; its parameters (what a worker needs to run it, and a
/// <c>label</c> for people); and the position in the plan of the unit it waits for, if any (an evaluation waits for
/// its memory's build).
/// </summary>
public sealed record WorkUnit(string Key, IReadOnlyDictionary<string, JsonElement> Params, int? After = null);
