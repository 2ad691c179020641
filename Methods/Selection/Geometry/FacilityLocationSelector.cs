using Condensa.Methods.Selection.Submodular;

namespace Condensa.Methods.Selection.Geometry;

/// <summary>Options of <c>facility-location</c>.</summary>
public sealed class FacilityLocationOptions : SubmodularOptions;

/// <summary>
/// Facility location <c>f(S) = Σ_{i∈V} max_{j∈S} s_ij</c> (DeepCore <c>submodular.py</c>, function FacilityLocation) on the
/// gradient-cosine kernel, per class; every row enters every gain (DeepCore's batched gain <c>calc_gain_batch</c> skips
/// most rows).
/// </summary>
public sealed class FacilityLocationSelector(FacilityLocationOptions options) : SubmodularSelector<FacilityLocationOptions>(options)
{

    internal override ISubmodularFunction Objective(ISimilarity similarity) => new FacilityLocation(similarity);
}
