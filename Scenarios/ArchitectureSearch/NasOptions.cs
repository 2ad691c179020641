using System.ComponentModel.DataAnnotations;
using Condensa.Hosting;
using Condensa.Config;
using Condensa.Models;
using Condensa.Training;

namespace Condensa.Scenarios.ArchitectureSearch;

/// <summary>The candidate architectures: the 720-ConvNet space of the DC papers, any axis restricted, optionally sampled.</summary>
internal sealed class SpaceOptions
{
    /// <summary>Widths (filters per conv): 32, 64, 128, 256.</summary>
    public List<int> Widths { get; set; } = [.. ConvNetSpace.Widths];

    /// <summary>Depths (conv blocks): 1 to 4.</summary>
    public List<int> Depths { get; set; } = [.. ConvNetSpace.Depths];

    /// <summary>Normalizations: none, batchnorm, layernorm, instancenorm, groupnorm.</summary>
    public List<string> Norms { get; set; } = [.. ConvNetSpace.Norms.Select(ConvNetSpace.Token)];

    /// <summary>Activations: sigmoid, relu, leakyrelu.</summary>
    public List<string> Activations { get; set; } = [.. ConvNetSpace.Activations.Select(ConvNetSpace.Token)];

    /// <summary>Poolings: none, maxpool, avgpool.</summary>
    public List<string> Poolings { get; set; } = [.. ConvNetSpace.Poolings.Select(ConvNetSpace.Token)];

    /// <summary>Sample this many distinct candidates of the restricted space (without replacement, seeded by the run's seed); 0 keeps all.</summary>
    [Range(0, 100_000)] public int Sample { get; set; }

    /// <summary>The candidates in the space's stable order (a seeded sample keeps that order).</summary>
    public IReadOnlyList<ConvNetSpec> Candidates(long seed)
    {
        var all = ConvNetSpace.Enumerate(Widths, Depths, Norms.Select(ConvNetSpace.ParseNorm).ToList(),
            Activations.Select(ConvNetSpace.ParseActivation).ToList(), Poolings.Select(ConvNetSpace.ParsePooling).ToList());
        if (Sample <= 0 || Sample >= all.Count) return all;
        var random = new Random(unchecked((int)Seeds.Derive(seed, "space-sample")));
        var order = Enumerable.Range(0, all.Count).ToArray();
        random.Shuffle(order);
        return order.Take(Sample).Order().Select(i => all[i]).ToList();
    }
}

/// <summary>How a proxy ranks a candidate.</summary>
internal enum ProxyScore
{
    /// <summary>Train it on the proxy set and rank by validation accuracy.</summary>
    Train,
    /// <summary>NASWOT at initialization on one batch of 128 training images, no training (Mellor et al., ICML 2021).</summary>
    Naswot,
}

/// <summary>A proxy: a memory builder and its budget (images per class) trained on, or a training-free score.</summary>
internal sealed class ProxyOptions : IValidatableOptions
{
    /// <summary>The builder of the proxy set (random, herding, dm, dsa, ...); not for a training-free score.</summary>
    public MethodSpec? Builder { get; set; }

    /// <summary>train (on the proxy set) or naswot (a training-free score of the untrained candidate).</summary>
    public ProxyScore Score { get; set; } = ProxyScore.Train;

    /// <summary>Successive halving on the proxy: {rungs: 3, eta: 3} trains all candidates short, and only the best 1/eta of each rung longer.</summary>
    public SuccessiveHalving Pruning { get; set; } = new();

    public void Validate(Action<string, string> error)
    {
        if (Score == ProxyScore.Train && Builder is null) error("builder", "a trained proxy needs the builder of its proxy set, e.g. builder: {name: dm}");
        if (Score == ProxyScore.Naswot && Pruning.Rungs > 1) error("pruning", "a training-free score trains nothing to prune");
    }

    /// <summary>Images per class of the proxy set.</summary>
    [Range(1, 100_000)] public int Ipc { get; set; } = 10;

    /// <summary>Name of the proxy in the report (default: the builder's label or name).</summary>
    public string? Label { get; set; }

    public string Name => Label ?? (Score == ProxyScore.Naswot ? "naswot" : Builder?.DisplayName) ?? "proxy";
}

/// <summary>What a nas run does.</summary>
internal enum NasMode
{
    /// <summary>Score proxies: every candidate on every proxy and on the whole set, and the rank correlations between them.</summary>
    Evaluate,
    /// <summary>Search: every candidate on the first proxy, its best on the whole set, and the chosen architecture.</summary>
    Search,
}

/// <summary>The whole-set phase of a search.</summary>
internal sealed class SearchOptions
{
    /// <summary>The proxy's best candidates trained on the whole set (whole_train); the chosen one is the best of them by validation accuracy.</summary>
    [Range(1, 100_000)] public int Top { get; set; } = 10;

    /// <summary>Candidates drawn at random from the space (seeded) and trained on the whole set beside them: the baseline a search must beat; 0: none.</summary>
    [Range(0, 100_000)] public int RandomBaseline { get; set; } = 10;
}

internal sealed class NasOptions : StudyRunOptions
{
    /// <summary>evaluate (every candidate on every proxy and on the whole set, and how well each proxy ranks) or search (the first proxy picks; its best train on the whole set).</summary>
    public NasMode Mode { get; set; } = NasMode.Evaluate;

    public SpaceOptions Space { get; set; } = new();

    /// <summary>The whole-set phase of mode search.</summary>
    public SearchOptions Search { get; set; } = new();

    /// <summary>Proxy sets to rank the candidates with.</summary>
    public List<ProxyOptions> Proxies { get; set; } = [];

    /// <summary>Also rank by the early-stopping baseline: the whole training set for as many iterations as proxy training takes.</summary>
    public bool EarlyStopping { get; set; } = true;

    /// <summary>Architecture the proxy builders use (selection model, condensation network).</summary>
    public string BuildArch { get; set; } = ArchitectureSpec.Default.ToString();

    /// <summary>Training of a candidate on a proxy set (thesis: 200 epochs, batch 250, DSA augmentation).</summary>
    public TrainOptions ProxyTrain { get; set; } = new() { Epochs = 200, BatchSize = 250, Lr = 0.01, Augmentation = "dsa" };

    /// <summary>Training of a candidate on the whole training set, the ground truth (thesis: 100 epochs, batch 250).</summary>
    public TrainOptions WholeTrain { get; set; } = new() { Epochs = 100, BatchSize = 250, Lr = 0.01, Augmentation = "none" };

    /// <summary>Trainings per candidate; candidates are ranked by mean validation accuracy (thesis: 5).</summary>
    [Range(1, 100)] public int Repeats { get; set; } = 5;

    /// <summary>Correlations over the top k candidates by proxy (chapter 3: 10).</summary>
    [Range(2, 100_000)] public int TopK { get; set; } = 10;

    /// <summary>Also over the top fraction of candidates by proxy (chapters 4-5: 0.05); 0 to skip.</summary>
    [Range(0.0, 1.0)] public double TopFraction { get; set; } = 0.05;

    public override void Validate(Action<string, string> error)
    {
        base.Validate(error);
        if (Dataset.ValidationFraction <= 0)
            error("dataset", "nas ranks candidates by validation accuracy: set dataset.validation_fraction (the thesis holds out 0.1)");
        if (Proxies.Count == 0 && !EarlyStopping) error("proxies", "give at least one proxy (or early_stopping: true)");
        if (Mode == NasMode.Search && Proxies.Count == 0) error("proxies", "a search ranks the space on its first proxy: give one");
        ArchitectureSpec.Validate("build_arch", BuildArch, error);
        try
        {
            if (Space.Candidates(Seed).Count < 2) error("space", "needs at least two candidates to rank");
        }
        catch (CondensaException e) { error("space", e.Message); }
        var names = Proxies.GroupBy(p => p.Name).Where(g => g.Count() > 1).Select(g => g.Key).ToArray();
        if (names.Length > 0) error("proxies", $"{string.Join(", ", names)} appear more than once; give each a distinct 'label'");
    }
}
