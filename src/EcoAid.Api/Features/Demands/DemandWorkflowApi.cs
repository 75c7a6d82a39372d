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
/// The workflow actions. Each one loads the demand within the caller's reach (404 otherwise), checks the caller's part
/// in it and the state machine (409 <c>demand.invalid_transition</c>), then in one transaction updates the row on its
/// version (a concurrent action that got there first makes this one answer 409), appends the timeline event and
/// queues the notifications.
/// </summary>
public static class DemandWorkflowApi
{
    public static RouteGroupBuilder MapDemandWorkflow(this RouteGroupBuilder group)
    {
        group.MapPost("/{id:long}/accept", Accept).RequireAuthorization(DemandPolicies.Manager).WithName("AcceptDemand")
            .WithSummary("受理：认领或移交").WithDescription("给出工作目标、思路举措、完成时限；ownerMemberId 认领给专班成员，departmentId 移交给局科室。");
        group.MapPost("/{id:long}/progress", Progress).RequireAuthorization(DemandPolicies.Worker).WithName("RecordDemandProgress")
            .WithSummary("记录进展").WithDescription("kind：progress 进展、onsite 现场指导、expert 专家服务、note 备注；visibility：public 企业可见、internal 仅内部。");
        group.MapPost("/{id:long}/urge", Urge).RequireAuthorization(DemandPolicies.Manager).WithName("UrgeDemand").WithSummary("督办");
        group.MapPost("/{id:long}/extension", RequestExtension).RequireAuthorization(DemandPolicies.Owner).WithName("RequestDemandExtension").WithSummary("申请延期");
        group.MapPost("/{id:long}/extension/approve", ApproveExtension).RequireAuthorization(DemandPolicies.Manager).WithName("ApproveDemandExtension").WithSummary("批准延期");
        group.MapPost("/{id:long}/extension/reject", RejectExtension).RequireAuthorization(DemandPolicies.Manager).WithName("RejectDemandExtension").WithSummary("驳回延期");
        group.MapPost("/{id:long}/due-date", SetDueDate).RequireAuthorization(DemandPolicies.Manager).WithName("SetDemandDueDate")
            .WithSummary("重新设定完成时限").WithDescription("企业确认未解决（重办）后，服务专员为诉求设定新的完成时限。");
        group.MapPost("/{id:long}/resolve", Resolve).RequireAuthorization(DemandPolicies.Owner).WithName("ResolveDemand").WithSummary("办结");
        group.MapPost("/{id:long}/confirm", Confirm).RequireAuthorization(DemandPolicies.Enterprise).WithName("ConfirmDemand")
            .WithSummary("企业确认与评价").WithDescription("solved=true 关闭诉求；solved=false 重办（回到已受理，由服务专员设定新的时限）。");
        group.MapPost("/{id:long}/return", Return).RequireAuthorization(DemandPolicies.Manager).WithName("ReturnDemand").WithSummary("退回（不属于受理范围）");
        group.MapPost("/{id:long}/withdraw", Withdraw).RequireAuthorization(DemandPolicies.Enterprise).WithName("WithdrawDemand").WithSummary("企业撤回");
        return group;
    }

    private static async Task<IResult> ActAsync(long id, CurrentUser user, MySqlDataSource db, TimeProvider clock, DemandAction action,
        Func<DemandRow, DbConnection, DbTransaction, DateTimeOffset, Task<IResult?>>? guard, Func<DemandRow, DemandChange> decide, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(ct);
        var demand = await DemandStore.FindAsync(connection, null, id, user, ct);
        if (demand is null)
        {
            return Problems.NotFound();
        }
        if (DemandStateMachine.Next(demand.Status, action) is null)
        {
            return InvalidTransition(demand);
        }

        await using var tx = await connection.BeginTransactionAsync(ct);
        if (guard is not null && await guard(demand, connection, tx, now) is { } refused)
        {
            await tx.RollbackAsync(ct);
            return refused;
        }
        var change = decide(demand);
        var applied = change.Problem ?? (await ApplyAsync(connection, tx, demand, user.Id, action, change, now, ct)).Problem;
        if (applied is not null)
        {
            await tx.RollbackAsync(ct);
            return applied;
        }
        await tx.CommitAsync(ct);

        var fresh = await DemandStore.FindAsync(connection, null, id, user, ct);
        return TypedResults.Ok(await DemandStore.DetailAsync(connection, fresh!, user, now, ct));
    }

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

    private static bool IsOwner(CurrentUser user, DemandRow d) =>
        (d.OwnerMemberId is { } owner && user.MemberId == owner)
        || (d.DepartmentId is { } department && user.IsInRole(Roles.DepartmentLiaison) && user.DepartmentId == department);

    private static bool IsStaffOf(CurrentUser user, DemandRow d) => user.IsInRole(Roles.Staff) && user.EnterpriseId == d.EnterpriseId;

    private static IResult NotOwner() =>
        Problems.Create(StatusCodes.Status403Forbidden, "demand.not_owner", "无权操作", "只有该诉求的责任人可以执行此操作。");

    internal static Func<DbConnection, DbTransaction, Task<IReadOnlyList<Recipient>>> OwnerOf(DemandRow d, CancellationToken ct) =>
        async (c, tx) => d.OwnerMemberId is { } m ? [Recipient.Member(m)] : d.DepartmentId is { } dep ? await Outbox.DepartmentLiaisonsAsync(c, tx, dep, ct) : [];

    private static Func<DbConnection, DbTransaction, Task<IReadOnlyList<Recipient>>> StaffOf(DemandRow d, CancellationToken ct) =>
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

    static Task<IResult> Accept(long id, AcceptDemandRequest request, CurrentUser user, MySqlDataSource db, TimeProvider clock, CancellationToken ct)
    {
        DateOnly? due = null;
        string? ownerName = null;
        return ActAsync(id, user, db, clock, DemandAction.Accept, async (d, c, tx, now) =>
        {
            if (request.OwnerMemberId is { } memberId)
            {
                ownerName = await c.ExecuteScalarAsync<string?>(new CommandDefinition(
                    "SELECT name FROM members WHERE id = @memberId AND branch_id = @BranchId", new { memberId, d.BranchId }, tx, cancellationToken: ct));
                if (ownerName is null)
                {
                    return Problems.Validation("ownerMemberId", "成员不存在或不属于本支部。");
                }
            }
            else
            {
                ownerName = await c.ExecuteScalarAsync<string?>(new CommandDefinition(
                    "SELECT name FROM departments WHERE id = @DepartmentId AND branch_id = @BranchId", new { request.DepartmentId, d.BranchId }, tx, cancellationToken: ct));
                if (ownerName is null)
                {
                    return Problems.Validation("departmentId", "科室不存在或不属于本支部。");
                }
            }
            (due, var problem) = await ResolveDueAsync(c, tx, request, now, ct);
            return problem;
        }, d =>
        {
            var transfer = request.DepartmentId is not null;
            var change = new DemandChange(transfer ? "transferred" : "claimed", "public",
                transfer ? $"移交{ownerName}办理，完成时限 {due:yyyy-MM-dd}" : $"由{ownerName}认领办理，完成时限 {due:yyyy-MM-dd}",
                "objective = @Objective, measures = @Measures, owner_member_id = @OwnerMemberId, department_id = @DepartmentId, " +
                "responsible_unit = @ResponsibleUnit, due_date = @Due, accepted_at = @now, ",
                new
                {
                    Objective = request.Objective.Trim(), Measures = JsonSerializer.Serialize(request.Measures.Select(m => m.Trim())),
                    request.OwnerMemberId, request.DepartmentId, ResponsibleUnit = request.ResponsibleUnit ?? ownerName,
                    Due = due!.Value.ToDateTime(TimeOnly.MinValue),
                }, DueDate: due);
            var assigned = new DemandRow { OwnerMemberId = request.OwnerMemberId, DepartmentId = request.DepartmentId };
            return change
                .Notifying(transfer ? NotificationKinds.DemandTransferred : NotificationKinds.DemandAssigned, OwnerOf(assigned, ct))
                .Notifying(NotificationKinds.DemandAccepted, StaffOf(d, ct));
        }, ct);
    }

    static Task<IResult> Progress(long id, ProgressRequest request, CurrentUser user, MySqlDataSource db, TimeProvider clock, CancellationToken ct) =>
        ActAsync(id, user, db, clock, DemandAction.Progress, async (d, c, tx, _) =>
            !IsOwner(user, d) && !user.IsAnyOf(Roles.Commissioner, Roles.Secretary) ? NotOwner()
            : !await DemandStore.OwnsAttachmentsAsync(c, tx, user.Id, request.AttachmentIds, ct) ? Problems.Validation("attachmentIds", "附件不存在，或不是您上传的。")
            : null,
            d =>
            {
                var change = new DemandChange(request.Kind, request.Visibility, request.Text, AttachmentIds: request.AttachmentIds);
                return request.Visibility == "public" ? change.Notifying(NotificationKinds.DemandProgress, StaffOf(d, ct)) : change;
            }, ct);

    static Task<IResult> Urge(long id, UrgeRequest request, CurrentUser user, MySqlDataSource db, TimeProvider clock, CancellationToken ct) =>
        ActAsync(id, user, db, clock, DemandAction.Urge, null, d => UrgeChange(d, request.Text, ct), ct);

    internal static DemandChange UrgeChange(DemandRow d, string text, CancellationToken ct) =>
        new DemandChange("urged", "internal", text).Notifying(NotificationKinds.DemandUrged, OwnerOf(d, ct));

    static Task<IResult> RequestExtension(long id, ExtensionRequest request, CurrentUser user, MySqlDataSource db, TimeProvider clock, CancellationToken ct) =>
        ActAsync(id, user, db, clock, DemandAction.RequestExtension, (d, _, _, now) => Task.FromResult<IResult?>(
            !IsOwner(user, d) ? NotOwner()
            : d.ExtensionDueDate is not null ? Problems.Conflict("demand.extension_pending", "已有待审批的延期申请。")
            : d.Due is { } due && request.DueDate <= due ? Problems.Validation("dueDate", "延期后的时限须晚于当前时限。")
            : null),
            d => new DemandChange("extension_requested", "internal", $"申请延期至 {request.DueDate:yyyy-MM-dd}：{request.Reason}",
                "extension_due_date = @Requested, extension_reason = @Reason, ",
                new { Requested = request.DueDate!.Value.ToDateTime(TimeOnly.MinValue), Reason = request.Reason.Trim() })
                .Notifying(NotificationKinds.ExtensionRequested, CommissionersOf(d, ct)), ct);

    static Task<IResult> ApproveExtension(long id, ExtensionDecisionRequest? request, CurrentUser user, MySqlDataSource db, TimeProvider clock, CancellationToken ct) =>
        ActAsync(id, user, db, clock, DemandAction.DecideExtension, (d, _, _, _) => Task.FromResult<IResult?>(
            d.ExtensionDueDate is null ? Problems.Conflict("demand.no_extension_pending", "没有待审批的延期申请。") : null),
            d => new DemandChange("extension_approved", "public",
                $"完成时限延至 {DateOnly.FromDateTime(d.ExtensionDueDate!.Value):yyyy-MM-dd}" + (request?.Comment is { Length: > 0 } c ? $"（{c}）" : ""),
                "due_date = extension_due_date, extension_due_date = NULL, extension_reason = NULL, ",
                DueDate: DateOnly.FromDateTime(d.ExtensionDueDate!.Value))
                .Notifying(NotificationKinds.ExtensionDecided, OwnerOf(d, ct)), ct);

    static Task<IResult> RejectExtension(long id, ExtensionDecisionRequest? request, CurrentUser user, MySqlDataSource db, TimeProvider clock, CancellationToken ct) =>
        ActAsync(id, user, db, clock, DemandAction.DecideExtension, (d, _, _, _) => Task.FromResult<IResult?>(
            d.ExtensionDueDate is null ? Problems.Conflict("demand.no_extension_pending", "没有待审批的延期申请。") : null),
            d => new DemandChange("extension_rejected", "internal", "延期申请未获批准" + (request?.Comment is { Length: > 0 } c ? $"：{c}" : ""),
                "extension_due_date = NULL, extension_reason = NULL, ")
                .Notifying(NotificationKinds.ExtensionDecided, OwnerOf(d, ct)), ct);

    static Task<IResult> SetDueDate(long id, SetDueDateRequest request, CurrentUser user, MySqlDataSource db, TimeProvider clock, CancellationToken ct)
    {
        DateOnly? due = null;
        return ActAsync(id, user, db, clock, DemandAction.SetDueDate, async (d, c, tx, now) =>
        {
            (due, var problem) = await ResolveDueAsync(c, tx, request, now, ct);
            return problem;
        }, d => DueDateChange(d, due!.Value, request.Reason is { Length: > 0 } r ? $"：{r}" : "", ct), ct);
    }

    internal static DemandChange DueDateChange(DemandRow d, DateOnly due, string suffix, CancellationToken ct) =>
        new DemandChange("due_date_set", "public", $"完成时限调整为 {due:yyyy-MM-dd}{suffix}",
            "due_date = @Due, ", new { Due = due.ToDateTime(TimeOnly.MinValue) }, DueDate: due)
            .Notifying(NotificationKinds.DemandAssigned, OwnerOf(d, ct));

    static Task<IResult> Resolve(long id, ResolveRequest request, CurrentUser user, MySqlDataSource db, TimeProvider clock, CancellationToken ct) =>
        ActAsync(id, user, db, clock, DemandAction.Resolve, async (d, c, tx, _) =>
            !IsOwner(user, d) ? NotOwner()
            : !await DemandStore.OwnsAttachmentsAsync(c, tx, user.Id, request.AttachmentIds, ct) ? Problems.Validation("attachmentIds", "附件不存在，或不是您上传的。")
            : null,
            d => new DemandChange("resolved", "public", request.Summary, "resolution = @Summary, resolved_at = @now, extension_due_date = NULL, extension_reason = NULL, ",
                new { Summary = request.Summary.Trim() }, request.AttachmentIds, Details: EventDetails.Resolution(d.Due))
                .Notifying(NotificationKinds.DemandResolved, StaffOf(d, ct)), ct);

    static Task<IResult> Confirm(long id, ConfirmRequest request, CurrentUser user, MySqlDataSource db, TimeProvider clock, CancellationToken ct) =>
        ActAsync(id, user, db, clock, request.Solved == true ? DemandAction.ConfirmSolved : DemandAction.ConfirmUnsolved,
            (d, _, _, _) => Task.FromResult<IResult?>(IsStaffOf(user, d) ? null : NotOwner()),
            d => request.Solved == true
                ? new DemandChange("confirmed", "public", $"企业确认已解决，满意度 {request.Satisfaction} 分" + (request.Comment is { Length: > 0 } c ? $"：{c}" : ""),
                    "solved = TRUE, satisfaction = @Satisfaction, rating_comment = @Comment, closed_at = @now, ",
                    new { request.Satisfaction, request.Comment }, Details: EventDetails.Confirmation(true, request.Satisfaction!.Value))
                : new DemandChange("reopened", "public", $"企业反馈未解决，满意度 {request.Satisfaction} 分" + (request.Comment is { Length: > 0 } c2 ? $"：{c2}" : "") + "；诉求重办",
                    "solved = FALSE, satisfaction = @Satisfaction, rating_comment = @Comment, reopen_count = reopen_count + 1, resolved_at = NULL, ",
                    new { request.Satisfaction, request.Comment }, Details: EventDetails.Confirmation(false, request.Satisfaction!.Value))
                    .Notifying(NotificationKinds.DemandReopened, CommissionersOf(d, ct))
                    .Notifying(NotificationKinds.DemandReopened, OwnerOf(d, ct)), ct);

    static Task<IResult> Return(long id, ReasonRequest request, CurrentUser user, MySqlDataSource db, TimeProvider clock, CancellationToken ct) =>
        ActAsync(id, user, db, clock, DemandAction.Return, null,
            d => new DemandChange("returned", "public", request.Reason, "closing_reason = @Reason, closed_at = @now, ", new { Reason = request.Reason.Trim() })
                .Notifying(NotificationKinds.DemandReturned, StaffOf(d, ct)), ct);

    static Task<IResult> Withdraw(long id, WithdrawRequest? request, CurrentUser user, MySqlDataSource db, TimeProvider clock, CancellationToken ct) =>
        ActAsync(id, user, db, clock, DemandAction.Withdraw, (d, _, _, _) => Task.FromResult<IResult?>(IsStaffOf(user, d) ? null : NotOwner()),
            d => new DemandChange("withdrawn", "public", request?.Reason, "closing_reason = @Reason, closed_at = @now, ", new { Reason = request?.Reason })
                .Notifying(NotificationKinds.DemandWithdrawn, OwnerOf(d, ct)), ct);

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
