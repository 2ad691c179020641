using System.ComponentModel.DataAnnotations;
using Condensa.Methods.Selection.Submodular;

namespace Condensa.Methods.Selection.Geometry;

/// <summary>Options of <c>graph-cut</c>.</summary>
public sealed class GraphCutOptions : SubmodularOptions
{
    /// <summary>
    /// λ of <c>Σ_{i∈V, j∈S} s_ij − λ Σ_{i,j∈S} s_ij</c>: 0.5 keeps f monotone (the greedy guarantee); DeepCore's λ_D = 1
    /// on the representativeness term corresponds to λ = 1 here (<see cref="GraphCut"/>).
    /// </summary>
    [Range(0.0, 1000.0)] public double Lambda { get; set; } = GraphCut.DefaultLambda;
}

/// <summary>
/// Graph cut (Iyer et al.; DeepCore <c>submodular.py</c> with function GraphCut, its main's default) on the
/// gradient-cosine kernel, per class. Departure: λ defaults to 0.5 (monotone), DeepCore's setting is λ = 1.
/// </summary>
public sealed class GraphCutSelector(GraphCutOptions options) : SubmodularSelector<GraphCutOptions>(options)
{

    internal override ISubmodularFunction Objective(ISimilarity similarity) => new GraphCut(similarity, Options.Lambda);
}
