using System.Text;

namespace Condensa.Config;

/// <summary>Config spelling: properties are snake_case keys (<c>BatchSize</c> → <c>batch_size</c>), enum members kebab-case values (<c>StepDecay</c> → <c>step-decay</c>).</summary>
internal static class Naming
{
    public static string Key(string pascal) => Split(pascal, '_');

    public static string EnumValue(Enum value) => Split(value.ToString(), '-');

    public static string EnumValue(string member) => Split(member, '-');

    private static string Split(string pascal, char sep)
    {
        var sb = new StringBuilder(pascal.Length + 4);
        for (int i = 0; i < pascal.Length; i++)
        {
            char c = pascal[i];
            if (char.IsUpper(c))
            {
                bool boundary = i > 0 && (char.IsLower(pascal[i - 1]) || char.IsDigit(pascal[i - 1])
                    || (i + 1 < pascal.Length && char.IsLower(pascal[i + 1]) && char.IsUpper(pascal[i - 1])));
                if (boundary) sb.Append(sep);
                sb.Append(char.ToLowerInvariant(c));
            }
            else sb.Append(c);
        }
        return sb.ToString();
    }
}
