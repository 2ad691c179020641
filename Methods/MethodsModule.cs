using Condensa.Memory;
using Condensa.Methods.Selection;
using Condensa.Methods.Selection.Scores;

namespace Condensa.Methods;

/// <summary>Registers every selector and synthesizer of this assembly by name.</summary>
public static class MethodsModule
{
    public static void Register(MemoryBuilderRegistry registry)
    {
        registry.Register<RandomOptions>("random", "selector", "Uniform random samples per class, without replacement", o => new RandomSelector(o));
        registry.Register<UncertaintyOptions>("least-confidence", "selector", "Most uncertain samples by 1 - max softmax probability of the selection model", o => new UncertaintySelector(UncertaintyMeasure.LeastConfidence, o));
        registry.Register<UncertaintyOptions>("entropy", "selector", "Most uncertain samples by softmax entropy of the selection model", o => new UncertaintySelector(UncertaintyMeasure.Entropy, o));
        registry.Register<UncertaintyOptions>("margin", "selector", "Most uncertain samples by the smallest top-1 minus top-2 softmax margin", o => new UncertaintySelector(UncertaintyMeasure.Margin, o));
        registry.Register<ForgettingOptions>("forgetting", "selector", "Most forgotten samples during selection-model training (Toneva et al.)", o => new ForgettingSelector(o));
        registry.Register<GraNdOptions>("grand", "selector", "Largest last-layer gradient norms, averaged over independent trainings (Paul et al.)", o => new GraNdSelector(o));
        registry.Register<El2nOptions>("el2n", "selector", "Largest error norms |p - y| summed over the first epochs (Paul et al.)", o => new El2nSelector(o));
        registry.Register<DeepFoolOptions>("deepfool", "selector", "Samples closest to the decision boundary by DeepFool perturbation (Ducoffe & Precup)", o => new DeepFoolSelector(o));
        registry.Register<ContextualDiversityOptions>("contextual-diversity", "selector", "k-center greedy on softmax outputs under symmetric KL (Agarwal et al.)", o => new ContextualDiversitySelector(o));
        registry.Register<CalOptions>("cal", "selector", "Largest mean KL to nearest neighbours' predictions (contrastive active learning)", o => new CalSelector(o));
        registry.Register<TddsOptions>("tdds", "selector", "Largest windowed variability of KL loss differences over epochs (TDDS, Zhang et al.)", o => new TddsSelector(o));
        registry.Register<YocoOptions>("yoco", "selector", "Lowest LBPE over the most accurate epochs, balanced; shrinks any memory (YOCO, He et al.)", o => new YocoSelector(o));
        registry.Register<GradSimCoreOptions>("gradsimcore", "selector", "Samples with the most same-class gradient-similar neighbours over checkpoints", o => new GradSimCoreSelector(o));
    }
}
