using EcoAid.Api.Features.Organisation;
using System.Data.Common;
using System.Text.Json;
using Dapper;
using EcoAid.Api.Features.Calendar;
using EcoAid.Api.Features.Notifications;
using EcoAid.Api.Infrastructure.Auth;
using EcoAid.Api.Infrastructure.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using MySqlConnector;

namespace EcoAid.Api.Features.Demands;

/// <summary>
/// The demand workflow core: how a change is applied (state machine, version check, timeline event, notifications), who
/// receives what, and the changes other features (the monthly meeting) decide. The HTTP actions in
/// <see cref="DemandWorkflowApi"/> and the meeting decisions both go through here.
/// </summary>
internal static class DemandWorkflow
{
    /// <summary>
    /// Applies <paramref name="change"/> to <paramref name="demand"/> inside the caller's transaction: the state machine,
    /// the update on the version the caller read, the timeline event and the notifications. The HTTP actions and the
    /// monthly meeting's decisions both go through here. On a problem nothing was written and the caller rolls back.
    /// </summary>
    internal static async Task<(long EventId, IResult? Problem)> ApplyAsync(DbConnection connection, DbTransaction tx, DemandRow demand, long actorUserId,
        DemandAction action, DemandChange change, DateTimeOffset now, CancellationToken ct)
    {
        if (DemandStateMachine.Next(demand.Status, action) is not { } next)
        {
            return (0, InvalidTransition(demand));
        }
        var parameters = new DynamicParameters(change.SetParameters);
        parameters.AddDynamicParams(new { demand.Id, demand.Version, next, now = now.UtcDateTime });
        var updated = await connection.ExecuteAsync(new CommandDefinition($"""
            UPDATE demands SET status = @next, {change.SetSql}updated_at = @now, version = version + 1
            WHERE id = @Id AND version = @Version
            """, parameters, tx, cancellationToken: ct));
        if (updated == 0)
        {
            return (0, Problems.Conflict("demand.concurrent_update", "诉求刚被其他人更新，请刷新后重试。"));
        }
        // The lists' kept totals are counted again (status, owner, department or due date may have changed).
        await DemandCounts.BumpAsync(connection, tx, ct);
        var eventId = await DemandStore.AppendEventAsync(connection, tx, demand.Id, actorUserId, change.Kind, change.Visibility, change.Text, change.Details,
            change.AttachmentIds, now, ct);
        foreach (var (kind, recipients) in change.Notify)
        {
            await Outbox.EnqueueAsync(connection, tx, kind, await recipients(connection, tx), demand.Id, new
            {
                demandId = demand.Id, number = demand.Number, title = demand.Title, enterpriseName = demand.EnterpriseName,
                category = DemandCategories.Names[demand.Category], status = next, text = change.Text,
                dueDate = change.DueDate ?? demand.Due, at = now,
            }, now, ct);
        }
        return (eventId, null);
    }

    internal static ProblemHttpResult InvalidTransition(DemandRow demand) =>
        Problems.Conflict("demand.invalid_transition", $"诉求当前状态为“{StatusName(demand.Status)}”，不能执行此操作。");

    /// <summary>An action's effect, or the problem that stops it. <see cref="Details"/> is the event's machine-readable JSON.</summary>
    internal sealed record DemandChange(string Kind, string Visibility, string? Text, string SetSql = "", object? SetParameters = null,
        IReadOnlyCollection<long>? AttachmentIds = null, DateOnly? DueDate = null, IResult? Problem = null, string? Details = null)
    {
        public List<(string Kind, Func<DbConnection, DbTransaction, Task<IReadOnlyList<Recipient>>> Recipients)> Notify { get; } = [];

        public DemandChange Notifying(string kind, Func<DbConnection, DbTransaction, Task<IReadOnlyList<Recipient>>> recipients)
        {
            Notify.Add((kind, recipients));
            return this;
        }

        public static DemandChange Refused(IResult problem) => new("", "", null, Problem: problem);
    }

    internal static string StatusName(string status) => status switch
    {
        DemandStatus.PendingReview => "待审核",
        DemandStatus.Submitted => "待受理",
        DemandStatus.Accepted => "办理中",
        DemandStatus.Resolved => "待企业确认",
        DemandStatus.Closed => "已办结",
        DemandStatus.Returned => "已退回",
        DemandStatus.Withdrawn => "已撤回",
        _ => status,
    };

    internal static bool IsOwner(CurrentUser user, DemandRow d) => DemandStore.ActorOf(user, d).Owner;

    internal static bool IsStaffOf(CurrentUser user, DemandRow d) => DemandStore.ActorOf(user, d).StaffOfEnterprise;

    internal static IResult NotOwner() =>
        Problems.Create(StatusCodes.Status403Forbidden, "demand.not_owner", "无权操作", "只有该诉求的责任人可以执行此操作。");

    internal static Func<DbConnection, DbTransaction, Task<IReadOnlyList<Recipient>>> OwnerOf(DemandRow d, CancellationToken ct) =>
        async (c, tx) => d.OwnerMemberId is { } m ? [Recipient.Member(m)] : d.DepartmentId is { } dep ? await Outbox.DepartmentLiaisonsAsync(c, tx, dep, ct) : [];

    internal static Func<DbConnection, DbTransaction, Task<IReadOnlyList<Recipient>>> StaffOf(DemandRow d, CancellationToken ct) =>
        (c, tx) => Outbox.EnterpriseStaffAsync(c, tx, d.EnterpriseId, ct);

    internal static Func<DbConnection, DbTransaction, Task<IReadOnlyList<Recipient>>> CommissionersOf(DemandRow d, CancellationToken ct) =>
        (c, tx) => Outbox.CommissionersAsync(c, tx, d.BranchId, ct);

    internal static async Task<(DateOnly? Due, IResult? Problem)> ResolveDueAsync(DbConnection c, DbTransaction tx, IDueDate request, DateTimeOffset now, CancellationToken ct)
    {
        var today = WorkingCalendar.Today(now);
        if (request.DueDate is { } date)
        {
            return date < today ? (null, Problems.Validation("dueDate", "完成时限不能早于今天。")) : (date, null);
        }
        var calendar = await CalendarApi.LoadAsync(c, tx, today, ct);
        return (calendar.AddWorkingDays(today, request.DueInWorkingDays!.Value), null);
    }
    internal static DemandChange UrgeChange(DemandRow d, string text, CancellationToken ct) =>
        new DemandChange("urged", "internal", text).Notifying(NotificationKinds.DemandUrged, OwnerOf(d, ct));

    /// <summary>A new due date (after a reopen, or a meeting's decision): the owner and the enterprise are both told, each in their own words.</summary>
    internal static DemandChange DueDateChange(DemandRow d, DateOnly due, string suffix, CancellationToken ct) =>
        new DemandChange("due_date_set", "public", $"完成时限调整为 {due:yyyy-MM-dd}{suffix}",
            "due_date = @Due, ", new { Due = due.ToDateTime(TimeOnly.MinValue) }, DueDate: due)
            .Notifying(NotificationKinds.DemandDueDateSet, OwnerOf(d, ct))
            .Notifying(NotificationKinds.DemandDueChanged, StaffOf(d, ct));

    // The changes only the monthly meeting (会商) decides. The meeting feature checks the request, then applies them
    // through ApplyAsync in its own transaction, together with the decision it records.

    /// <summary>
    /// 责任单位 and 责任人 as one assignment sets them. Claim: the unit is the branch (or the member's own unit, or the
    /// unit the caller names), the person the member. Transfer: the unit is the department, the person its named liaison.
    /// </summary>
    internal sealed record Responsibility(long? OwnerMemberId, long? DepartmentId, string UnitKind, string UnitName, string PersonKind,
        string PersonName, long? UserId, string? PersonPhone = null)
    {
        /// <summary>How the assignee is named in a timeline text: "法制宣传科（责任人 王芳）", "县自然资源局（责任人 王强）" or "刘洋".</summary>
        public string Label => DepartmentId is not null || PersonKind == "other" ? $"{UnitName}（责任人 {PersonName}）" : PersonName;

        /// <summary>What the timeline event keeps, so that a report can show the pair as it stood at a past moment.</summary>
        public ResponsibleSnapshot Snapshot => new(UnitKind, UnitName, PersonKind, PersonName, PersonKind == "other" ? PersonPhone : null);

        /// <summary>
        /// The same follow-up owner (member or department) with another body as the 责任单位 and a named person of it as 责任人
        /// (e.g. 县自然资源局, 王强, with a phone).
        /// </summary>
        public Responsibility WithOtherBody(OtherBodyRequest other) =>
            this with { UnitKind = "other", UnitName = other.UnitName.Trim(), PersonKind = "other", PersonName = other.PersonName.Trim(),
                PersonPhone = other.PersonPhone.Trim(), UserId = null };

        public const string SetSql = "owner_member_id = @OwnerMemberId, department_id = @DepartmentId, responsible_unit = @UnitName, " +
            "responsible_unit_kind = @UnitKind, responsible_person_kind = @PersonKind, responsible_person_name = @PersonName, " +
            "responsible_person_phone = @PersonPhone, responsible_user_id = @UserId, ";
    }

    /// <summary>Looks up the member or the department (and its liaison) in the branch; a clear validation problem when it does not fit.</summary>
    internal static async Task<(Responsibility? Responsibility, IResult? Problem)> ResponsibilityAsync(DbConnection c, DbTransaction tx, long branchId,
        long? memberId, long? departmentId, long? liaisonUserId, string? unitName, CancellationToken ct)
    {
        if (memberId is { } m)
        {
            var member = await c.QuerySingleOrDefaultAsync<(string Name, string? Unit, string BranchName)?>(new CommandDefinition("""
                SELECT m.name, m.unit, b.name FROM members m JOIN party_branches b ON b.id = m.branch_id WHERE m.id = @m AND m.branch_id = @branchId
                """, new { m, branchId }, tx, cancellationToken: ct));
            if (member is not { } found)
            {
                return (null, Problems.Validation("ownerMemberId", "成员不存在或不属于本支部。"));
            }
            var unit = string.IsNullOrWhiteSpace(unitName) ? found.Unit ?? found.BranchName : unitName.Trim();
            return (new Responsibility(m, null, string.IsNullOrWhiteSpace(unitName) ? "branch" : "other", unit, "member", found.Name, null), null);
        }
        var department = await c.ExecuteScalarAsync<string?>(new CommandDefinition(
            "SELECT name FROM departments WHERE id = @departmentId AND branch_id = @branchId", new { departmentId, branchId }, tx, cancellationToken: ct));
        if (department is null)
        {
            return (null, Problems.Validation("departmentId", "科室不存在或不属于本支部。"));
        }
        var liaisons = (await c.QueryAsync<(long Id, string Name)>(new CommandDefinition($"""
            SELECT u.id, {PersonNames.Name} FROM users u JOIN user_roles r ON r.user_id = u.id AND r.role = @role
            WHERE u.department_id = @departmentId ORDER BY u.id
            """, new { departmentId, role = Roles.DepartmentLiaison }, tx, cancellationToken: ct))).ToList();
        if (liaisons.Count == 0)
        {
            return (null, Problems.Validation("departmentId", $"{department}还没有科室联络人，请先邀请联络人后再移交。"));
        }
        (long Id, string Name) liaison;
        if (liaisonUserId is { } chosen)
        {
            if (liaisons.FindIndex(l => l.Id == chosen) is var i and >= 0)
            {
                liaison = liaisons[i];
            }
            else
            {
                return (null, Problems.Validation("liaisonUserId", $"该用户不是{department}的联络人。"));
            }
        }
        else if (liaisons.Count == 1)
        {
            liaison = liaisons[0]; // the department's only liaison is the one named
        }
        else
        {
            return (null, Problems.Validation("liaisonUserId", $"{department}有多名联络人，请指定责任人（liaisonUserId）。"));
        }
        return (new Responsibility(null, departmentId, "department", department, "department_contact", liaison.Name, liaison.Id), null);
    }

    /// <summary>Hands an accepted demand to another member (claim) or to a department (transfer); notifies the new owner.</summary>
    internal static DemandChange ReassignChange(Responsibility to, string text, CancellationToken ct)
    {
        var assigned = new DemandRow { OwnerMemberId = to.OwnerMemberId, DepartmentId = to.DepartmentId };
        return new DemandChange("reassigned", "public", text, Responsibility.SetSql, to, Details: EventDetails.Responsibility(to.Snapshot))
            .Notifying(to.DepartmentId is not null ? NotificationKinds.DemandTransferred : NotificationKinds.DemandAssigned, OwnerOf(assigned, ct));
    }

    /// <summary>After a person's look at a demand held for review: into the normal flow (the task force is told) or returned.</summary>
    internal static DemandChange ReviewAcceptChange(DemandRow d, string? comment, CancellationToken ct) =>
        new DemandChange("review_accepted", "public", "诉求已通过审核，进入受理流程" + (comment is { Length: > 0 } c ? $"：{c}" : ""),
            "content_check = 'passed', ")
            .Notifying(NotificationKinds.DemandReviewed, SubmitterOf(d))
            .Notifying(NotificationKinds.DemandSubmitted, async (c, tx) =>
            {
                var recipients = (await Outbox.CommissionersAsync(c, tx, d.BranchId, ct)).ToList();
                if (d.LiaisonMemberId is { } liaison)
                {
                    recipients.Add(Recipient.Member(liaison));
                }
                return recipients;
            });

    internal static DemandChange ReviewReturnChange(DemandRow d, string reason) =>
        new DemandChange("review_returned", "public", $"诉求未通过审核，已退回：{reason}", "closing_reason = @Reason, closed_at = @now, ", new { Reason = reason })
            .Notifying(NotificationKinds.DemandReviewed, SubmitterOf(d));

    private static Func<DbConnection, DbTransaction, Task<IReadOnlyList<Recipient>>> SubmitterOf(DemandRow d) =>
        (_, _) => Task.FromResult<IReadOnlyList<Recipient>>([Recipient.User(d.SubmittedBy)]);

    /// <summary>Raises the demand to key supervision (重点督办): marked urgent, the owner and the commissioners are told.</summary>
    internal static DemandChange EscalateChange(DemandRow d, string text, CancellationToken ct) =>
        new DemandChange("escalated", "internal", text, "urgent = TRUE, ")
            .Notifying(NotificationKinds.DemandUrged, OwnerOf(d, ct))
            .Notifying(NotificationKinds.DemandUrged, CommissionersOf(d, ct));

    /// <summary>An internal note on the timeline; nobody is notified.</summary>
    internal static DemandChange NoteChange(string text) => new("meeting_note", "internal", text);
}

/// <summary>The machine-readable <c>details</c> JSON of timeline events that statistics read back.</summary>
internal static class EventDetails
{
    /// <summary>A confirmation (<c>confirmed</c> or <c>reopened</c>): whether the enterprise called it solved, and its rating.</summary>
    public static string Confirmation(bool solved, int satisfaction) => JsonSerializer.Serialize(new ConfirmationDetails(solved, satisfaction), Json);

    /// <summary>A resolution: the due date in force (after approved extensions) when it was resolved.</summary>
    public static string Resolution(DateOnly? dueDate) => JsonSerializer.Serialize(new ResolutionDetails(dueDate), Json);

    /// <summary>A meeting decision: which meeting and which decision (and, for a reassignment, the new 责任单位/责任人).</summary>
    public static string Decision(long meetingId, string decision, ResponsibleSnapshot? responsible = null) =>
        JsonSerializer.Serialize(new DecisionDetails(meetingId, decision, responsible), Json);

    /// <summary>A claim, transfer or reassignment: the 责任单位/责任人 it set.</summary>
    public static string Responsibility(ResponsibleSnapshot responsible) => JsonSerializer.Serialize(new ResponsibilityDetails(responsible), Json);

    /// <summary>The 责任单位/责任人 an event set; null for events from before they were recorded.</summary>
    public static ResponsibleSnapshot? ReadResponsible(string? json) => Read<ResponsibilityDetails>(json)?.Responsible;

    public static ConfirmationDetails? ReadConfirmation(string? json) => Read<ConfirmationDetails>(json);

    public static ResolutionDetails? ReadResolution(string? json) => Read<ResolutionDetails>(json);

    private static T? Read<T>(string? json) where T : class
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return null;
        }
        try
        {
            return JsonSerializer.Deserialize<T>(json, Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public sealed record ConfirmationDetails(bool Solved, int? Satisfaction);

    public sealed record ResolutionDetails(DateOnly? DueDate);

    public sealed record DecisionDetails(long MeetingId, string Decision,
        [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
        ResponsibleSnapshot? Responsible = null);

    public sealed record ResponsibilityDetails(ResponsibleSnapshot? Responsible);
}
