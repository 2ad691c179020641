using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Condensa.Models;

/// <summary>
/// Every network of the model zoo: <c>features</c> (a sequential stack ending in a flatten, so its output is the
/// embedding) followed by one linear <c>classifier</c>, as DC's <c>forward = classifier(embed(x))</c>. Where Condensa's
/// fused kernels run, a ConvNet's first block runs as one <see cref="InputBlock"/> and the norm, ReLU and pooling after
/// each convolution as one <see cref="NormReluPool"/>, wherever the images allow.
/// </summary>
internal sealed class SequentialClassifier : ClassifierModel
{
    private readonly Sequential features;
    private readonly Linear classifier;
    private readonly InputBlock? _inputBlock;
    /// <summary>The fused norm, ReLU and pooling that starts at each index of <c>features</c>, or null.</summary>
    private readonly NormReluPool?[] _normReluPools;

    public SequentialClassifier(string name, Sequential features, int embeddingSize, int numClasses) : base(name)
    {
        this.features = features;
        classifier = nn.Linear(embeddingSize, numClasses);
        EmbeddingSize = embeddingSize;
        RegisterComponents();
        var fused = Runtime.CondensaKernels.FusedKernels;
        _inputBlock = fused ? InputBlock.Of(features) : null;
        _normReluPools = Enumerable.Range(0, features.Count).Select(i => fused ? NormReluPool.Of(features, i) : null).ToArray();
    }

    public override int EmbeddingSize { get; }

    /// <summary>True when the first four layers run as one <see cref="InputBlock"/> (where the images allow).</summary>
    internal bool HasInputBlock => _inputBlock is not null;

    /// <summary>How many norm-ReLU-pooling triples run as one <see cref="NormReluPool"/> (where the maps allow).</summary>
    internal int NormReluPools => _normReluPools.Count(p => p is not null);

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
        // images the first block does not take (they need a gradient) enter channels-last where the layers after the
        // first convolution are fused, so that the convolution writes the format the kernel reads
        var (y, i) = _inputBlock?.TryForward(x) is { } block ? (block, InputBlock.Layers)
            : (_normReluPools.Length > 1 && _normReluPools[1] is not null && x.dim() == 4 ? FusedAutograd.ChannelsLast(x) : x, 0);
        while (i < features.Count)
            if (_normReluPools[i]?.TryForward(y) is { } pooled) (y, i) = (pooled, i + NormReluPool.Layers);
            else y = features[i++].call(y);
        return y;
    }
}
