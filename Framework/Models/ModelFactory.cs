using Condensa.Data;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Condensa.Models;

/// <summary>Builds the networks named by <see cref="ArchitectureSpec"/>.</summary>
public static class ModelFactory
{
    /// <summary>
    /// Builds <paramref name="spec"/> for images of <paramref name="input"/> shape and <paramref name="numClasses"/>
    /// classes, on the CPU, in training mode. The parameters depend only on <paramref name="seed"/> (see
    /// <see cref="ResetParameters"/>). Construction also advances torch's global RNG (TorchSharp's layer constructors
    /// initialize from it before we overwrite their values); nothing else is touched.
    /// </summary>
    /// <exception cref="CondensaException">The class count is below 1, or the images are too small for the network.</exception>
    public static ClassifierModel Create(ArchitectureSpec spec, ImageShape input, int numClasses, long seed)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (numClasses < 1)
            throw new CondensaException($"architecture '{spec}': the number of classes must be at least 1, got {numClasses}");
        if (input.Channels < 1 || input.Height < 1 || input.Width < 1)
            throw new CondensaException($"architecture '{spec}': image shape {input} has an empty dimension");
        var stack = Architectures.Describe(spec, input);
        if (stack.Problem is { } problem)
        {
            var side = MinimumInputSide(spec, input.Channels);
            throw new CondensaException(
                $"architecture '{spec}' cannot take {input} images: {problem}; it needs images of at least {side}x{side}",
                "resize or pad the dataset, or pick a network with fewer pooling layers (e.g. a shallower ConvNet)");
        }
        var model = new SequentialClassifier(spec.ToString(), stack.Build(), stack.FlatSize, numClasses);
        ResetParameters(model, seed);
        return model;
    }

    /// <summary>
    /// Floating-point operations per image of <paramref name="spec"/> on <paramref name="input"/> images (two per
    /// multiply-add of the convolutions and linear layers): the forward pass, and a training step (forward, the weight
    /// gradients, and the input gradients of every layer but the first: about three forward passes).
    /// </summary>
    public static (double Forward, double Training) Flops(ArchitectureSpec spec, ImageShape input, int numClasses)
    {
        var stack = Architectures.Describe(spec, input);
        double forward = stack.ForwardFlops + 2.0 * stack.FlatSize * numClasses;
        return (forward, 3 * forward - stack.FirstLayerFlops);
    }

    /// <summary>
    /// The smallest side s such that <paramref name="spec"/> takes every square input C x s' x s' with s' ≥ s, found
    /// from shape arithmetic alone (1 for networks that take any size; 1x28x28 is accepted by every network).
    /// </summary>
    public static int MinimumInputSide(ArchitectureSpec spec, int channels)
    {
        const int largest = 512;
        for (var side = largest; side >= 1; side--)
            if (Architectures.Describe(spec, new ImageShape(channels, side, side)).Problem is not null)
                return side + 1;
        return 1;
    }

    /// <summary>
    /// PyTorch's default initialization of <c>nn.Conv2d</c> and <c>nn.Linear</c> (<c>reset_parameters</c>), drawn from one
    /// generator seeded with <paramref name="seed"/>, layer by layer in PyTorch's module order, weight before bias:
    /// <c>kaiming_uniform_(W, a = √5)</c> draws W ~ U(-b, b) with b = gain·√(3 / fan_in) and gain = √(2 / (1 + a²)),
    /// i.e. b = 1/√fan_in; the bias draws U(-1/√fan_in, 1/√fan_in). Norm layers keep their constant initialization
    /// (weight 1, bias 0; see <see cref="Norm"/>).
    /// </summary>
    private static void ResetParameters(nn.Module model, long seed)
    {
        using var generator = new Generator(unchecked((ulong)seed), CPU);
        using var noGrad = no_grad();
        foreach (var module in PreOrder(model))
        {
            var (weight, bias) = module switch
            {
                Conv2d conv => (conv.weight, conv.bias),
                InputConv2d conv => (conv.weight, conv.bias),
                Linear linear => (linear.weight, linear.bias),
                _ => (null, null),
            };
            if (weight is null) continue;
            var bound = 1 / Math.Sqrt(weight.numel() / weight.shape[0]);
            weight.uniform_(-bound, bound, generator);
            bias?.uniform_(-bound, bound, generator);
        }
    }

    /// <summary>Modules in PyTorch's <c>modules()</c> order (depth first, parents first; TorchSharp's is breadth first).</summary>
    private static IEnumerable<nn.Module> PreOrder(nn.Module module) =>
        module.named_children().SelectMany(child => PreOrder(child.module)).Prepend(module);
}
