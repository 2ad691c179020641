using Condensa.Data;
using Condensa.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Condensa.Tests.Framework.Models;

/// <summary>Every ConvNet of the 720-net search space builds and gives finite logits.</summary>
[TestClass]
public sealed class ConvNetSpaceBuildTests
{
    /// <summary>
    /// The 180 specs of one width on a 1x28x28 batch of 2 (the NAS setting), plus depths 1 and 4 on 3x32x32 for the
    /// smallest width. Failures are collected so one run names every broken spec. Runs on one thread: the tensors are
    /// tiny, and two threads only wait for each other on the shared 2-core machine.
    /// </summary>
    [TestMethod]
    [DataRow(32)]
    [DataRow(64)]
    [DataRow(128)]
    [DataRow(256)]
    public void EverySpecOfAWidthBuildsAndGivesFiniteLogits(int width)
    {
        var failures = new List<string>();
        var threads = get_num_threads();
        set_num_threads(1);
        try
        {
            Check(ConvNetSpace.Enumerate(widths: [width]), new ImageShape(1, 28, 28), failures);
            if (width == 32) Check(ConvNetSpace.Enumerate(widths: [32], depths: [1, 4]), new ImageShape(3, 32, 32), failures);
        }
        finally
        {
            set_num_threads(threads);
        }
        Assert.IsEmpty(failures, string.Join("\n", failures));
    }

    /// <summary>Each norm x activation pair trains: a backward pass gives finite gradients for every parameter.</summary>
    [TestMethod]
    public void EveryNormAndActivationBackpropagates()
    {
        var shape = new ImageShape(1, 28, 28);
        using var generator = new Generator(7, CPU);
        using var x = randn([2, 1, 28, 28], generator: generator);
        foreach (var spec in ConvNetSpace.Enumerate(widths: [32], depths: [2], poolings: [PoolingKind.MaxPool]))
        {
            using var scope = NewDisposeScope();
            using var model = ModelFactory.Create(spec, shape, 10, seed: 1);
            model.call(x).square().sum().backward();
            foreach (var (name, p) in model.named_parameters())
                Assert.IsTrue(p.grad is not null && isfinite(p.grad).all().item<bool>(), $"{spec}: no finite gradient for {name}");
        }
    }

    private static void Check(IReadOnlyList<ConvNetSpec> specs, ImageShape shape, List<string> failures)
    {
        using var generator = new Generator(7, CPU);
        using var x = randn([2, shape.Channels, shape.Height, shape.Width], generator: generator);
        using var noGrad = no_grad();
        foreach (var spec in specs)
        {
            using var scope = NewDisposeScope();
            using var model = ModelFactory.Create(spec, shape, 10, seed: 1);
            var logits = model.call(x);
            if (!logits.shape.SequenceEqual([2L, 10L]))
                failures.Add($"{spec} on {shape}: logits shape [{string.Join(", ", logits.shape)}]");
            else if (!isfinite(logits).all().item<bool>())
                failures.Add($"{spec} on {shape}: non-finite logits");
        }
    }
}
