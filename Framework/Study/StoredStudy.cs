
namespace Condensa.Study;

internal sealed record StoredStudy(long Id, string Name, string Direction, string UserAttrsJson);
