
namespace Condensa.Study;

internal sealed record ClaimedTrial(long Id, int Number, int Attempts, string ParamsJson);
