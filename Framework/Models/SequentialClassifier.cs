using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Condensa.Models;

/// <summary>
/// Every network of the model zoo: <c>features</c> (a sequential stack ending in a flatten, so its output is the
/// embedding) followed by one linear <c>classifier</c>, as DC's <c>forward = classifier(embed(x))</c>.
/// </summary>
internal sealed class SequentialClassifier : ClassifierModel
{
    private readonly Sequential features;
    private readonly Linear classifier;

    public SequentialClassifier(string name, Sequential features, int embeddingSize, int numClasses) : base(name)
    {
        this.features = features;
        classifier = nn.Linear(embeddingSize, numClasses);
        EmbeddingSize = embeddingSize;
        RegisterComponents();
    }

    public override int EmbeddingSize { get; }

    public override nn.Module<Tensor, Tensor> Classifier => classifier;

    public override Tensor Embed(Tensor x) => features.call(x);
}
