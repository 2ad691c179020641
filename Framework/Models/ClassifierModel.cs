using TorchSharp;
using static TorchSharp.torch;

namespace Condensa.Models;

/// <summary>
/// Every Condensa model: a feature extractor followed by one linear classifier. <see cref="Embed"/> returns the
/// features before the classifier (the embedding used by DM, herding, k-center and friends).
/// </summary>
public abstract class ClassifierModel : nn.Module<Tensor, Tensor>
{
    protected ClassifierModel(string name) : base(name) { }

    /// <summary>Features before the classifier, shape N x <see cref="EmbeddingSize"/>.</summary>
    public abstract Tensor Embed(Tensor x);

    /// <summary>The final linear layer (logits = Classifier(Embed(x))).</summary>
    public abstract nn.Module<Tensor, Tensor> Classifier { get; }

    public abstract int EmbeddingSize { get; }

    /// <summary>Number of trainable scalars (buffers such as batch-norm running statistics excluded).</summary>
    public long ParameterCount => parameters().Sum(p => p.numel());

    public override Tensor forward(Tensor x) => Classifier.call(Embed(x));

    /// <summary>
    /// The embedding computed with the plain layers one by one, calling <paramref name="beforeLayer"/> with each layer
    /// and its input (what a training-free score reads, e.g. the codes of the activations' inputs).
    /// </summary>
    public virtual Tensor EmbedLayerByLayer(Tensor x, Action<nn.Module, Tensor> beforeLayer) =>
        throw new NotSupportedException($"{GetType().Name} does not expose its layers");
}
