
namespace Condensa.Study;

internal sealed record ClaimResult(ClaimedTrial? Trial, int Requeued, int FailedStale);
