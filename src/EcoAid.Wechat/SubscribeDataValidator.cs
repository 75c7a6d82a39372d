using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace EcoAid.Wechat;

/// <summary>Why one subscribe-message value would be refused.</summary>
/// <param name="Key">The keyword, e.g. <c>thing1</c>.</param>
/// <param name="Type">Its type, from the key's prefix (<c>thing</c>).</param>
/// <param name="Rule">The rule it breaks, in words.</param>
public sealed record SubscribeDataError(string Key, string Type, string Rule)
{
    /// <summary>The error worded as WeChat words its 47003 answers: <c>data.thing1.value …</c>.</summary>
    public string Message => $"data.{Key}.value {Rule}";
}

/// <summary>
/// Checks subscribe-message values against WeChat's limits per keyword type (wechat-reference §5.1). The type is the
/// key without its trailing digits (<c>thing3</c> is a <c>thing</c>). Lengths count text elements, not bytes. WeChat
/// refuses a bad value with 47003 instead of shortening it, so callers check (and shorten) first.
/// Values of <c>enum</c> keywords and of types not listed in §5.1 are only checked for being non-empty: their
/// allowed values live in the template's definition, which WeChat does not give us.
/// </summary>
public static partial class SubscribeDataValidator
{
    /// <summary>Every problem in <paramref name="data"/>, in key order; empty when all values are fine.</summary>
    public static IReadOnlyList<SubscribeDataError> Validate(IReadOnlyDictionary<string, string> data) =>
        [.. data.OrderBy(pair => pair.Key, StringComparer.Ordinal)
            .Select(pair => Validate(pair.Key, pair.Value))
            .OfType<SubscribeDataError>()];

    /// <summary>The problem with one value, or null when WeChat would accept it.</summary>
    public static SubscribeDataError? Validate(string key, string? value)
    {
        var type = TypeOf(key);
        if (string.IsNullOrEmpty(value))
        {
            return new SubscribeDataError(key, type, "is empty");
        }
        var elements = TextElements(value);
        var rule = type switch
        {
            "thing" => elements.Count <= 20 ? null : "is longer than 20 characters (thing)",
            "number" => elements.Count <= 32 && NumberPattern().IsMatch(value) ? null
                : "must be at most 32 digits, a decimal point allowed (number)",
            "letter" => elements.Count <= 32 && elements.All(IsAsciiLetter) ? null : "must be at most 32 letters (letter)",
            "symbol" => elements.Count <= 5 && elements.All(IsSymbol) ? null : "must be at most 5 symbols (symbol)",
            "character_string" => elements.Count <= 32 && elements.All(e => IsAsciiLetterOrDigit(e) || IsSymbol(e)) ? null
                : "must be at most 32 digits, letters or symbols (character_string)",
            "time" => TimePattern().IsMatch(value) ? null
                : "must be a 24-hour time, optionally with a date, ranges joined by ~ (time), e.g. 15:01 or 2019年10月1日 15:01",
            "date" => DatePattern().IsMatch(value) ? null
                : "must be a date, optionally with a 24-hour time, ranges joined by ~ (date), e.g. 2019年10月1日",
            "amount" => AmountPattern().IsMatch(value) ? null
                : "must be an amount: a currency symbol, at most 10 digits, optional decimals, optionally ending in 元 (amount), e.g. ¥99.00",
            "phone_number" => elements.Count <= 17 && elements.All(e => IsAsciiDigit(e) || IsSymbol(e)) ? null
                : "must be at most 17 digits or symbols (phone_number)",
            "car_number" => IsCarNumber(elements) ? null
                : "must be at most 8 letters or digits, the first and last may be Chinese (car_number)",
            "name" => elements.Any(IsChinese)
                ? elements.Count <= 10 ? null : "is longer than 10 characters; with any Chinese a name has at most 10 (name)"
                : elements.Count <= 20 ? null : "is longer than 20 letters or symbols (name)",
            "phrase" => elements.Count <= 5 && elements.All(IsChinese) ? null : "must be at most 5 Chinese characters (phrase)",
            _ => null,
        };
        return rule is null ? null : new SubscribeDataError(key, type, rule);
    }

    /// <summary>The type of a keyword: the key without its trailing digits (<c>character_string12</c> → <c>character_string</c>).</summary>
    public static string TypeOf(string key) => key.TrimEnd("0123456789".ToCharArray());

    private static List<string> TextElements(string value)
    {
        var list = new List<string>();
        var enumerator = StringInfo.GetTextElementEnumerator(value);
        while (enumerator.MoveNext())
        {
            list.Add(enumerator.GetTextElement());
        }
        return list;
    }

    private static bool IsCarNumber(List<string> elements)
    {
        if (elements.Count > 8)
        {
            return false;
        }
        for (var i = 0; i < elements.Count; i++)
        {
            var edge = i == 0 || i == elements.Count - 1;
            if (!IsAsciiLetterOrDigit(elements[i]) && !(edge && IsChinese(elements[i])))
            {
                return false;
            }
        }
        return true;
    }

    private static bool IsAsciiLetter(string element) => element.Length == 1 && char.IsAsciiLetter(element[0]);

    private static bool IsAsciiDigit(string element) => element.Length == 1 && char.IsAsciiDigit(element[0]);

    private static bool IsAsciiLetterOrDigit(string element) => element.Length == 1 && char.IsAsciiLetterOrDigit(element[0]);

    // Punctuation and symbols of any script (，。：¥ as well as -#/), but not spaces, letters or digits.
    private static bool IsSymbol(string element)
    {
        var rune = Rune.GetRuneAt(element, 0);
        return Rune.IsPunctuation(rune) || Rune.IsSymbol(rune);
    }

    // CJK unified ideographs, their extension A and compatibility block, and the supplementary-plane extensions.
    private static bool IsChinese(string element)
    {
        var code = Rune.GetRuneAt(element, 0).Value;
        return code is (>= 0x3400 and <= 0x4DBF) or (>= 0x4E00 and <= 0x9FFF) or (>= 0xF900 and <= 0xFAFF) or (>= 0x20000 and <= 0x3134F);
    }

    // ASCII digits only ([0-9], not \d, which matches any script's digits); \z so a trailing newline does not pass.
    private const string Date = @"(?:(?:[0-9]{4}年)?[0-9]{1,2}月[0-9]{1,2}日|[0-9]{4}[-/.][0-9]{1,2}[-/.][0-9]{1,2})";
    private const string Time = @"(?:(?:[01]?[0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9])?)";
    private const string TimeSide = $@"(?:{Date} *)?{Time}";
    private const string DateSide = $@"{Date}(?: *{Time})?";

    [GeneratedRegex(@"^[0-9]+(?:\.[0-9]+)?\z")]
    private static partial Regex NumberPattern();

    [GeneratedRegex($@"^{TimeSide}(?: *~ *{TimeSide})?\z")]
    private static partial Regex TimePattern();

    [GeneratedRegex($@"^{DateSide}(?: *~ *(?:{DateSide}|{Time}))?\z")]
    private static partial Regex DatePattern();

    [GeneratedRegex(@"^[¥￥$€£]?[0-9]{1,10}(?:\.[0-9]{1,2})?元?\z")]
    private static partial Regex AmountPattern();
}
