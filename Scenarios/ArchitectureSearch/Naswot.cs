using Condensa.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Condensa.Scenarios.ArchitectureSearch;

/// <summary>
/// NASWOT, a training-free score of an untrained network (Mellor et al., ICML 2021, "Neural Architecture Search without
/// Training"): one minibatch through the freshly initialized network in training mode; at every activation layer each
/// image's binary code c (which of the layer's inputs are positive); the kernel K = Σ_layers (c·cᵀ + (1 − c)·(1 − c)ᵀ),
/// whose entry (i, j) counts the units where images i and j agree (N_A minus their Hamming distance); the score is
/// log |det K|. A network whose activations tell the images apart scores high. As the authors' code, the codes are of the
/// activations' inputs, every activation layer counts, and the batch is 128 training images; here the ReLU, leaky ReLU
/// and sigmoid layers of the ConvNet space all count (the authors' hooks catch ReLU modules only, so a sigmoid network
/// would score minus infinity).
/// </summary>
internal static class Naswot
{
    /// <summary>log |det K| from the activation inputs of a batch (each N x ...), K summed over them in float64.</summary>
    public static double Score(IEnumerable<Tensor> activationInputs)
    {
        using var scope = NewDisposeScope();
        Tensor? k = null;
        foreach (var input in activationInputs)
        {
            var c = input.flatten(1).gt(0).to(ScalarType.Float64);
            var agree = c.matmul(c.t()) + (1 - c).matmul((1 - c).t());
            k = k is null ? agree : k + agree;
        }
        if (k is null) return double.NegativeInfinity;
        return linalg.slogdet(k).Item2.item<double>();
    }

    /// <summary>The score of <paramref name="model"/> (freshly initialized, training mode) on <paramref name="batch"/>.</summary>
    public static double Score(ClassifierModel model, Tensor batch)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        model.train();
        var inputs = new List<Tensor>();
        model.EmbedLayerByLayer(batch, (layer, x) =>
        {
            if (layer is ReLU or LeakyReLU or Sigmoid) inputs.Add(x.clone());   // an in-place ReLU overwrites its input
        });
        return Score(inputs);
    }
}
