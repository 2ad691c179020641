using TorchSharp;
using static TorchSharp.torch;

namespace Condensa.Methods.Synthesis;

/// <summary>
/// The learned set S: <see cref="Ipc"/> images per class, class-major in the order of <see cref="Classes"/>, in the
/// source's normalized space, with fixed labels; and its optimizer, SGD with momentum exactly as PyTorch's
/// (<c>buf ← μ·buf + g; S ← S − η·buf</c>, the buffer starting at 0 so the first step uses g). Each class's gradient is
/// written separately (<see cref="SetGradient"/>), so classes can be matched independently before one <see cref="Step"/>.
/// </summary>
internal sealed class SyntheticSet : IDisposable
{
    private readonly Tensor _gradient;

    /// <summary>Takes ownership of <paramref name="images"/> and <paramref name="momentum"/> (plain tensors, no autograd history).</summary>
    public SyntheticSet(Tensor images, Tensor momentum, IReadOnlyList<int> classes, int ipc)
    {
        if (images.shape[0] != (long)classes.Count * ipc || !images.shape.SequenceEqual(momentum.shape))
            throw new ArgumentException($"expected {classes.Count} x {ipc} images and a momentum of the same shape, got [{string.Join(", ", images.shape)}] and [{string.Join(", ", momentum.shape)}]");
        Images = images.DetachFromDisposeScope();
        Momentum = momentum.DetachFromDisposeScope();
        _gradient = zeros_like(Images).DetachFromDisposeScope();
        Classes = classes;
        Ipc = ipc;
        Labels = tensor(classes.SelectMany(c => Enumerable.Repeat((long)c, ipc)).ToArray(), device: images.device).DetachFromDisposeScope();
    }

    public Tensor Images { get; }
    public Tensor Labels { get; }
    public Tensor Momentum { get; }
    public IReadOnlyList<int> Classes { get; }
    public int Ipc { get; }

    /// <summary>The images of classes <paramref name="first"/> .. first + count − 1 (positions in <see cref="Classes"/>) as a new leaf that requires grad.</summary>
    public Tensor Leaf(int first, int count) => Images.narrow(0, (long)first * Ipc, (long)count * Ipc).detach().requires_grad_(true);

    /// <summary>Stores ∂L/∂S for the classes starting at position <paramref name="first"/> (the gradient of a <see cref="Leaf"/>).</summary>
    public void SetGradient(int first, Tensor gradient) => _gradient.narrow(0, (long)first * Ipc, gradient.shape[0]).copy_(gradient);

    /// <summary>One SGD step with momentum <see cref="SynthesisOptions.ImageMomentum"/> on the stored gradient, which is then cleared.</summary>
    public void Step(double lr)
    {
        using var noGrad = no_grad();
        Momentum.mul_(SynthesisOptions.ImageMomentum).add_(_gradient);
        Images.add_(Momentum, alpha: -lr);
        _gradient.zero_();
    }

    public void Dispose()
    {
        Images.Dispose();
        Labels.Dispose();
        Momentum.Dispose();
        _gradient.Dispose();
    }
}
