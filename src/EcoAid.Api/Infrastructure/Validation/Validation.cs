using EcoAid.Api.Infrastructure.Http;

namespace EcoAid.Api.Infrastructure.Validation;

/// <summary>A request body that checks its own shape. Errors are keyed by the camelCase field name, in Chinese.</summary>
public interface IValidatable
{
    void Validate(ValidationErrors errors);
}

/// <summary>Collects field errors with the wording used across the API.</summary>
public sealed class ValidationErrors
{
    private readonly Dictionary<string, List<string>> errors = [];

    public bool IsEmpty => errors.Count == 0;

    public void Add(string field, string message)
    {
        if (!errors.TryGetValue(field, out var list))
        {
            errors[field] = list = [];
        }
        list.Add(message);
    }

    /// <summary>Required text of at most <paramref name="max"/> characters (counted as the user sees them).</summary>
    public void Required(string field, string? value, int max)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            Add(field, "不能为空。");
        }
        else
        {
            MaxLength(field, value, max);
        }
    }

    /// <summary>Optional text: too long is an error, never silently cut.</summary>
    public void MaxLength(string field, string? value, int max)
    {
        if (value is not null && new System.Globalization.StringInfo(value).LengthInTextElements > max)
        {
            Add(field, $"不能超过 {max} 个字。");
        }
    }

    public void Phone(string field, string? value)
    {
        if (!string.IsNullOrEmpty(value) && !PhoneNumbers.IsValid(value))
        {
            Add(field, "手机号格式不正确（11 位，以 1 开头）。");
        }
    }

    /// <summary>One of <paramref name="allowed"/>; the message lists them as people read them (<see cref="Words"/>).</summary>
    public void OneOf(string field, string? value, IReadOnlyCollection<string> allowed)
    {
        if (value is null || !allowed.Contains(value))
        {
            Add(field, OneOfMessage(allowed));
        }
    }

    /// <summary>One of the keys of <paramref name="labels"/>; the message lists their Chinese labels.</summary>
    public void OneOf(string field, string? value, IReadOnlyDictionary<string, string> labels)
    {
        if (value is null || !labels.ContainsKey(value))
        {
            Add(field, OneOfMessage(labels.Keys, labels));
        }
    }

    public static string OneOfMessage(IEnumerable<string> allowed, IReadOnlyDictionary<string, string>? labels = null) =>
        $"取值必须是以下之一：{Words.List(allowed, labels)}。";

    public IDictionary<string, string[]> ToDictionary() => errors.ToDictionary(e => e.Key, e => e.Value.ToArray());
}

/// <summary>Runs <see cref="IValidatable.Validate"/> on every such argument before the handler; a failure answers 400.</summary>
public sealed class ValidationFilter : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var errors = new ValidationErrors();
        foreach (var argument in context.Arguments)
        {
            if (argument is IValidatable validatable)
            {
                validatable.Validate(errors);
            }
        }
        return errors.IsEmpty ? await next(context) : Problems.Validation(errors.ToDictionary());
    }
}

/// <summary>Mainland mobile numbers: stored as 11 digits, shown masked.</summary>
public static class PhoneNumbers
{
    public static bool IsValid(string value) => value.Length == 11 && value[0] == '1' && value.All(char.IsAsciiDigit);

    /// <summary>138****5678: enough for a person to recognise, useless to anyone else.</summary>
    public static string? Mask(string? phone) =>
        phone is { Length: >= 7 } ? $"{phone[..3]}****{phone[^4..]}" : phone is null ? null : "****";
}

/// <summary>Paging as the contract fixes it: page from 1, pageSize up to 100.</summary>
public sealed record Paging(int Page, int PageSize)
{
    public const int MaxPageSize = 100;

    public int Offset => (Page - 1) * PageSize;

    public static bool TryCreate(int? page, int? pageSize, out Paging paging, out IDictionary<string, string[]> errors)
    {
        var e = new ValidationErrors();
        if (page is < 1)
        {
            e.Add("page", "页码从 1 开始。");
        }
        if (pageSize is < 1 or > MaxPageSize)
        {
            e.Add("pageSize", $"每页条数须在 1 到 {MaxPageSize} 之间。");
        }
        paging = new Paging(page ?? 1, pageSize ?? 20);
        errors = e.ToDictionary();
        return e.IsEmpty;
    }
}

public sealed record PagedList<T>(IReadOnlyList<T> Items, long Total, int Page, int PageSize);
