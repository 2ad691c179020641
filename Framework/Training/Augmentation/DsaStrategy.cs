namespace Condensa.Training.Augmentation;

/// <summary>
/// One op group of differentiable Siamese augmentation. <see cref="Color"/> is brightness, then saturation, then
/// contrast, as the reference's <c>AUGMENT_FNS['color']</c>.
/// </summary>
public enum DsaOp { Color, Crop, Cutout, Flip, Scale, Rotate }

/// <summary>
/// The op groups one DSA call draws from, parsed from the reference's strategy string: tokens joined by '_', e.g.
/// <c>color_crop_cutout_flip_scale_rotate</c>. Mode 'S' of the reference draws one token uniformly per call, so a
/// repeated token is drawn proportionally more often, exactly as there.
/// </summary>
public sealed class DsaStrategy
{
    /// <summary>The reference's <c>--dsa_strategy</c> default: every op group.</summary>
    public static DsaStrategy Default { get; } = new([DsaOp.Color, DsaOp.Crop, DsaOp.Cutout, DsaOp.Flip, DsaOp.Scale, DsaOp.Rotate]);

    private DsaStrategy(IReadOnlyList<DsaOp> ops) => Ops = ops;

    public IReadOnlyList<DsaOp> Ops { get; }

    /// <summary>The tokens a strategy string may contain.</summary>
    public static IReadOnlyList<string> AllowedTokens => Tokens;

    private static readonly string[] Tokens = Enum.GetValues<DsaOp>().Select(Token).ToArray();

    /// <summary>
    /// Parses <paramref name="text"/> (case-insensitive). <paramref name="source"/> names where the text came from
    /// (a config key or file) for the error message.
    /// </summary>
    public static DsaStrategy Parse(string text, string? source = null)
    {
        var where = source is null ? "" : $" ({source})";
        var allowed = string.Join(", ", AllowedTokens);
        if (string.IsNullOrWhiteSpace(text))
            throw new CondensaException($"the DSA strategy{where} is empty; it needs one or more of: {allowed}, joined by '_'",
                $"e.g. {Default}");
        var ops = new List<DsaOp>();
        foreach (var token in text.Trim().ToLowerInvariant().Split('_'))
        {
            var index = Array.IndexOf(Tokens, token);
            if (index < 0)
                throw new CondensaException($"unknown DSA augmentation '{token}' in strategy '{text}'{where}; allowed tokens: {allowed}",
                    $"join tokens with '_', e.g. {Default}");
            ops.Add((DsaOp)index);
        }
        return new DsaStrategy(ops);
    }

    /// <summary>The strategy without flip, as the reference uses for digit data (a flipped digit is another glyph).</summary>
    public DsaStrategy WithoutFlip() => Without(DsaOp.Flip);

    /// <summary>The strategy without <paramref name="removed"/> (IDC drops cutout where CutMix replaces it).</summary>
    public DsaStrategy Without(DsaOp removed)
    {
        var ops = Ops.Where(op => op != removed).ToArray();
        if (ops.Length == 0) throw new CondensaException($"the DSA strategy '{this}' has no op left once {Token(removed)} is removed");
        return new DsaStrategy(ops);
    }

    public static string Token(DsaOp op) => op.ToString().ToLowerInvariant();

    public override string ToString() => string.Join('_', Ops.Select(Token));
}
