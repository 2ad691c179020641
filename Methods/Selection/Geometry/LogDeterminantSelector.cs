using System.ComponentModel.DataAnnotations;
using Condensa.Methods.Selection.Submodular;

namespace Condensa.Methods.Selection.Geometry;

/// <summary>Options of <c>log-determinant</c>.</summary>
public sealed class LogDeterminantOptions : SubmodularOptions
{
    /// <summary>Ridge added to the kernel's diagonal so that repeated points keep every principal minor positive.</summary>
    [Range(1e-12, 1.0)] public double Ridge { get; set; } = LogDeterminant.DefaultRidge;
}

/// <summary>
/// Log-determinant <c>log det(s_S + ridge·I)</c> on the gradient-cosine kernel, per class, with the true gain (the log
/// of the Schur complement). Departure: DeepCore maximizes the subtracted term, i.e. redundancy.
/// </summary>
public sealed class LogDeterminantSelector(LogDeterminantOptions options) : SubmodularSelector<LogDeterminantOptions>(options)
{

    internal override ISubmodularFunction Objective(ISimilarity similarity) => new LogDeterminant(similarity, Options.Ridge);
}
