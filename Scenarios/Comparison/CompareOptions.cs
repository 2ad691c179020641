using System.ComponentModel.DataAnnotations;
using Condensa.Hosting;
using Condensa.Config;
using Condensa.Memory;
using Condensa.Models;
using Condensa.Training;

namespace Condensa.Scenarios.Comparison;

internal sealed class CompareOptions : StudyRunOptions
{
    /// <summary>Memory builders to compare: a name, or {name: ..., label: ..., option: value...}.</summary>
    [Required] public List<MethodSpec> Builders { get; set; } = [];

    /// <summary>Budgets in images per class.</summary>
    public List<int> Ipc { get; set; } = [1, 10];

    /// <summary>Budgets as a fraction of each class (DeepCore's protocol), in addition to ipc.</summary>
    public List<double> Fractions { get; set; } = [];

    /// <summary>Class-balanced budgets (per class); false lets a selector spend the total budget across classes.</summary>
    public bool Balanced { get; set; } = true;

    /// <summary>Architecture the builders use (selection model, condensation network).</summary>
    public string BuildArch { get; set; } = ArchitectureSpec.Default.ToString();

    /// <summary>Architectures trained on each memory (cross-architecture evaluation); default: build_arch.</summary>
    public List<string> EvalArchs { get; set; } = [];

    /// <summary>Memories built per builder and budget, each from its own seed.</summary>
    [Range(1, 1000)] public int Seeds { get; set; } = 1;

    /// <summary>Fresh models trained on each memory per evaluation architecture.</summary>
    [Range(1, 1000)] public int Models { get; set; } = 2;

    /// <summary>How evaluation models are trained: by default the DC papers' evaluate_synset schedule (300 epochs, batch 256, lr 0.01 decayed once at half) with DSA augmentation, as the DM paper evaluates every memory; <c>eval_for</c> sets other epochs or augmentation per builder.</summary>
    public TrainOptions Eval { get; set; } = new() { Epochs = 300, BatchSize = 256, Lr = 0.01, Augmentation = "dsa" };

    /// <summary>
    /// Other evaluation epochs or augmentation for some builders, e.g. the DC papers' <c>main.py</c>, which trains models
    /// on DSA memories 1,000 epochs with DSA augmentation and on the others 300 epochs without:
    /// <c>eval_for: [{builders: [dsa], epochs: 1000, augmentation: dsa}]</c>.
    /// </summary>
    public List<EvalOverride> EvalFor { get; set; } = [];

    public IReadOnlyList<string> EffectiveEvalArchs => EvalArchs.Count > 0 ? EvalArchs : [BuildArch];

    /// <summary>
    /// Evaluation protocols every memory is evaluated under, each a column of the table: <c>thesis</c> (the <c>eval</c>
    /// block, with <c>eval_for</c>) and <c>idc</c> (IDC's evaluation: 1,000 epochs, batch 64, the rate x0.2 at 2/3 and 5/6,
    /// per-image DSA color_crop_flip_scale_rotate and CutMix 0.5), so a method's rows can be read apart from the protocol.
    /// </summary>
    public List<string> EvalProtocols { get; set; } = [Training.EvalProtocol.Thesis];

    /// <summary>How models are trained on the memories of <paramref name="builder"/> under <paramref name="protocol"/>: <c>eval</c>, with its <c>eval_for</c> entry applied, or a named protocol.</summary>
    public TrainOptions EvalOf(MethodSpec builder, string protocol = Training.EvalProtocol.Thesis)
    {
        if (protocol != Training.EvalProtocol.Thesis) return Training.EvalProtocol.Of(protocol, Eval, Dataset.IsDigits);
        if (EvalFor.FirstOrDefault(e => e.Builders.Contains(builder.DisplayName)) is not { } entry) return Eval;
        var eval = Eval.Clone();
        if (entry.Epochs is int epochs) (eval.Epochs, eval.DecayEpoch) = (epochs, null);
        if (entry.Augmentation is { } augmentation) eval.Augmentation = augmentation;
        return eval;
    }

    /// <summary>The budgets in order: every ipc, then every fraction, each with its label (<c>ipc 10</c>, <c>fraction 0.1</c>).</summary>
    public IReadOnlyList<(string Label, Budget Budget)> Budgets =>
        Ipc.Select(i => new Budget(Ipc: i, Balanced: Balanced)).Concat(Fractions.Select(f => new Budget(Fraction: f, Balanced: Balanced)))
            .Select(b => (b.ToString(), b)).ToList();

    public override void Validate(Action<string, string> error)
    {
        base.Validate(error);
        if (Ipc.Count == 0 && Fractions.Count == 0) error("ipc", "give at least one budget (ipc or fractions)");
        if (Ipc.Any(i => i < 1)) error("ipc", "images per class must be at least 1");
        if (Dataset.TrainPerClass is int n && Ipc.Where(i => i > n).ToList() is { Count: > 0 } above)
            error("ipc", $"{string.Join(", ", above)} images per class exceed dataset.train_per_class = {n}: no class has that many images to build a memory from");
        if (Fractions.Any(f => f <= 0 || f > 1)) error("fractions", "fractions must be in (0, 1]");
        foreach (var (key, arch) in EffectiveEvalArchs.Select(a => ("eval_archs", a)).Prepend(("build_arch", BuildArch)))
            ArchitectureSpec.Validate(key, arch, error);
        var labels = Builders.GroupBy(b => b.DisplayName).Where(g => g.Count() > 1).Select(g => g.Key).ToArray();
        if (labels.Length > 0) error("builders", $"{string.Join(", ", labels)} appear more than once; give each a distinct 'label'");
        var known = Builders.Select(b => b.DisplayName).ToList();
        foreach (var unknown in EvalFor.SelectMany(e => e.Builders).Where(b => !known.Contains(b)).Distinct())
            error("eval_for", $"'{unknown}' is not a builder of this run; builders: {string.Join(", ", known)}");
        foreach (var twice in EvalFor.SelectMany(e => e.Builders).GroupBy(b => b).Where(g => g.Count() > 1).Select(g => g.Key))
            error("eval_for", $"'{twice}' appears in more than one entry");
        if (EvalProtocols.Count == 0 || EvalProtocols.Distinct().Count() != EvalProtocols.Count) error("eval_protocols", "give each protocol once");
        foreach (var unknown in EvalProtocols.Where(p => !Training.EvalProtocol.Names.Contains(p)))
            error("eval_protocols", $"'{unknown}' is not a protocol; allowed values: {string.Join(", ", Training.EvalProtocol.Names)}");
    }
}
