using Condensa.Data;
using Condensa.Models;
using Condensa.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Condensa.Tests.Framework.Training;

[TestClass]
public sealed class PrecisionTests
{
    private static readonly ArchitectureSpec Tiny = ArchitectureSpec.Parse("convnet-w32-d2-instancenorm-relu-avgpool");

    /// <summary>Runs <paramref name="steps"/> SGD steps on fixed batches, resetting the momentum half-way, with TorchSharp's SGD or with <see cref="MasterWeights"/>.</summary>
    private static Tensor[] Train(bool torchSgd, bool bfloat16, int steps)
    {
        using var data = TinyData.Halves(6, seed: 4);
        var model = ModelFactory.Create(Tiny, data.Shape, 2, seed: 1);
        var optimizer = torchSgd ? optim.SGD(model.parameters(), 0.05, momentum: 0.9, weight_decay: 5e-4) : null;
        using (var master = torchSgd ? null : new MasterWeights(model, bfloat16, momentum: 0.9, weightDecay: 5e-4))
            for (int s = 0; s < steps; s++)
            {
                using var scope = NewDisposeScope();
                if (s == steps / 2)
                {
                    if (optimizer is not null)
                    {
                        optimizer.Dispose();
                        optimizer = optim.SGD(model.parameters(), 0.05, momentum: 0.9, weight_decay: 5e-4);
                    }
                    master?.ResetMomentum();
                }
                var x = data.Images.narrow(0, s % 3 * 4, 4);
                var logits = model.call(bfloat16 ? x.to(ScalarType.BFloat16) : x).to(ScalarType.Float32);
                var loss = nn.functional.cross_entropy(logits, data.Labels.narrow(0, s % 3 * 4, 4));
                optimizer?.zero_grad();
                master?.ZeroGrad();
                loss.backward();
                optimizer?.step();
                master?.Step(0.05);
            }
        optimizer?.Dispose();
        var result = model.parameters().Select(p => p.detach().clone()).ToArray();
        model.Dispose();
        return result;
    }

    private static bool Same(Tensor a, Tensor b) => a.dtype == b.dtype && a.eq(b).all().item<bool>();

    [TestMethod]
    public void InFloat32TheMasterWeightsStepIsTorchsSgdBitForBit()
    {
        var torch = Train(torchSgd: true, bfloat16: false, steps: 10);
        var ours = Train(torchSgd: false, bfloat16: false, steps: 10);
        for (int i = 0; i < torch.Length; i++)
            Assert.IsTrue(Same(torch[i], ours[i]), $"parameter {i}: momentum, weight decay and the reset as torch.optim.SGD");
    }

    [TestMethod]
    public void MixedPrecisionTrainsCloseToFloat32AndLeavesAFloat32Model()
    {
        var init = Train(torchSgd: false, bfloat16: false, steps: 0);
        double Off(int steps, Tensor[] float32, Tensor[] mixed)
        {
            Assert.IsTrue(mixed.All(p => p.dtype == ScalarType.Float32), "the master weights come back into the model");
            double moved = 0, off = 0;
            for (int i = 0; i < float32.Length; i++)
            {
                moved += (float32[i] - init[i]).square().sum().item<float>();
                off += (mixed[i] - float32[i]).square().sum().item<float>();
            }
            return Math.Sqrt(off / moved);
        }
        // one step: the update is the float32 one up to bfloat16's rounding (2^-8 per value, a few % through the layers)
        Assert.IsLessThan(0.06, Off(1, Train(false, false, 1), Train(false, true, 1)));
        var float32 = Train(torchSgd: false, bfloat16: false, steps: 10);
        var mixed = Train(torchSgd: false, bfloat16: true, steps: 10);
        Assert.IsLessThan(0.15, Off(10, float32, mixed), "ten steps with momentum stay close");
        Assert.IsTrue(float32.Zip(mixed).Any(p => !Same(p.First, p.Second)), "the mixed run really computed in bfloat16");
    }

    [TestMethod]
    public void EvaluatingInBFloat16KeepsTheFloat32ModelExactly()
    {
        using var data = TinyData.Halves(6, seed: 5);
        using var model = ModelFactory.Create(Tiny, data.Shape, 2, seed: 2);
        var before = model.parameters().Select(p => p.detach().clone()).ToArray();
        var mixed = Evaluator.Evaluate(model, data, precision: Precision.Bfloat16);
        var exact = Evaluator.Evaluate(model, data, precision: Precision.Float32);
        Assert.IsTrue(model.parameters().Zip(before).All(p => p.First.dtype == ScalarType.Float32 && Same(p.First, p.Second)));
        Assert.AreEqual(exact.Loss, mixed.Loss, 0.05 * exact.Loss + 1e-3, "the same model, in two number formats");
    }

    [TestMethod]
    public void TheFastLayersComputeWhatTheirTorchLayersCompute()
    {
        using var scope = NewDisposeScope();
        var x = randn(4, 1, 28, 28).requires_grad_(true);
        var input = new InputConv2d(1, 8, 3, 3);
        using (no_grad())
        {
            input.weight.uniform_(-0.3, 0.3);
            input.bias.uniform_(-0.3, 0.3);
        }
        var reference = nn.functional.conv2d(x, input.weight, input.bias, padding: [3, 3]);
        var y = input.call(x);
        Assert.IsTrue(y.allclose(reference, rtol: 1e-5, atol: 1e-6), "InputConv2d is conv2d with its bias");
        var g = randn_like(y);
        var (gw, gb) = (autograd.grad([y], [input.weight, input.bias], [g]), autograd.grad([reference], [input.weight, input.bias], [g]));
        Assert.IsTrue(gw[0].allclose(gb[0], rtol: 1e-4, atol: 1e-5) && gw[1].allclose(gb[1], rtol: 1e-4, atol: 1e-5), "and has its gradients");
        using (no_grad())
            Assert.IsTrue(input.call(x).allclose(reference, rtol: 1e-5, atol: 1e-6), "and without autograd (the bias inside the convolution)");

        var h = randn(2, 5, 9, 7);
        Assert.IsTrue(new AveragePool2x2().call(h).allclose(nn.functional.avg_pool2d(h, 2, 2), atol: 1e-6), "AveragePool2x2 is avg_pool2d(2, 2), odd sides floored");
        var hb = h.to(ScalarType.BFloat16);
        var pooled = new AveragePool2x2().call(hb);
        Assert.AreEqual(ScalarType.BFloat16, pooled.dtype, "in the format it was given");
        // bfloat16 rounds twice (the row sums, then their mean), each by at most 2^-9 of its magnitude: within 2^-7 of
        // the window's mean absolute value from the exact mean, the same with and without autograd
        var exact = nn.functional.avg_pool2d(hb.to(ScalarType.Float32), 2, 2);
        var step = nn.functional.avg_pool2d(hb.to(ScalarType.Float32).abs(), 2, 2).mul(1.0 / 128);
        Assert.IsTrue((pooled.to(ScalarType.Float32) - exact).abs().le(step).all().item<bool>(), "the mean within one bfloat16 step");
        var leaf = hb.detach().requires_grad_(true);
        var recorded = new AveragePool2x2().call(leaf);
        Assert.IsTrue(recorded.detach().allclose(pooled, rtol: 0, atol: 0), "with autograd: the same values");
        var back = autograd.grad([recorded.to(ScalarType.Float32).sum()], [leaf])[0];
        var expectedGradient = nn.functional.pad(full([2, 5, 8, 6], 0.25f), [0, 1, 0, 1]);
        Assert.IsTrue(back.to(ScalarType.Float32).allclose(expectedGradient, rtol: 0, atol: 0), "and the gradient 1/4 on every pooled pixel, 0 on the floored row and column");
    }

    [TestMethod]
    public void FlopsOfTheDefaultConvNetByHand()
    {
        // 28x28 one channel -> conv 3x3 (padding 3) 1->128 at 32x32, pool, 128->128 at 16x16, pool, 128->128 at 8x8, pool, 2048 -> 10
        double conv1 = 2.0 * 1 * 9 * 128 * 32 * 32, conv2 = 2.0 * 128 * 9 * 128 * 16 * 16, conv3 = 2.0 * 128 * 9 * 128 * 8 * 8, linear = 2.0 * 2048 * 10;
        var (forward, training) = ModelFactory.Flops(ArchitectureSpec.Default, new ImageShape(1, 28, 28), 10);
        Assert.AreEqual(conv1 + conv2 + conv3 + linear, forward);
        Assert.AreEqual(3 * forward - conv1, training, "no input gradient for the first layer");
        Assert.AreEqual(0.29, training / 1e9, 0.005, "about 0.29 GFLOP per training image");
    }
}
