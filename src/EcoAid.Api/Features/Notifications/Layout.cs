using System.Globalization;
using System.Text;
using System.Text.Json;
using EcoAid.Api.Features.Calendar;
using EcoAid.Wechat;

namespace EcoAid.Api.Features.Notifications;

/// <summary>A text with <c>{placeholder}</c> parts, as written in the settings: <c>"{enterpriseName}提交了诉求"</c>.</summary>
public sealed class Layout
{
    private readonly IReadOnlyList<(string Text, bool IsPlaceholder)> parts;

    private Layout(string source, IReadOnlyList<(string, bool)> parts) => (Source, this.parts) = (source, parts);

    public string Source { get; }

    public IEnumerable<string> Placeholders => parts.Where(p => p.IsPlaceholder).Select(p => p.Text);

    public bool HasLiteralText => parts.Any(p => !p.IsPlaceholder && p.Text.Length > 0);

    /// <summary>Parses a layout; a brace that does not open or close a placeholder name is an error.</summary>
    public static Layout Parse(string source, out string? error)
    {
        error = null;
        var parts = new List<(string, bool)>();
        var literal = new StringBuilder();
        for (var i = 0; i < source.Length; i++)
        {
            var c = source[i];
            if (c == '}')
            {
                error = $"“{source}”中的“}}”没有对应的“{{”";
                break;
            }
            if (c != '{')
            {
                literal.Append(c);
                continue;
            }
            var end = source.IndexOf('}', i + 1);
            var name = end < 0 ? "" : source[(i + 1)..end];
            if (end < 0 || name.Length == 0 || !char.IsAsciiLetter(name[0]) || !name.All(char.IsAsciiLetterOrDigit))
            {
                error = $"“{source}”中的占位符写法不对，应为 {{字段名}}，如 {{title}}";
                break;
            }
            if (literal.Length > 0)
            {
                parts.Add((literal.ToString(), false));
                literal.Clear();
            }
            parts.Add((name, true));
            i = end;
        }
        if (literal.Length > 0)
        {
            parts.Add((literal.ToString(), false));
        }
        return new Layout(source, parts);
    }

    public string Render(Func<string, string> value)
    {
        var builder = new StringBuilder();
        foreach (var (text, isPlaceholder) in parts)
        {
            builder.Append(isPlaceholder ? value(text) : text);
        }
        return builder.ToString();
    }
}

/// <summary>
/// The values of one notification's placeholders, read from its JSON payload and written for people: dates as
/// 2026年3月16日, instants in Asia/Shanghai as 2026年3月16日 09:30. A field the payload lacks renders empty.
/// </summary>
public sealed class PayloadValues
{
    private static readonly IReadOnlyDictionary<string, string> StatusNames = new Dictionary<string, string>
    {
        ["pending_review"] = "待审核", ["submitted"] = "待受理", ["accepted"] = "办理中", ["resolved"] = "待企业确认", ["closed"] = "已办结",
        ["returned"] = "已退回", ["withdrawn"] = "已撤回",
    };

    // Each top-level field as text: a string as it is, anything else as written in the JSON; null when the field is null.
    private readonly Dictionary<string, string?> fields = new(StringComparer.Ordinal);
    private readonly KindInfo kind;
    private readonly DateTimeOffset createdAt;

    public PayloadValues(KindInfo kind, string payload, DateTimeOffset createdAt)
    {
        this.kind = kind;
        this.createdAt = createdAt;
        try
        {
            using var document = JsonDocument.Parse(payload);
            if (document.RootElement.ValueKind == JsonValueKind.Object)
            {
                foreach (var property in document.RootElement.EnumerateObject())
                {
                    fields[property.Name] = property.Value.ValueKind switch
                    {
                        JsonValueKind.String => property.Value.GetString(),
                        JsonValueKind.Null or JsonValueKind.Undefined => null,
                        _ => property.Value.GetRawText(),
                    };
                }
            }
        }
        catch (JsonException)
        {
            // A broken payload still reaches the inbox, with empty values.
        }
    }

    public string this[string placeholder] => Format(placeholder);

    private string Format(string placeholder)
    {
        var type = NotificationCatalog.TypeOf(kind, placeholder) ?? PlaceholderType.Text;
        if (placeholder == "statusName" && !fields.ContainsKey("statusName"))
        {
            return fields.GetValueOrDefault("status") is { } status ? StatusNames.GetValueOrDefault(status, status) : "";
        }
        if (fields.GetValueOrDefault(placeholder) is not { } text)
        {
            return placeholder == NotificationCatalog.At ? FormatInstant(createdAt) : "";
        }
        return type switch
        {
            PlaceholderType.Date when DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date) => FormatDate(date),
            PlaceholderType.Date or PlaceholderType.Instant when DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var instant)
                => type == PlaceholderType.Date ? FormatDate(WorkingCalendar.Today(instant)) : FormatInstant(instant),
            _ => text,
        };
    }

    public static string FormatDate(DateOnly date) => $"{date.Year}年{date.Month}月{date.Day}日";

    public static string FormatInstant(DateTimeOffset instant)
    {
        var local = TimeZoneInfo.ConvertTime(instant, WorkingCalendar.Shanghai);
        return $"{local.Year}年{local.Month}月{local.Day}日 {local:HH:mm}";
    }

    /// <summary>A sample of each type, for checking layouts at startup.</summary>
    public static string Sample(PlaceholderType type) => type switch
    {
        PlaceholderType.Code => "SQ2026-0001",
        PlaceholderType.Number => "3",
        PlaceholderType.Date => "2026年3月16日",
        PlaceholderType.Instant => "2026年3月16日 09:30",
        _ => "危废暂存间不规范",
    };
}

/// <summary>
/// Fits a rendered value to its keyword's type (wechat-reference §5.1) so WeChat does not refuse it: text is put on one
/// line and cut with an ellipsis, identifier and number fields keep only the characters their type allows. Subscribe
/// messages are refused when a value breaks its rule; template messages are cut by WeChat anyway, so this keeps the cut
/// ours.
/// </summary>
public static class FieldShaping
{
    public static readonly IReadOnlySet<string> SubscribeTypes = new HashSet<string>(StringComparer.Ordinal)
    {
        "thing", "number", "letter", "symbol", "character_string", "time", "date", "amount", "phone_number", "car_number", "name", "phrase", "enum",
    };

    /// <summary>Keyword types whose value is free text; the others only take identifiers, numbers, dates and the like.</summary>
    public static readonly IReadOnlySet<string> TextTypes = new HashSet<string>(StringComparer.Ordinal) { "thing", "name", "phrase", "enum" };

    public static string Shape(string key, string value)
    {
        var line = WechatText.SingleLine(value);
        var shaped = SubscribeDataValidator.TypeOf(key) switch
        {
            "thing" => WechatText.Truncate(line, 20),
            "number" => Cut(Keep(line, c => char.IsAsciiDigit(c) || c == '.'), 32),
            "letter" => Cut(Keep(line, char.IsAsciiLetter), 32),
            "symbol" => Cut(Keep(line, c => char.IsPunctuation(c) || char.IsSymbol(c)), 5),
            "character_string" => WechatText.Truncate(Keep(line, c => c < 128 && !char.IsWhiteSpace(c) && !char.IsControl(c)), 32),
            "phrase" => Cut(Keep(line, c => c is >= '\u4E00' and <= '\u9FFF'), 5),
            "name" => WechatText.Truncate(line, line.Any(c => c is >= '\u4E00' and <= '\u9FFF') ? 10 : 20),
            _ => line,
        };
        // An empty thing is refused; a dash says "nothing here" without breaking the message.
        return shaped.Length == 0 && SubscribeDataValidator.TypeOf(key) is "thing" or "character_string" or "name" ? "-" : shaped;
    }

    private static string Keep(string value, Func<char, bool> allowed) => new(value.Where(allowed).ToArray());

    private static string Cut(string value, int max) => value.Length <= max ? value : value[..max];
}
