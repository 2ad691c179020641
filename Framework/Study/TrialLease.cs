
namespace Condensa.Study;

/// <summary>What makes a worker's write to its trial valid: the trial is still Running for this worker and this attempt.</summary>
internal readonly record struct TrialLease(long TrialId, string Worker, int Attempt);
