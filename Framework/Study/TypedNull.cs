using System.Data;

namespace Condensa.Study;

/// <summary>An SQL NULL of a given column type (PostgreSQL does not turn an untyped text NULL into a number).</summary>
internal readonly record struct TypedNull(DbType Type);
