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
        DemandStatus.Submitted => "待受理",
        DemandStatus.Accepted => "办理中",
        DemandStatus.Resolved => "待企业确认",
        DemandStatus.Closed => "已办结",
        DemandStatus.Returned => "已退回",
        DemandStatus.Withdrawn => "已撤回",
        _ => status,
    };

    internal static bool IsOwner(CurrentUser user, DemandRow d) =>
        (d.OwnerMemberId is { } owner && user.MemberId == owner)
        || (d.DepartmentId is { } department && user.IsInRole(Roles.DepartmentLiaison) && user.DepartmentId == department);

    internal static bool IsStaffOf(CurrentUser user, DemandRow d) => user.IsInRole(Roles.Staff) && user.EnterpriseId == d.EnterpriseId;

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

    internal static DemandChange DueDateChange(DemandRow d, DateOnly due, string suffix, CancellationToken ct) =>
        new DemandChange("due_date_set", "public", $"完成时限调整为 {due:yyyy-MM-dd}{suffix}",
            "due_date = @Due, ", new { Due = due.ToDateTime(TimeOnly.MinValue) }, DueDate: due)
            .Notifying(NotificationKinds.DemandAssigned, OwnerOf(d, ct));

    // The changes only the monthly meeting (会商) decides. The meeting feature checks the request, then applies them
    // through ApplyAsync in its own transaction, together with the decision it records.

    /// <summary>Hands an accepted demand to another member (claim) or to a department (transfer); notifies the new owner.</summary>
    internal static DemandChange ReassignChange(long? ownerMemberId, long? departmentId, string ownerName, string text, CancellationToken ct)
    {
        var transfer = departmentId is not null;
        var assigned = new DemandRow { OwnerMemberId = ownerMemberId, DepartmentId = departmentId };
        return new DemandChange("reassigned", "public", text,
            "owner_member_id = @ownerMemberId, department_id = @departmentId, responsible_unit = @ownerName, ",
            new { ownerMemberId, departmentId, ownerName })
            .Notifying(transfer ? NotificationKinds.DemandTransferred : NotificationKinds.DemandAssigned, OwnerOf(assigned, ct));
    }

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

    /// <summary>A meeting decision: which meeting and which decision.</summary>
    public static string Decision(long meetingId, string decision) => JsonSerializer.Serialize(new DecisionDetails(meetingId, decision), Json);

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

    public sealed record DecisionDetails(long MeetingId, string Decision);
}
