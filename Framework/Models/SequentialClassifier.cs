using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Condensa.Models;

/// <summary>
/// Every network of the model zoo: <c>features</c> (a sequential stack ending in a flatten, so its output is the
/// embedding) followed by one linear <c>classifier</c>, as DC's <c>forward = classifier(embed(x))</c>. A ConvNet's first
/// block runs as one <see cref="InputBlock"/> where that applies.
/// </summary>
internal sealed class SequentialClassifier : ClassifierModel
{
    private readonly Sequential features;
    private readonly Linear classifier;
    private readonly InputBlock? _inputBlock;

    public SequentialClassifier(string name, Sequential features, int embeddingSize, int numClasses) : base(name)
    {
        this.features = features;
        classifier = nn.Linear(embeddingSize, numClasses);
        EmbeddingSize = embeddingSize;
        RegisterComponents();
        _inputBlock = InputBlock.Match(features);
    }

    public override int EmbeddingSize { get; }

    /// <summary>True when the first four layers run as one <see cref="InputBlock"/> (where the images allow).</summary>
    internal bool HasInputBlock => _inputBlock is not null;

    public override nn.Module<Tensor, Tensor> Classifier => classifier;

    public override Tensor EmbedLayerByLayer(Tensor x, Action<nn.Module, Tensor> beforeLayer)
    {
        foreach (var layer in features.children().Cast<nn.Module<Tensor, Tensor>>())
        {
            beforeLayer(layer, x);
            x = layer.call(x);
        }
        return x;
    }

    public override Tensor Embed(Tensor x)
    {
        if (_inputBlock?.TryForward(x) is not { } y) return features.call(x);
        for (var i = InputBlock.Layers; i < features.Count; i++) y = features[i].call(y);
        return y;
    }
}
