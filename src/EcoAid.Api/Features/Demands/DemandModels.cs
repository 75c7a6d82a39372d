using EcoAid.Api.Infrastructure.Validation;

namespace EcoAid.Api.Features.Demands;

public static class DemandCategories
{
    public static readonly IReadOnlyDictionary<string, string> Names = new Dictionary<string, string>
    {
        ["pollution_control"] = "污染治理",
        ["eia_approval"] = "环评审批",
        ["credit_repair"] = "信用修复",
        ["project_approval"] = "项目审批",
        ["funding"] = "资金申报",
        ["honor"] = "荣誉评定",
        ["petition"] = "信访投诉",
        ["policy_inquiry"] = "政策咨询",
        ["other"] = "其他",
    };
}

public static class DemandSources
{
    public static readonly IReadOnlyDictionary<string, string> Names = new Dictionary<string, string>
    {
        ["mini_program"] = "小程序",
        ["survey"] = "调研",
        ["symposium"] = "座谈",
        ["statistics"] = "统计",
        ["questionnaire"] = "问卷",
        ["visit"] = "回访",
        ["mee_assignment"] = "监督帮扶交办",
        ["expert"] = "专家指导",
        ["whistle"] = "企业吹哨",
    };
}

public static class DemandLimits
{
    public const int Title = 100;
    public const int Description = 2000;
    public const int Objective = 500;
    public const int Measure = 200;
    public const int Measures = 20;
    public const int Text = 2000;
    public const int Reason = 500;
    public const int Attachments = 9;
}

public sealed record SubmitDemandRequest(string Category, string Title, string Description, long[]? AttachmentIds, DateOnly? ExpectedBy,
    bool? Urgent, string? Source, long? EnterpriseId) : IValidatable
{
    public void Validate(ValidationErrors errors)
    {
        errors.OneOf("category", Category, DemandCategories.Names);
        errors.Required("title", Title, DemandLimits.Title);
        errors.Required("description", Description, DemandLimits.Description);
        if (Source is not null)
        {
            errors.OneOf("source", Source, DemandSources.Names);
        }
        if (AttachmentIds is { Length: > DemandLimits.Attachments })
        {
            errors.Add("attachmentIds", $"附件不能超过 {DemandLimits.Attachments} 个。");
        }
    }
}

/// <summary>A due date is a date or a number of working days from today (Asia/Shanghai), never both.</summary>
public interface IDueDate
{
    DateOnly? DueDate { get; }
    int? DueInWorkingDays { get; }
}

public static class DueDateRules
{
    public static void Validate(IDueDate request, ValidationErrors errors)
    {
        if (request.DueDate is null == request.DueInWorkingDays is null)
        {
            errors.Add("dueDate", "请给出完成时限：dueDate（日期）或 dueInWorkingDays（工作日数）二选一。");
        }
        if (request.DueInWorkingDays is < 1 or > 250)
        {
            errors.Add("dueInWorkingDays", "工作日数须在 1 到 250 之间。");
        }
    }
}

/// <summary>
/// Another body as the 责任单位 (e.g. 县自然资源局) with a named person of it as 责任人 and their phone. The member or
/// department the demand was claimed by or transferred to keeps following it in the app.
/// </summary>
public sealed record OtherBodyRequest(string UnitName, string PersonName, string PersonPhone)
{
    public void Validate(ValidationErrors errors, string prefix)
    {
        errors.Required($"{prefix}unitName", UnitName, 100);
        errors.Required($"{prefix}personName", PersonName, 50);
        if (string.IsNullOrWhiteSpace(PersonPhone))
        {
            errors.Add($"{prefix}personPhone", "请填写责任人的手机号。");
        }
        else
        {
            errors.Phone($"{prefix}personPhone", PersonPhone.Trim());
        }
    }
}

/// <summary><c>POST /api/demands/{id}/responsible</c>: another body and its named person take over as 责任单位/责任人.</summary>
public sealed record SetResponsibleRequest(string UnitName, string PersonName, string PersonPhone, string? Reason) : IValidatable
{
    public OtherBodyRequest Body => new(UnitName, PersonName, PersonPhone);

    public void Validate(ValidationErrors errors)
    {
        Body.Validate(errors, "");
        errors.MaxLength("reason", Reason, DemandLimits.Reason);
    }
}

public sealed record AcceptDemandRequest(string Objective, string[] Measures, long? OwnerMemberId, long? DepartmentId, string? ResponsibleUnit,
    DateOnly? DueDate, int? DueInWorkingDays, long? LiaisonUserId = null, OtherBodyRequest? OtherBody = null) : IValidatable, IDueDate
{
    public void Validate(ValidationErrors errors)
    {
        errors.Required("objective", Objective, DemandLimits.Objective);
        if (Measures is null || Measures.Length == 0)
        {
            errors.Add("measures", "请至少填写一条思路举措。");
        }
        else if (Measures.Length > DemandLimits.Measures)
        {
            errors.Add("measures", $"思路举措不能超过 {DemandLimits.Measures} 条。");
        }
        else if (Measures.Any(m => string.IsNullOrWhiteSpace(m) || new System.Globalization.StringInfo(m).LengthInTextElements > DemandLimits.Measure))
        {
            errors.Add("measures", $"每条举措须为 1 到 {DemandLimits.Measure} 个字。");
        }
        if (OwnerMemberId is null == DepartmentId is null)
        {
            errors.Add("ownerMemberId", "认领给成员（ownerMemberId）或移交给科室（departmentId），二选一。");
        }
        errors.MaxLength("responsibleUnit", ResponsibleUnit, 100);
        if (OtherBody is not null)
        {
            OtherBody.Validate(errors, "otherBody.");
            if (!string.IsNullOrWhiteSpace(ResponsibleUnit))
            {
                errors.Add("responsibleUnit", "已指定其他单位（otherBody）时不再填写 responsibleUnit。");
            }
        }
        DueDateRules.Validate(this, errors);
    }
}

public sealed record ProgressRequest(string Kind, string Text, string Visibility, long[]? AttachmentIds) : IValidatable
{
    public static readonly string[] Kinds = ["progress", "onsite", "expert", "note"];

    public void Validate(ValidationErrors errors)
    {
        errors.OneOf("kind", Kind, Kinds);
        errors.Required("text", Text, DemandLimits.Text);
        errors.OneOf("visibility", Visibility, ["public", "internal"]);
        if (AttachmentIds is { Length: > DemandLimits.Attachments })
        {
            errors.Add("attachmentIds", $"附件不能超过 {DemandLimits.Attachments} 个。");
        }
    }
}

public sealed record UrgeRequest(string Text) : IValidatable
{
    public void Validate(ValidationErrors errors) => errors.Required("text", Text, DemandLimits.Reason);
}

public sealed record ExtensionRequest(DateOnly? DueDate, string Reason) : IValidatable
{
    public void Validate(ValidationErrors errors)
    {
        if (DueDate is null)
        {
            errors.Add("dueDate", "请填写新的完成时限。");
        }
        errors.Required("reason", Reason, DemandLimits.Reason);
    }
}

public sealed record ExtensionDecisionRequest(string? Comment) : IValidatable
{
    public void Validate(ValidationErrors errors) => errors.MaxLength("comment", Comment, DemandLimits.Reason);
}

public sealed record SetDueDateRequest(DateOnly? DueDate, int? DueInWorkingDays, string? Reason) : IValidatable, IDueDate
{
    public void Validate(ValidationErrors errors)
    {
        DueDateRules.Validate(this, errors);
        errors.MaxLength("reason", Reason, DemandLimits.Reason);
    }
}

public sealed record ResolveRequest(string Summary, long[]? AttachmentIds) : IValidatable
{
    public void Validate(ValidationErrors errors)
    {
        errors.Required("summary", Summary, DemandLimits.Text);
        if (AttachmentIds is { Length: > DemandLimits.Attachments })
        {
            errors.Add("attachmentIds", $"附件不能超过 {DemandLimits.Attachments} 个。");
        }
    }
}

public sealed record ConfirmRequest(bool? Solved, int? Satisfaction, string? Comment) : IValidatable
{
    public void Validate(ValidationErrors errors)
    {
        if (Solved is null)
        {
            errors.Add("solved", "请选择问题是否已解决。");
        }
        if (Satisfaction is null or < 1 or > 5)
        {
            errors.Add("satisfaction", "满意度须为 1 到 5。");
        }
        errors.MaxLength("comment", Comment, DemandLimits.Reason);
    }
}

public sealed record ReasonRequest(string Reason) : IValidatable
{
    public void Validate(ValidationErrors errors) => errors.Required("reason", Reason, DemandLimits.Reason);
}

public sealed record WithdrawRequest(string? Reason) : IValidatable
{
    public void Validate(ValidationErrors errors) => errors.MaxLength("reason", Reason, DemandLimits.Reason);
}

public sealed record CreatedDemand(long Id, string Number, string Status, string StatusName);

public sealed record DemandListItem(long Id, string Number, long EnterpriseId, string EnterpriseName, string Category, string Source, string Title,
    string Status, bool Urgent, DateOnly? DueDate, bool Overdue, string? OwnerName, string? DepartmentName, DateTimeOffset SubmittedAt,
    string StatusName, ResponsibleView? Responsible, int Version, IReadOnlyList<string> AllowedActions);

/// <summary>
/// A page of the demand list. By page number: <paramref name="Total"/> (null with includeTotal=false), <paramref name="Page"/>
/// and <paramref name="PageSize"/> as every list has them. By cursor: <paramref name="Page"/> is null and
/// <paramref name="Total"/> is given only with includeTotal=true. Either way <paramref name="NextCursor"/> continues after
/// this page's last row (null: nothing follows).
/// </summary>
public sealed record DemandListPage(IReadOnlyList<DemandListItem> Items, long? Total, int? Page, int PageSize, string? NextCursor);

/// <summary>The demand list's opaque cursor: the last row's (submitted_at, id), in URL-safe base64.</summary>
public static class DemandCursor
{
    public readonly record struct Position(DateTime SubmittedAt, long Id);

    private const string Prefix = "d1.";

    public static string Encode(Position position) =>
        Microsoft.AspNetCore.WebUtilities.WebEncoders.Base64UrlEncode(System.Text.Encoding.ASCII.GetBytes(
            string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Prefix}{position.SubmittedAt.Ticks}.{position.Id}")));

    public static Position? Decode(string cursor)
    {
        if (cursor.Length > 64)
        {
            return null;
        }
        string text;
        try
        {
            text = System.Text.Encoding.ASCII.GetString(Microsoft.AspNetCore.WebUtilities.WebEncoders.Base64UrlDecode(cursor));
        }
        catch (FormatException)
        {
            return null;
        }
        if (!text.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return null;
        }
        var parts = text[Prefix.Length..].Split('.');
        return parts.Length == 2
            && long.TryParse(parts[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var ticks)
            && ticks is > 0 and <= 3155378975999999999
            && long.TryParse(parts[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id)
            ? new Position(new DateTime(ticks, DateTimeKind.Utc), id)
            : null;
    }
}

/// <summary>
/// 责任单位 and 责任人. <paramref name="UnitKind"/>: <c>branch</c> (the branch, or the claiming member's own unit),
/// <c>department</c> (a bureau department), <c>other</c> (another named body). <paramref name="PersonKind"/>: <c>member</c>
/// (<paramref name="MemberId"/>), <c>department_contact</c> (the department's liaison, <paramref name="UserId"/>), <c>other</c>
/// (a named person; <paramref name="PersonPhone"/> is given only for them).
/// </summary>
public sealed record ResponsibleView(string UnitKind, string UnitName, string? PersonKind, string? PersonName, string? PersonPhone, long? MemberId, long? UserId);

public sealed record PersonRef(long Id, string Name);

public sealed record ExtensionView(DateOnly DueDate, string Reason);

public sealed record RatingView(bool Solved, int Satisfaction, string? Comment);

public sealed record TimelineEvent(long Id, string Kind, string Visibility, string? ActorName, string? Text, IReadOnlyList<long> AttachmentIds, DateTimeOffset CreatedAt);

public sealed record DemandDetail(long Id, string Number, long BranchId, long EnterpriseId, string EnterpriseName, string Category, string Source,
    string Title, string Description, bool Urgent, DateOnly? ExpectedBy, string Status, string? ContentCheck, string? Objective,
    IReadOnlyList<string> Measures, PersonRef? Owner, PersonRef? Department, string? ResponsibleUnit, DateOnly? DueDate, bool Overdue,
    ExtensionView? PendingExtension, string? Resolution, RatingView? Rating, int ReopenCount, string? ClosingReason,
    DateTimeOffset SubmittedAt, DateTimeOffset? AcceptedAt, DateTimeOffset? ResolvedAt, DateTimeOffset? ClosedAt, int Version,
    IReadOnlyList<TimelineEvent> Timeline, ResponsibleView? Responsible, IReadOnlyList<string> AllowedActions, EnterpriseContactView? EnterpriseContact);

/// <summary>The enterprise's primary contact (企业联系人): name, role or title, phone (masked except for administrators).</summary>
public sealed record EnterpriseContactView(string Name, string? Title, string? Phone);
