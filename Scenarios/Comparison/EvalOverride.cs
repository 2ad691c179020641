using System.ComponentModel.DataAnnotations;

namespace Condensa.Scenarios.Comparison;

/// <summary>An <c>eval_for</c> entry: evaluation epochs or augmentation for some builders instead of <c>eval</c>'s.</summary>
internal sealed class EvalOverride
{
    /// <summary>The builders (by label, or name when they have none) this entry applies to.</summary>
    [Required] public List<string> Builders { get; set; } = [];

    /// <summary>Epochs instead of eval.epochs (the rate decays at half of them).</summary>
    [Range(1, 1_000_000)] public int? Epochs { get; set; }

    /// <summary>Augmentation instead of eval.augmentation: none, dsa or a DSA strategy string.</summary>
    public string? Augmentation { get; set; }
}
