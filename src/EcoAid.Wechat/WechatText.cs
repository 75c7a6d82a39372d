using System.Globalization;
using System.Text;

namespace EcoAid.Wechat;

/// <summary>
/// Shapes text for WeChat's message fields. Lengths are counted in text elements (what a reader sees as one
/// character: 路, é, 👍🏽), never in bytes or UTF-16 units, so a cut never splits a character.
/// </summary>
public static class WechatText
{
    /// <summary>What a template-message keyword shows at most since 2023 (wechat-reference §6.1).</summary>
    public const int TemplateValueMaxLength = 20;

    /// <summary>Marks where a value was cut.</summary>
    public const string Ellipsis = "…";

    /// <summary>The number of text elements in <paramref name="value"/>.</summary>
    public static int Length(string value) => new StringInfo(value).LengthInTextElements;

    /// <summary>
    /// <paramref name="value"/> unchanged when it has at most <paramref name="maxLength"/> text elements; otherwise its
    /// first <paramref name="maxLength"/> − 1 elements (trailing spaces dropped) followed by <see cref="Ellipsis"/>, so
    /// the result is never longer than <paramref name="maxLength"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxLength"/> is less than 1.</exception>
    public static string Truncate(string value, int maxLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 1);
        var info = new StringInfo(value);
        if (info.LengthInTextElements <= maxLength)
        {
            return value;
        }
        return info.SubstringByTextElements(0, maxLength - 1).TrimEnd() + Ellipsis;
    }

    /// <summary>
    /// <paramref name="value"/> on one line: every run of line breaks (CR, LF, NEL, U+2028, U+2029) becomes one space,
    /// and the ends are trimmed.
    /// </summary>
    public static string SingleLine(string value)
    {
        var builder = new StringBuilder(value.Length);
        var inBreak = false;
        foreach (var c in value)
        {
            if (c is '\r' or '\n' or '\u0085' or '\u2028' or '\u2029')
            {
                inBreak = true;
                continue;
            }
            if (inBreak)
            {
                builder.Append(' ');
                inBreak = false;
            }
            builder.Append(c);
        }
        return builder.ToString().Trim();
    }

    /// <summary>A template-message value as WeChat will show it in full: one line, at most 20 text elements.</summary>
    public static string ForTemplateValue(string value) => Truncate(SingleLine(value), TemplateValueMaxLength);
}
