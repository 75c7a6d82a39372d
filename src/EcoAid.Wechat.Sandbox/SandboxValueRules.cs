using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace EcoAid.Wechat.Sandbox;

/// <summary>
/// How the sandbox judges subscribe-message values (wechat-reference §5.1), written apart from the client's own check
/// so that a mistake in one shows up against the other. Lengths are counted in text elements.
/// </summary>
internal static partial class SandboxValueRules
{
    /// <summary>The type of a keyword: its name without the trailing digits.</summary>
    public static string TypeOf(string key)
    {
        var end = key.Length;
        while (end > 0 && key[end - 1] is >= '0' and <= '9')
        {
            end--;
        }
        return key[..end];
    }

    /// <summary>Why WeChat would refuse <paramref name="value"/> for a keyword of <paramref name="type"/>, or null.</summary>
    public static string? Check(string type, string value, IReadOnlyCollection<string>? enumValues)
    {
        if (value.Length == 0)
        {
            return "is empty";
        }
        var length = new StringInfo(value).LengthInTextElements;
        return type switch
        {
            "thing" => length > 20 ? "exceeds 20 characters" : null,
            "number" => length > 32 || !NumberShape().IsMatch(value) ? "is not a number of at most 32 digits" : null,
            "letter" => length > 32 || !LetterShape().IsMatch(value) ? "is not at most 32 letters" : null,
            "symbol" => length > 5 || !AllRunes(value, IsSymbol) ? "is not at most 5 symbols" : null,
            "character_string" => length > 32 || !AllRunes(value, r => r.IsAscii && Rune.IsLetterOrDigit(r) || IsSymbol(r))
                ? "is not at most 32 digits, letters or symbols" : null,
            "time" => TimeShape().IsMatch(value) ? null : "is not a time",
            "date" => DateShape().IsMatch(value) ? null : "is not a date",
            "amount" => AmountShape().IsMatch(value) ? null : "is not an amount",
            "phone_number" => length > 17 || !AllRunes(value, r => r.IsAscii && Rune.IsDigit(r) || IsSymbol(r))
                ? "is not a phone number of at most 17 digits or symbols" : null,
            "car_number" => CarShape().IsMatch(value) ? null : "is not a licence plate",
            "name" => length > (AllRunes(value, r => !IsHan(r)) ? 20 : 10) ? "is too long for a name" : null,
            "phrase" => length > 5 || !AllRunes(value, IsHan) ? "is not at most 5 Chinese characters" : null,
            "enum" => enumValues is { Count: > 0 } && !enumValues.Contains(value) ? "is not one of the template's values" : null,
            _ => null,
        };
    }

    private static bool AllRunes(string value, Func<Rune, bool> allowed)
    {
        foreach (var rune in value.EnumerateRunes())
        {
            // Combining marks and joiners ride along with the character before them.
            if (Rune.GetUnicodeCategory(rune) is UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark or UnicodeCategory.Format)
            {
                continue;
            }
            if (!allowed(rune))
            {
                return false;
            }
        }
        return true;
    }

    private static bool IsSymbol(Rune rune) => Rune.IsPunctuation(rune) || Rune.IsSymbol(rune);

    private static bool IsHan(Rune rune) => rune.Value is (>= 0x3400 and <= 0x4DBF) or (>= 0x4E00 and <= 0x9FFF)
        or (>= 0xF900 and <= 0xFAFF) or (>= 0x20000 and <= 0x3134F);

    [GeneratedRegex(@"\A[0-9]{1,32}(\.[0-9]+)?\z")]
    private static partial Regex NumberShape();

    [GeneratedRegex(@"\A[A-Za-z]+\z")]
    private static partial Regex LetterShape();

    // A time: HH:mm[:ss], optionally after a date; a range joins two with ~.
    [GeneratedRegex(@"\A((\d{4}年)?\d{1,2}月\d{1,2}日 ?|\d{4}[-/.]\d{1,2}[-/.]\d{1,2} ?)?([01]?\d|2[0-3]):[0-5]\d(:[0-5]\d)?( ?~ ?((\d{4}年)?\d{1,2}月\d{1,2}日 ?|\d{4}[-/.]\d{1,2}[-/.]\d{1,2} ?)?([01]?\d|2[0-3]):[0-5]\d(:[0-5]\d)?)?\z", RegexOptions.ECMAScript)]
    private static partial Regex TimeShape();

    // A date, optionally followed by a time; a range joins a date with a date or a time.
    [GeneratedRegex(@"\A((\d{4}年)?\d{1,2}月\d{1,2}日|\d{4}[-/.]\d{1,2}[-/.]\d{1,2})( ?([01]?\d|2[0-3]):[0-5]\d(:[0-5]\d)?)?( ?~ ?(((\d{4}年)?\d{1,2}月\d{1,2}日|\d{4}[-/.]\d{1,2}[-/.]\d{1,2})( ?([01]?\d|2[0-3]):[0-5]\d(:[0-5]\d)?)?|([01]?\d|2[0-3]):[0-5]\d(:[0-5]\d)?))?\z", RegexOptions.ECMAScript)]
    private static partial Regex DateShape();

    [GeneratedRegex(@"\A[¥￥$€£]?[0-9]{1,10}(\.[0-9]{1,2})?元?\z")]
    private static partial Regex AmountShape();

    // Up to 8: letters and digits, the first and the last may be a Chinese character (粤A8Z888挂).
    [GeneratedRegex(@"\A(?=.{1,8}\z)[\u3400-\u9FFFA-Za-z0-9][A-Za-z0-9]*([A-Za-z0-9]|[\u3400-\u9FFF])?\z", RegexOptions.Singleline)]
    private static partial Regex CarShape();
}
