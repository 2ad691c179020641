using System.ComponentModel.DataAnnotations;
using Condensa.Training;

namespace Condensa.Scenarios.ContinualLearning;

/// <summary>GDumb's per-step training (the DM paper's CL_DM.py uses evaluate_synset: 1,000 epochs, lr 0.01 decayed ×0.1 once at half, batch 256, DSA).</summary>
internal sealed class GdumbOptions
{
    /// <summary>Fresh models trained on the memory at every step (the DM paper: 3); the step's accuracy is their mean.</summary>
    [Range(1, 1000)] public int Models { get; set; } = 3;

    /// <summary>How each model is trained on the memory. No cutmix (GDumb's own code uses it; the DM paper uses DSA instead).</summary>
    public TrainOptions Train { get; set; } = new() { Epochs = 1000, BatchSize = 256, Lr = 0.01, Augmentation = "dsa" };
}
