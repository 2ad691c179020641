using TorchSharp;
using static TorchSharp.torch;
using Condensa.Runtime;

namespace Condensa.Training;

/// <summary>
/// The number format a model computes in. <c>auto</c>: bfloat16 on a CPU with native bfloat16 arithmetic (AVX512-BF16
/// or AMX), else float32. <c>bfloat16</c> is mixed precision: forward and backward passes in bfloat16, the weights,
/// the loss, the gradients' accumulation into the update and the optimizer state in float32 (Micikevicius et al.
/// 2018, with bfloat16's float32 exponent range, so no loss scaling; Kalamkar et al. 2019).
/// </summary>
public enum Precision { Auto, Float32, Bfloat16 }

public static class PrecisionExtensions
{
    /// <summary>True when <paramref name="precision"/> computes in bfloat16 on <paramref name="device"/> (auto resolved).</summary>
    public static bool IsBFloat16(this Precision precision, Device device) => precision switch
    {
        Precision.Bfloat16 => true,
        Precision.Float32 => false,
        _ => device.type == DeviceType.CPU && CpuFeatures.HasNativeBFloat16,
    };
}

/// <summary>
/// A model computing in bfloat16 for a while: its float32 parameters (and buffers) are set aside when it is converted,
/// and put back exactly when this is disposed, so a float32 model comes out of a bfloat16 phase with float32 values
/// (the master weights, <see cref="MasterWeights"/>, are the set-aside parameters).
/// </summary>
public sealed class BFloat16Compute : IDisposable
{
    private readonly nn.Module _model;
    private readonly bool _keepBuffers;
    private readonly Tensor[] _buffers;

    /// <param name="keepBuffers">
    /// Keep the buffers the bfloat16 phase computed (a training phase's batch-norm statistics, rounded to bfloat16)
    /// instead of restoring the float32 ones.
    /// </param>
    public BFloat16Compute(nn.Module model, bool keepBuffers)
    {
        _model = model;
        _keepBuffers = keepBuffers;
        using (NewDisposeScope())
        using (no_grad())
        {
            Saved = model.parameters().Select(p => p.clone().DetachFromDisposeScope()).ToArray();
            _buffers = model.buffers().Select(b => b.clone().DetachFromDisposeScope()).ToArray();
        }
        model.to(ScalarType.BFloat16);
    }

    /// <summary>The float32 parameters, in <c>parameters()</c> order.</summary>
    public Tensor[] Saved { get; }

    public void Dispose()
    {
        _model.zero_grad(true); // the bfloat16 gradients go with the bfloat16 parameters, not converted into float32 ones
        _model.to(ScalarType.Float32);
        using (NewDisposeScope())
        using (no_grad())
        {
            foreach (var (live, saved) in _model.parameters().Zip(Saved)) live.copy_(saved);
            if (!_keepBuffers)
                foreach (var (live, saved) in _model.buffers().Zip(_buffers)) live.copy_(saved);
        }
        foreach (var t in Saved.Concat(_buffers)) t.Dispose();
    }
}

/// <summary>
/// SGD with momentum and weight decay on a model's float32 master weights, as PyTorch's <c>torch.optim.SGD</c>
/// computes it: <c>d = g + λ·w</c>; <c>b = μ·b + d</c> (<c>b = d</c> at the first step); <c>w ← w − η·b</c>. In float32
/// the masters are the model's own parameters. In bfloat16 the model computes with bfloat16 copies of them: the
/// gradients are cast up to float32, the update is made on the masters, and the copies are refreshed after every
/// step; disposing puts the float32 masters back into the model.
/// </summary>
public sealed class MasterWeights : IDisposable
{
    private readonly nn.Module _model;
    private readonly BFloat16Compute? _bfloat16;
    private readonly Tensor[] _live;
    private readonly Tensor[] _masters;
    private readonly Tensor?[] _momentum;
    private readonly double _mu, _lambda;

    public MasterWeights(nn.Module model, bool bfloat16, double momentum, double weightDecay)
    {
        _model = model;
        _mu = momentum;
        _lambda = weightDecay;
        _bfloat16 = bfloat16 ? new BFloat16Compute(model, keepBuffers: true) : null;
        _live = model.parameters().ToArray();
        _masters = _bfloat16?.Saved ?? _live;
        _momentum = new Tensor?[_live.Length];
    }

    /// <summary>True when the model computes in bfloat16 (its inputs must be cast to it).</summary>
    public bool BFloat16 => _bfloat16 is not null;

    /// <summary>Zeroes the gradients of the parameters the model computes with (the next backward pass writes them afresh).</summary>
    public void ZeroGrad()
    {
        foreach (var p in _live) p.grad?.zero_();
    }

    /// <summary>One SGD step with rate <paramref name="lr"/> from the gradients of the last backward pass.</summary>
    public void Step(double lr)
    {
        using var _ = no_grad();
        for (int i = 0; i < _live.Length; i++)
        {
            if (_live[i].grad is not { } g) continue;
            using var scope = NewDisposeScope();
            var w = _masters[i];
            var d = BFloat16 ? g.to(ScalarType.Float32) : g;
            if (_lambda != 0) d = d.add(w, alpha: _lambda);
            if (_mu != 0)
            {
                if (_momentum[i] is { } b) b.mul_(_mu).add_(d);
                else _momentum[i] = d.clone().DetachFromDisposeScope();
                d = _momentum[i]!;
            }
            w.add_(d, alpha: -lr);
            if (BFloat16) _live[i].copy_(w);
        }
    }

    /// <summary>Forgets the momentum (a fresh optimizer, as <c>evaluate_synset</c> makes at its rate decay).</summary>
    public void ResetMomentum()
    {
        for (int i = 0; i < _momentum.Length; i++)
        {
            _momentum[i]?.Dispose();
            _momentum[i] = null;
        }
    }

    public void Dispose()
    {
        ResetMomentum();
        _bfloat16?.Dispose();
    }
}
