using System.Text.Json;
using EcoAid.Api.Infrastructure.Validation;

namespace EcoAid.Api.Features.PolicyLibrary;

/// <summary>Document categories as they appear on the wire, with their Chinese names.</summary>
public static class PolicyCategories
{
    public const string ProjectApproval = "project_approval";
    public const string Funding = "funding";
    public const string Honor = "honor";
    public const string Petition = "petition";
    public const string CreditRepair = "credit_repair";
    public const string LawsStandards = "laws_standards";
    /// <summary>码上说执法: a short enforcement explainer, usually opened by scanning its code.</summary>
    public const string Explainer = "explainer";

    public static readonly IReadOnlyDictionary<string, string> Names = new Dictionary<string, string>
    {
        [ProjectApproval] = "项目审批",
        [Funding] = "资金申报",
        [Honor] = "荣誉评定",
        [Petition] = "信访投诉",
        [CreditRepair] = "信用修复",
        [LawsStandards] = "法规标准",
        [Explainer] = "执法说明",
    };
}

public static class PolicyStatus
{
    public const string Draft = "draft";
    public const string Published = "published";
    public const string Unpublished = "unpublished";

    public static readonly IReadOnlyList<string> All = [Draft, Published, Unpublished];
}

/// <summary>The fields an administrator writes, shared by create and edit.</summary>
public interface IPolicyFields
{
    string Title { get; }
    string Category { get; }
    string? Summary { get; }
    string Body { get; }
    IReadOnlyList<string>? Tags { get; }
    string? Source { get; }
    DateOnly? EffectiveDate { get; }
}

internal static class PolicyFields
{
    public const int MaxBodyLength = 100_000;

    public static void Validate(IPolicyFields f, ValidationErrors errors)
    {
        errors.Required("title", f.Title, 200);
        errors.OneOf("category", f.Category, PolicyCategories.Names);
        errors.MaxLength("summary", f.Summary, 500);
        errors.MaxLength("source", f.Source, 100);
        if (string.IsNullOrWhiteSpace(f.Body))
        {
            errors.Add("body", "不能为空。");
        }
        else if (f.Body.Length > MaxBodyLength)
        {
            errors.Add("body", $"不能超过 {MaxBodyLength} 个字符。");
        }
        else if (PolicyHtml.Sanitize(f.Body) is { Text.Length: 0 } clean && !clean.Html.Contains("<img", StringComparison.Ordinal))
        {
            errors.Add("body", "正文去掉不允许的标记后为空。");
        }
        if (f.Tags is { } tags)
        {
            if (tags.Count > 10)
            {
                errors.Add("tags", "最多 10 个标签。");
            }
            if (tags.Any(t => string.IsNullOrWhiteSpace(t) || t.Trim().Length > 20))
            {
                errors.Add("tags", "每个标签 1 到 20 个字。");
            }
        }
    }

    public static string TagsJson(IReadOnlyList<string>? tags) =>
        JsonSerializer.Serialize((tags ?? []).Select(t => t.Trim()).Distinct().ToArray());

    public static IReadOnlyList<string> ParseTags(string? json) =>
        string.IsNullOrEmpty(json) ? [] : JsonSerializer.Deserialize<string[]>(json) ?? [];
}

public sealed record CreatePolicyRequest(string Title, string Category, string? Summary, string Body, IReadOnlyList<string>? Tags,
    string? Source, DateOnly? EffectiveDate, long? BranchId) : IValidatable, IPolicyFields
{
    public void Validate(ValidationErrors errors) => PolicyFields.Validate(this, errors);
}

/// <param name="Revision">The revision the edit started from: when given and no longer current, the edit is refused (409).</param>
public sealed record UpdatePolicyRequest(string Title, string Category, string? Summary, string Body, IReadOnlyList<string>? Tags,
    string? Source, DateOnly? EffectiveDate, int? Revision) : IValidatable, IPolicyFields
{
    public void Validate(ValidationErrors errors) => PolicyFields.Validate(this, errors);
}

/// <summary>A published document in a list: no body, so that a page of twenty stays small.</summary>
public sealed record PolicyListItem(long Id, string Title, string Category, string CategoryName, string Summary, IReadOnlyList<string> Tags,
    string? Source, DateOnly? EffectiveDate, DateTimeOffset PublishedAt);

public sealed record PolicyAttachment(long Id, string? FileName, long SizeBytes, string Url);

/// <summary>A published document as the public reads it; <see cref="BodyHtml"/> is sanitised HTML for <c>rich-text</c>.</summary>
public sealed record PolicyDetail(long Id, string Title, string Category, string CategoryName, string Summary, string BodyHtml,
    IReadOnlyList<string> Tags, string? Source, DateOnly? EffectiveDate, DateTimeOffset PublishedAt, DateTimeOffset UpdatedAt,
    IReadOnlyList<PolicyAttachment> Attachments);

/// <summary>What a scanned code opens: the document, and which code (source) was scanned.</summary>
public sealed record ScanResponse(string Scene, string Source, PolicyDetail Policy);

/// <summary>A document as its administrators see it, in any state.</summary>
public sealed record PolicyAdminView(long Id, long BranchId, string Title, string Category, string CategoryName, string Summary, string Body,
    string BodyHtml, IReadOnlyList<string> Tags, string? Source, DateOnly? EffectiveDate, string Status, int Revision,
    IReadOnlyList<PolicyAttachment> Attachments, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, string? UpdatedByName,
    DateTimeOffset? PublishedAt, DateTimeOffset? UnpublishedAt);

public sealed record PolicyAdminListItem(long Id, long BranchId, string Title, string Category, string CategoryName, string Status, int Revision,
    DateTimeOffset UpdatedAt, DateTimeOffset? PublishedAt);

public sealed record PolicyRevisionView(int Revision, string Action, string Title, string Category, string Summary, string Body,
    IReadOnlyList<string> Tags, string? Source, DateOnly? EffectiveDate, string Status, long EditedBy, string? EditedByName, DateTimeOffset EditedAt);

internal sealed class PolicyRow
{
    public long Id { get; init; }
    public long BranchId { get; init; }
    public string Category { get; init; } = "";
    public string Title { get; init; } = "";
    public string Summary { get; init; } = "";
    public string Body { get; init; } = "";
    public string Tags { get; init; } = "[]";
    public string? Source { get; init; }
    public DateTime? EffectiveDate { get; init; }
    public string Status { get; init; } = "";
    public int Revision { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
    public string? UpdatedByName { get; init; }
    public DateTimeOffset? PublishedAt { get; init; }
    public DateTimeOffset? UnpublishedAt { get; init; }

    public DateOnly? Effective => EffectiveDate is { } d ? DateOnly.FromDateTime(d) : null;

    public PolicyDetail ToDetail(IReadOnlyList<PolicyAttachment> attachments) => new(Id, Title, Category, PolicyCategories.Names.GetValueOrDefault(Category, Category),
        Summary, PolicyHtml.Sanitize(Body).Html, PolicyFields.ParseTags(Tags), Source, Effective, PublishedAt ?? UpdatedAt, UpdatedAt, attachments);

    public PolicyAdminView ToAdminView(IReadOnlyList<PolicyAttachment> attachments) => new(Id, BranchId, Title, Category,
        PolicyCategories.Names.GetValueOrDefault(Category, Category), Summary, Body, PolicyHtml.Sanitize(Body).Html, PolicyFields.ParseTags(Tags), Source,
        Effective, Status, Revision, attachments, CreatedAt, UpdatedAt, UpdatedByName, PublishedAt, UnpublishedAt);
}

internal sealed class PolicyListRow
{
    public long Id { get; init; }
    public string Category { get; init; } = "";
    public string Title { get; init; } = "";
    public string Summary { get; init; } = "";
    public string Tags { get; init; } = "[]";
    public string? Source { get; init; }
    public DateTime? EffectiveDate { get; init; }
    public DateTimeOffset PublishedAt { get; init; }
    public long Total { get; init; }

    public PolicyListItem ToItem() => new(Id, Title, Category, PolicyCategories.Names.GetValueOrDefault(Category, Category), Summary,
        PolicyFields.ParseTags(Tags), Source, EffectiveDate is { } d ? DateOnly.FromDateTime(d) : null, PublishedAt);
}
