using Condensa.Scenarios.ContinualLearning;
using TorchSharp;
using static TorchSharp.torch;

namespace Condensa.Tests.Scenarios.ContinualLearning;

[TestClass]
public sealed class KnowledgeDistillationTests
{
    private static double[] Softmax(params double[] z)
    {
        var e = z.Select(Math.Exp).ToArray();
        return e.Select(v => v / e.Sum()).ToArray();
    }

    [TestMethod]
    public void LossIsTheTemperedCrossEntropyOverTheDistilledClassesAveragedOverTheBatch()
    {
        using var scope = NewDisposeScope();
        var student = tensor(new float[] { 1.0f, 2.0f, 0.5f, 0f, 0f, 7f }, 2, 3).requires_grad_(true);
        var teacher = tensor(new float[] { 0.5f, 1.0f, 3.0f, 2f, -1f, -9f }, 2, 3);
        var columns = tensor(new long[] { 0, 1 });
        const double T = 2;
        var loss = KnowledgeDistillation.Loss(student, teacher, columns, T);

        // row 0: p = softmax(0.25, 0.5), q = softmax(0.5, 1.0); row 1: p = softmax(1, -0.5), q = (1/2, 1/2); column 2 is ignored
        var p0 = Softmax(0.25, 0.5); var q0 = Softmax(0.5, 1.0);
        var p1 = Softmax(1.0, -0.5);
        double row0 = -(p0[0] * Math.Log(q0[0]) + p0[1] * Math.Log(q0[1]));
        double row1 = Math.Log(2);
        Assert.AreEqual((row0 + row1) / 2, loss.item<float>(), 1e-6);

        // gradient (q - p) / (N T) on the distilled columns, nothing on the others; the teacher gets none
        loss.backward();
        var g = student.grad!.data<float>().ToArray();
        Assert.AreEqual((q0[0] - p0[0]) / 4, g[0], 1e-6);
        Assert.AreEqual((q0[1] - p0[1]) / 4, g[1], 1e-6);
        Assert.AreEqual(0, g[2]);
        Assert.AreEqual((0.5 - p1[0]) / 4, g[3], 1e-6);
        Assert.AreEqual(0, g[5]);
        Assert.IsNull(teacher.grad);
    }

    [TestMethod]
    public void AStudentEqualToItsTeacherHasZeroGradient()
    {
        using var scope = NewDisposeScope();
        var logits = tensor(new float[] { 0.3f, -1.2f, 2.5f, 0.1f }, 1, 4);
        var student = logits.clone().requires_grad_(true);
        KnowledgeDistillation.Loss(student, logits, tensor(new long[] { 0, 2, 3 }), 2).backward();
        Assert.AreEqual(0, student.grad!.abs().max().item<float>(), 1e-7);
    }
}
