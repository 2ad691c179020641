using TorchSharp;
using static TorchSharp.torch;

namespace Condensa.Scenarios.ContinualLearning;

/// <summary>
/// EEIL's distillation loss (Castro et al. 2018, eq. 2; Hinton et al. 2015) in its cross-entropy form, over the
/// distilled classes D (columns of the logits), temperature T, mean over the N samples of the batch:
/// <code>L_KD = −(1/N) Σ_n Σ_{c∈D} p_nc · log q_nc,   p_n = softmax(z^teacher_{n,D} / T),   q_n = softmax(z^student_{n,D} / T)</code>
/// It differs from KL(p ‖ q) by the teacher's entropy, a constant for the student, so the gradient is KL's:
/// ∂L/∂z^student_{n,c} = (q_nc − p_nc) / (N·T). No T² factor (Castro's equation and the FACIL, PyCIL and Zhao codes have
/// none); those codes use binary cross-entropy on the two softmaxes, which adds Σ (1 − p) log(1 − q) terms.
/// One softmax spans all distilled classes (Zhao's End2End_aug), not one per earlier step (FACIL, PyCIL).
/// </summary>
internal static class KnowledgeDistillation
{
    public static Tensor Loss(Tensor studentLogits, Tensor teacherLogits, Tensor distilledClasses, double temperature)
    {
        using var scope = NewDisposeScope();
        var student = studentLogits.index_select(1, distilledClasses) / temperature;
        var teacher = teacherLogits.index_select(1, distilledClasses).detach() / temperature;
        var p = teacher.softmax(1);
        var logQ = student.log_softmax(1);
        return (-(p * logQ).sum(1).mean()).MoveToOuterDisposeScope();
    }
}
