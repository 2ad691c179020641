using Condensa.Memory;
using Condensa.Methods.Selection;
using Condensa.Methods.Selection.Geometry;
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
        registry.Register<DeepFoolOptions>("deepfool", "selector", "Samples closest to the decision boundary by DeepFool perturbation (Ducoffe & Precioso 2018)", o => new DeepFoolSelector(o));
        registry.Register<ContextualDiversityOptions>("contextual-diversity", "selector", "k-center greedy on softmax outputs under symmetric KL (Agarwal et al.)", o => new ContextualDiversitySelector(o));
        registry.Register<CalOptions>("cal", "selector", "Largest mean KL to nearest neighbours' predictions (contrastive active learning)", o => new CalSelector(o));
        registry.Register<TddsOptions>("tdds", "selector", "Largest windowed variability of KL loss differences over epochs (TDDS, Zhang et al.)", o => new TddsSelector(o));
        registry.Register<YocoOptions>("yoco", "selector", "Lowest LBPE over the most accurate epochs, balanced; shrinks any memory (YOCO, He et al.)", o => new YocoSelector(o));
        registry.Register<GradSimCoreOptions>("gradsimcore", "selector", "Samples with the most same-class gradient-similar neighbours over checkpoints", o => new GradSimCoreSelector(o));
        registry.Register<HerdingOptions>("herding", "selector", "Herding on L2-normalized embeddings per class, argmin as in iCaRL (Welling; Rebuffi et al.)", o => new HerdingSelector(o));
        registry.Register<KCenterOptions>("kcenter", "selector", "k-center greedy on embeddings per class from the point nearest the mean (Sener & Savarese)", o => new KCenterSelector(o));
        registry.Register<FacilityLocationOptions>("facility-location", "selector", "Facility location on the last-layer gradient cosine kernel per class", o => new FacilityLocationSelector(o));
        registry.Register<GraphCutOptions>("graph-cut", "selector", "Graph cut on the last-layer gradient cosine kernel per class", o => new GraphCutSelector(o));
        registry.Register<LogDeterminantOptions>("log-determinant", "selector", "Log-determinant on the last-layer gradient cosine kernel per class", o => new LogDeterminantSelector(o));
        registry.Register<CraigOptions>("craig", "selector", "Weighted facility-location medoids of last-layer gradients per class (CRAIG, Mirzasoleiman et al.)", o => new CraigSelector(o));
        registry.Register<GradMatchOptions>("gradmatch", "selector", "Non-negative OMP matching the class mean last-layer gradient, weighted (GradMatch, Killamsetty et al.)", o => new GradMatchSelector(o));
        registry.Register<GlisterOptions>("glister", "selector", "Online greedy on validation-gradient alignment with logit-space refresh (Glister-ONLINE)", o => new GlisterSelector(o));
        registry.Register<Synthesis.DcOptions>("dc", "synthesizer", "Dataset condensation with gradient matching (Zhao et al., ICLR 2021; thesis Alg. 1)", o => new Synthesis.GradientMatching(o));
        registry.Register<Synthesis.DsaOptions>("dsa", "synthesizer", "Gradient matching with differentiable Siamese augmentation (Zhao and Bilen, ICML 2021; thesis Alg. 2)", o => new Synthesis.GradientMatching(o));
        registry.Register<Synthesis.DmOptions>("dm", "synthesizer", "Distribution matching: mean embeddings of random networks (Zhao and Bilen, WACV 2023; thesis Alg. 3)", o => new Synthesis.DistributionMatching(o));
        registry.Register<Synthesis.IdcOptions>("idc", "synthesizer", "IDC: multi-formation and gradient matching on a network trained on real data (Kim et al., ICML 2022)", o => new Synthesis.GradientMatching(o));
        registry.Register<Synthesis.IdmOptions>("idm", "synthesizer", "Improved distribution matching: multi-formation, networks partly trained on real data, class-aware regularization (Zhao et al., CVPR 2023)", o => new Synthesis.DistributionMatching(o));
        registry.Register<Selection.Scores.CcsOptions>("ccs", "selector", "Coverage-centric selection: hardest fraction pruned, the budget spread over difficulty strata (Zheng et al., ICLR 2023)", o => new Selection.Scores.CcsSelector(o, registry));
        registry.Register<ModerateOptions>("moderate", "selector", "Samples whose distance to their class centre ranks nearest the median (Moderate-DS, Xia et al., ICLR 2023)", o => new ModerateSelector(o));
        registry.Register<D2Options>("d2", "selector", "Difficulty passed over a k-NN graph, picks that lower their neighbours (D2 Pruning, Maharana et al., ICLR 2024)", o => new D2Selector(o, registry));
        registry.Register<HybridOptions>("hybrid", "pipeline", "Real samples and synthetic images in one budget: a selector's and a synthesizer's share of each class's bytes", o => new HybridBuilder(o, registry));
        registry.Register<ShrinkOptions>("shrink", "pipeline", "A larger memory from one builder, cut to the budget by a selector run on it (default yoco: a condensed set pruned)", o => new ShrinkBuilder(o, registry));
    }
}
