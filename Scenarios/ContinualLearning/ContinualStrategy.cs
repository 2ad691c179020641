
namespace Condensa.Scenarios.ContinualLearning;

/// <summary>How a model learns from a stream of steps.</summary>
internal enum ContinualStrategy
{
    /// <summary>GDumb (Prabhu et al. 2020) as in the DM paper: after each step, fresh models trained from scratch on the memory only.</summary>
    Gdumb,
    /// <summary>EEIL / End-to-End Incremental Learning (Castro et al. 2018): new data plus memory with distillation, then balanced fine-tuning.</summary>
    Eeil,
}
