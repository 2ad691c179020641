
namespace Condensa.Scenarios.ContinualLearning;

/// <summary>Which logits EEIL's balanced fine-tuning distills.</summary>
internal enum EeilDistill
{
    /// <summary>The classes of the earlier steps (FACIL).</summary>
    OldClasses,
    /// <summary>All classes seen so far, this step's included (PyCIL, Zhao's End2End_aug; needs <c>teacher: post-training</c>).</summary>
    SeenClasses,
}
