using EcoAid.Api.Features.Demands;
using EcoAid.Api.Infrastructure.Auth;
using EcoAid.Api.Infrastructure.Validation;

namespace EcoAid.Api.Features.Visits;

public static class VisitKinds
{
    public const string FollowUp = "follow_up";
    public const string Onsite = "onsite";
    public const string Expert = "expert";

    public static readonly IReadOnlyDictionary<string, string> Names = new Dictionary<string, string>
    {
        [FollowUp] = "回访督查",
        [Onsite] = "现场帮扶",
        [Expert] = "专家指导",
    };
}

public static class VisitLimits
{
    public const int Findings = 2000;
    public const int Participants = 20;
    public const int NewDemands = 10;
}

/// <summary>Who took part: task-force members (at least one) and experts from the pool.</summary>
public sealed record VisitParticipantsRequest(long[]? MemberIds, long[]? ExpertIds);

/// <summary>A rectification item raised on the spot (交办整改): it becomes a demand with source <c>visit</c>.</summary>
public sealed record VisitDemandRequest(string Category, string Title, string Description, bool? Urgent, DateOnly? ExpectedBy);

public sealed record RecordVisitRequest(long? EnterpriseId, DateOnly? VisitedOn, string Kind, VisitParticipantsRequest? Participants, string Findings,
    VisitDemandRequest[]? NewDemands) : IValidatable
{
    public void Validate(ValidationErrors errors)
    {
        if (EnterpriseId is null)
        {
            errors.Add("enterpriseId", "请选择回访的企业。");
        }
        if (VisitedOn is null)
        {
            errors.Add("visitedOn", "请填写回访日期。");
        }
        errors.OneOf("kind", Kind, VisitKinds.Names);
        errors.Required("findings", Findings, VisitLimits.Findings);
        var members = Participants?.MemberIds ?? [];
        var experts = Participants?.ExpertIds ?? [];
        if (members.Length == 0)
        {
            errors.Add("participants.memberIds", "请至少选择一名参加回访的专班成员。");
        }
        if (members.Length > VisitLimits.Participants || experts.Length > VisitLimits.Participants)
        {
            errors.Add("participants", $"成员和专家各不能超过 {VisitLimits.Participants} 人。");
        }
        if (Kind == VisitKinds.Expert && experts.Length == 0)
        {
            errors.Add("participants.expertIds", "专家指导须至少选择一名专家。");
        }
        if (NewDemands is { Length: > VisitLimits.NewDemands })
        {
            errors.Add("newDemands", $"一次回访最多提出 {VisitLimits.NewDemands} 条整改事项。");
        }
        for (var i = 0; i < (NewDemands?.Length ?? 0); i++)
        {
            var item = NewDemands![i];
            if (item is null)
            {
                errors.Add($"newDemands[{i}]", "不能为空。");
                continue;
            }
            errors.OneOf($"newDemands[{i}].category", item.Category, DemandCategories.Names);
            errors.Required($"newDemands[{i}].title", item.Title, DemandLimits.Title);
            errors.Required($"newDemands[{i}].description", item.Description, DemandLimits.Description);
        }
    }
}

public sealed record ExpertRef(long Id, string Name, string Specialty, string? Organisation, string? PhoneMasked);

public sealed record VisitParticipants(IReadOnlyList<PersonRef> Members, IReadOnlyList<ExpertRef> Experts);

public sealed record VisitDemand(long Id, string Number, string Title, string Status);

public sealed record VisitResponse(long Id, long BranchId, long EnterpriseId, string EnterpriseName, DateOnly VisitedOn, string Kind, string KindName,
    VisitParticipants Participants, string Findings, IReadOnlyList<VisitDemand> Demands, PersonRef RecordedBy, DateTimeOffset CreatedAt);

public sealed record DueVisit(long EnterpriseId, string EnterpriseName, long BranchId, PersonRef? Liaison, DateOnly? LastVisitedOn);

public sealed class VisitOptions
{
    /// <summary>From this day of the (Shanghai) month on, a liaison whose enterprise has no visit yet is reminded, once.</summary>
    public int ReminderDayOfMonth { get; set; } = 20;

    /// <summary>How often the reminder round runs.</summary>
    public TimeSpan ReminderInterval { get; set; } = TimeSpan.FromHours(1);
}

public static class VisitPolicies
{
    /// <summary>Record visits and see which enterprises are due one: members (their own enterprises), commissioners, secretaries.</summary>
    public const string Recorder = "visit-recorder";
    /// <summary>Read visits: the recorders, plus the city level.</summary>
    public const string Reader = "visit-reader";

    public static IServiceCollection AddVisitPolicies(this IServiceCollection services)
    {
        services.AddAuthorizationBuilder()
            .AddPolicy(Recorder, p => p.RequireRole(Roles.Member, Roles.Commissioner, Roles.Secretary))
            .AddPolicy(Reader, p => p.RequireRole(Roles.Member, Roles.Commissioner, Roles.Secretary, Roles.CityViewer, Roles.CityAdmin));
        return services;
    }
}
