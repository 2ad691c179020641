
namespace Condensa.Study;

internal enum TrialJsonColumn { Params, UserAttrs, SystemAttrs }
