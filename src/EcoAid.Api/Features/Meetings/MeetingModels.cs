using EcoAid.Api.Features.Demands;
using EcoAid.Api.Features.Stats;
using EcoAid.Api.Infrastructure.Auth;
using EcoAid.Api.Infrastructure.Validation;

namespace EcoAid.Api.Features.Meetings;

public sealed record CreateMeetingRequest(string Month, DateOnly? HeldOn, string? Location) : IValidatable
{
    public void Validate(ValidationErrors errors)
    {
        if (!Periods.TryParseMonth(Month, out _))
        {
            errors.Add("month", "月份格式应为 yyyy-MM。");
        }
        errors.MaxLength("location", Location, 100);
    }
}

/// <summary>What a meeting may decide on a demand (议定事项), each applied through the demand workflow.</summary>
public static class DecisionKinds
{
    public const string Reassign = "reassign";
    public const string DueDate = "due_date";
    public const string Urge = "urge";
    public const string Escalate = "escalate";
    public const string Note = "note";

    public static readonly IReadOnlyDictionary<string, string> Names = new Dictionary<string, string>
    {
        [Reassign] = "调整责任人",
        [DueDate] = "调整完成时限",
        [Urge] = "督办",
        [Escalate] = "升级为重点督办",
        [Note] = "备注",
    };

    public static DemandAction ActionOf(string kind) => kind switch
    {
        Reassign => DemandAction.Reassign,
        DueDate => DemandAction.SetDueDate,
        Urge => DemandAction.Urge,
        Escalate => DemandAction.Escalate,
        _ => DemandAction.Note,
    };
}

public sealed record DecisionRequest(long? DemandId, long? AgendaItemId, string Kind, string Text, long? OwnerMemberId, long? DepartmentId,
    DateOnly? DueDate, int? DueInWorkingDays, long? LiaisonUserId = null) : IValidatable, IDueDate
{
    public void Validate(ValidationErrors errors)
    {
        errors.OneOf("kind", Kind, DecisionKinds.Names);
        errors.Required("text", Text, DemandLimits.Reason);
        if (DemandId is null && AgendaItemId is null)
        {
            errors.Add("demandId", "请指定诉求（demandId）或议题（agendaItemId）。");
        }
        if (Kind == DecisionKinds.Reassign)
        {
            if (OwnerMemberId is null == DepartmentId is null)
            {
                errors.Add("ownerMemberId", "改由成员（ownerMemberId）或科室（departmentId）办理，二选一。");
            }
        }
        else if (OwnerMemberId is not null || DepartmentId is not null)
        {
            errors.Add("ownerMemberId", "ownerMemberId、departmentId 只用于 reassign。");
        }
        if (Kind == DecisionKinds.DueDate)
        {
            DueDateRules.Validate(this, errors);
        }
        else if (DueDate is not null || DueInWorkingDays is not null)
        {
            errors.Add("dueDate", "dueDate、dueInWorkingDays 只用于 due_date。");
        }
    }
}

public sealed record AgendaDemand(long Id, string Number, string Title, string Category, string Status);

public sealed record AgendaItem(long Id, int Seq, string Reason, string ReasonName, AgendaDemand? Demand, PersonRef Enterprise, DateOnly? DueDate, string Note);

public sealed record DecisionResponse(long Id, long MeetingId, long? AgendaItemId, AgendaDemand Demand, string Kind, string KindName, string Text,
    long? OwnerMemberId, long? DepartmentId, DateOnly? DueDate, long? EventId, PersonRef DecidedBy, DateTimeOffset CreatedAt);

public sealed record MeetingResponse(long Id, long BranchId, string BranchName, string Month, DateOnly? HeldOn, string? Location,
    DateTimeOffset WindowStart, DateTimeOffset GeneratedAt, IReadOnlyList<AgendaItem> Agenda, IReadOnlyList<DecisionResponse> Decisions,
    IReadOnlyList<AgendaOmitted> AgendaOmitted);

/// <summary>
/// How many more lines a reason had than the agenda lists (Meetings:AgendaLimitPerReason), and where the full list is:
/// a demand-list query (<c>/api/demands?...</c>) for the reasons it can express, else null.
/// </summary>
public sealed record AgendaOmitted(string Reason, string ReasonName, int Count, string? ListLink);

public sealed record MeetingSummary(long Id, long BranchId, string BranchName, string Month, DateOnly? HeldOn, int AgendaCount, int DecisionCount,
    DateTimeOffset GeneratedAt);

public sealed class MeetingOptions
{
    /// <summary>"Due within the coming weeks": accepted demands due from today to today + this many days are on the agenda.</summary>
    public int DueSoonDays { get; set; } = 14;

    /// <summary>
    /// At most this many agenda lines per reason — what one meeting can discuss; the rest are counted (and linked) on the
    /// meeting rather than listed, so an agenda stays the same size however many demands a branch has.
    /// </summary>
    public int AgendaLimitPerReason { get; set; } = 30;
}

public static class MeetingPolicies
{
    /// <summary>Create the meeting and record its decisions: the branch secretary, who chairs it.</summary>
    public const string Chair = "meeting-chair";
    /// <summary>Read meetings and their minutes: the secretary, the commissioners (who follow up), the city level.</summary>
    public const string Reader = "meeting-reader";

    public static IServiceCollection AddMeetingPolicies(this IServiceCollection services)
    {
        services.AddAuthorizationBuilder()
            .AddPolicy(Chair, p => p.RequireRole(Roles.Secretary))
            .AddPolicy(Reader, p => p.RequireRole(Roles.Commissioner, Roles.Secretary, Roles.CityViewer, Roles.CityAdmin));
        return services;
    }
}
