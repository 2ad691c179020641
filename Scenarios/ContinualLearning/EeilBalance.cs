
namespace Condensa.Scenarios.ContinualLearning;

/// <summary>What "class-balanced" means for EEIL's fine-tuning set.</summary>
internal enum EeilBalance
{
    /// <summary>
    /// The updated memory's old classes plus a seeded random sample of each new class of the same per-class size:
    /// Castro et al.'s balance (they pick the new classes' samples with the memory's selector, here a random sample)
    /// and Zhao's End2End_aug (random).
    /// </summary>
    PerClass,
    /// <summary>The updated memory alone, new classes' memory included (PyCIL).</summary>
    Memory,
    /// <summary>The memory as used in the training phase plus a random sample of the new data as large as that whole memory (FACIL).</summary>
    Total,
}
