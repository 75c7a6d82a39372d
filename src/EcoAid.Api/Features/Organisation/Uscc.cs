using System.Text;

namespace EcoAid.Api.Features.Organisation;

/// <summary>
/// The unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters from a 31-character set, positions
/// 3–8 a region code of digits, position 18 a check character over the first 17 (weights 3^(i-1) mod 31).
/// </summary>
public static class Uscc
{
    private const string Alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    private static readonly int[] Weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

    /// <summary>Trims, turns full-width characters into half-width, upper-cases, and drops spaces and dashes.</summary>
    public static string Normalize(string input)
    {
        var builder = new StringBuilder(input.Length);
        foreach (var raw in input.Trim())
        {
            var c = raw switch
            {
                '\u3000' => ' ',
                >= '\uFF01' and <= '\uFF5E' => (char)(raw - 0xFEE0),
                _ => raw,
            };
            if (c is ' ' or '-')
            {
                continue;
            }
            builder.Append(char.ToUpperInvariant(c));
        }
        return builder.ToString();
    }

    /// <summary>Null when <paramref name="normalized"/> is a valid code, otherwise why not (in Chinese, for the user).</summary>
    public static string? Check(string normalized)
    {
        if (normalized.Length != 18)
        {
            return "统一社会信用代码应为 18 位。";
        }
        if (normalized.Any(c => !Alphabet.Contains(c)))
        {
            return "统一社会信用代码含有无效字符（不使用 I、O、S、V、Z）。";
        }
        if (normalized.AsSpan(2, 6).ContainsAnyExceptInRange('0', '9'))
        {
            return "统一社会信用代码第 3–8 位应为行政区划数字。";
        }
        return normalized[17] == CheckCharacter(normalized.AsSpan(0, 17)) ? null : "统一社会信用代码校验位不正确，请核对。";
    }

    /// <summary>The GB 32100 check character for the first 17 characters.</summary>
    public static char CheckCharacter(ReadOnlySpan<char> first17)
    {
        var sum = 0;
        for (var i = 0; i < 17; i++)
        {
            sum += Alphabet.IndexOf(first17[i]) * Weights[i];
        }
        return Alphabet[(31 - sum % 31) % 31];
    }
}
