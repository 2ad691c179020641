
namespace Condensa.Scenarios.ContinualLearning;

/// <summary>The KD teacher of EEIL's balanced fine-tuning.</summary>
internal enum EeilTeacher
{
    /// <summary>The model after the previous step (FACIL's <c>model_old</c>; the teacher of the training phase in all codes and in Castro et al.).</summary>
    PreviousStep,
    /// <summary>A copy of the model after this step's training phase (PyCIL, Zhao's End2End_aug).</summary>
    PostTraining,
}
