using Condensa.Methods.Synthesis;
using Condensa.Scenarios.Bench;

namespace Condensa.Tests.Scenarios.Bench;

[TestClass]
public sealed class CondenseBenchmarkTests
{
    // a network costing 1 FLOP per image forward and 3 forward and backward, 10 classes, batch_real 256
    [TestMethod]
    public void Dm_counts_a_real_forward_and_a_synthetic_training_pass_per_image()
    {
        Assert.AreEqual(10 * (256 * 1 + 10 * 3), CondenseBenchmark.FlopsPerIteration(new DmOptions(), ipc: 10, classes: 10, forward: 1, training: 3));
    }

    [TestMethod]
    public void Gradient_matching_counts_the_outer_steps_and_the_network_updates_between_them()
    {
        // ipc 10: T = 10 outer steps, ζ_θ = 50 epochs over the 100 synthetic images after each but the last
        double outerSteps = 10 * 10 * (256 * 3 + 2 * 10 * 3), updates = 9 * 50 * 100 * 3;
        Assert.AreEqual(outerSteps + updates, CondenseBenchmark.FlopsPerIteration(new DcOptions(), ipc: 10, classes: 10, forward: 1, training: 3));
        // ipc 1: one outer step and no update; DSA's loops are DC's
        Assert.AreEqual(10 * (256 * 3 + 2 * 3), CondenseBenchmark.FlopsPerIteration(new DsaOptions(), ipc: 1, classes: 10, forward: 1, training: 3));
        // explicit loops: 2 outer steps, 7 epochs between them
        Assert.AreEqual(2 * 10 * (256 * 3 + 2 * 10 * 3) + 1 * 7 * 100 * 3, CondenseBenchmark.FlopsPerIteration(new DcOptions { OuterLoop = 2, InnerLoop = 7 }, ipc: 10, classes: 10, forward: 1, training: 3));
    }

    [TestMethod]
    public void A_negative_warm_up_or_no_timed_iteration_is_refused_before_any_work()
    {
        var output = new StringWriter();
        var error = Assert.ThrowsExactly<CondensaException>(() => CondenseBenchmark.Run("dm", 10, untimed: -1, iterations: 5, Condensa.Training.Precision.Float32, output));
        StringAssert.Contains(error.Message, "--warmup -1");
        Assert.ThrowsExactly<CondensaException>(() => CondenseBenchmark.Run("dm", 10, untimed: 10, iterations: 0, Condensa.Training.Precision.Float32, output));
        Assert.AreEqual("", output.ToString());
    }
}
