using Condensa.Memory;
using Condensa.Methods.Selection;

namespace Condensa.Methods;

/// <summary>Registers every selector and synthesizer of this assembly by name.</summary>
public static class MethodsModule
{
    public static void Register(MemoryBuilderRegistry registry)
    {
        registry.Register<RandomOptions>("random", "selector", "Uniform random samples per class, without replacement", o => new RandomSelector(o));
        registry.Register<Synthesis.DcOptions>("dc", "synthesizer", "Dataset condensation with gradient matching (Zhao et al., ICLR 2021; thesis Alg. 1)", o => new Synthesis.GradientMatching(o));
        registry.Register<Synthesis.DsaOptions>("dsa", "synthesizer", "Gradient matching with differentiable Siamese augmentation (Zhao and Bilen, ICML 2021; thesis Alg. 2)", o => new Synthesis.GradientMatching(o));
        registry.Register<Synthesis.DmOptions>("dm", "synthesizer", "Distribution matching: mean embeddings of random networks (Zhao and Bilen, WACV 2023; thesis Alg. 3)", o => new Synthesis.DistributionMatching(o));
    }
}
