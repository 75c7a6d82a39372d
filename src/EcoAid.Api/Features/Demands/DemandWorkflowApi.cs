using System.Data.Common;
using System.Text.Json;
using Dapper;
using EcoAid.Api.Features.Calendar;
using EcoAid.Api.Features.Notifications;
using EcoAid.Api.Infrastructure;
using EcoAid.Api.Infrastructure.Auth;
using EcoAid.Api.Infrastructure.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using MySqlConnector;
using static EcoAid.Api.Features.Demands.DemandWorkflow;

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
        group.MapPost("/{id:long}/accept", Accept).Produces<DemandDetail>(200).Answers(403, 409).RequireAuthorization(DemandPolicies.Manager).WithName("AcceptDemand")
            .WithSummary("受理：认领或移交").WithDescription("给出工作目标、思路举措、完成时限；ownerMemberId 认领给专班成员，departmentId 移交给局科室。");
        group.MapPost("/{id:long}/responsible", SetResponsible).Produces<DemandDetail>(200).Answers(403, 409).RequireAuthorization(DemandPolicies.Manager).WithName("SetDemandResponsible")
            .WithSummary("指定其他单位为责任单位").WithDescription("已受理的诉求由其他单位（如县自然资源局）负责时，服务专员或支部书记指定该单位（unitName）、" +
                "其责任人（personName）和手机号（personPhone）；原认领成员或科室继续跟进。受理时也可在 otherBody 中一并指定。");
        group.MapPost("/{id:long}/progress", Progress).Produces<DemandDetail>(200).Answers(403, 409).RequireAuthorization(DemandPolicies.Worker).WithName("RecordDemandProgress")
            .WithSummary("记录进展").WithDescription("kind：progress 进展、onsite 现场指导、expert 专家服务、note 备注；visibility：public 企业可见、internal 仅内部。");
        group.MapPost("/{id:long}/urge", Urge).Produces<DemandDetail>(200).Answers(403, 409).RequireAuthorization(DemandPolicies.Manager).WithName("UrgeDemand").WithSummary("督办");
        group.MapPost("/{id:long}/extension", RequestExtension).Produces<DemandDetail>(200).Answers(403, 409).RequireAuthorization(DemandPolicies.Owner).WithName("RequestDemandExtension").WithSummary("申请延期");
        group.MapPost("/{id:long}/extension/approve", ApproveExtension).Produces<DemandDetail>(200).Answers(403, 409).RequireAuthorization(DemandPolicies.Manager).WithName("ApproveDemandExtension").WithSummary("批准延期");
        group.MapPost("/{id:long}/extension/reject", RejectExtension).Produces<DemandDetail>(200).Answers(403, 409).RequireAuthorization(DemandPolicies.Manager).WithName("RejectDemandExtension").WithSummary("驳回延期");
        group.MapPost("/{id:long}/due-date", SetDueDate).Produces<DemandDetail>(200).Answers(403, 409).RequireAuthorization(DemandPolicies.Manager).WithName("SetDemandDueDate")
            .WithSummary("重新设定完成时限").WithDescription("企业确认未解决（重办）后，服务专员为诉求设定新的完成时限。");
        group.MapPost("/{id:long}/resolve", Resolve).Produces<DemandDetail>(200).Answers(403, 409).RequireAuthorization(DemandPolicies.Owner).WithName("ResolveDemand").WithSummary("办结");
        group.MapPost("/{id:long}/confirm", Confirm).Produces<DemandDetail>(200).Answers(403, 409).RequireAuthorization(DemandPolicies.Enterprise).WithName("ConfirmDemand")
            .WithSummary("企业确认与评价").WithDescription("solved=true 关闭诉求；solved=false 重办（回到已受理，由服务专员设定新的时限）。");
        group.MapPost("/{id:long}/return", Return).Produces<DemandDetail>(200).Answers(403, 409).RequireAuthorization(DemandPolicies.Manager).WithName("ReturnDemand").WithSummary("退回（不属于受理范围）");
        group.MapPost("/{id:long}/review/accept", AcceptReview).Produces<DemandDetail>(200).Answers(403, 409).RequireAuthorization(DemandPolicies.Manager).WithName("AcceptDemandReview")
            .WithSummary("审核通过").WithDescription("内容安全检测认为有风险或建议人工审核的诉求（pending_review），经服务专员或支部书记查看后进入待受理。");
        group.MapPost("/{id:long}/review/return", ReturnReview).Produces<DemandDetail>(200).Answers(403, 409).RequireAuthorization(DemandPolicies.Manager).WithName("ReturnDemandReview")
            .WithSummary("审核退回").WithDescription("待审核的诉求退回提交人，须说明理由。");
        group.MapPost("/{id:long}/withdraw", Withdraw).Produces<DemandDetail>(200).Answers(403, 409).RequireAuthorization(DemandPolicies.Enterprise).WithName("WithdrawDemand").WithSummary("企业撤回");
        return group;
    }

    private static async Task<IResult> ActAsync(long id, HttpRequest http, CurrentUser user, MySqlDataSource db, TimeProvider clock, DemandAction action,
        Func<DemandRow, DbConnection, DbTransaction, DateTimeOffset, Task<IResult?>>? guard, Func<DemandRow, DemandChange> decide, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(ct);
        var demand = await DemandStore.FindAsync(connection, null, id, user, ct);
        if (demand is null)
        {
            return Problems.NotFound();
        }
        var basedOn = IfMatch(http);
        if (basedOn?.Problem is { } badHeader)
        {
            return badHeader;
        }
        if (basedOn?.Version is { } seen && seen != demand.Version)
        {
            return Stale(demand);
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

    static Task<IResult> Accept(long id, AcceptDemandRequest request, HttpRequest http, CurrentUser user, MySqlDataSource db, TimeProvider clock, CancellationToken ct)
    {
        DateOnly? due = null;
        Responsibility? to = null;
        return ActAsync(id, http, user, db, clock, DemandAction.Accept, async (d, c, tx, now) =>
        {
            (to, var problem) = await ResponsibilityAsync(c, tx, d.BranchId, request.OwnerMemberId, request.DepartmentId, request.LiaisonUserId,
                request.ResponsibleUnit, ct);
            if (problem is not null)
            {
                return problem;
            }
            if (request.OtherBody is { } other)
            {
                to = to!.WithOtherBody(other);
                await AuditResponsibleAsync(c, tx, user, d, to, now, ct);
            }
            (due, problem) = await ResolveDueAsync(c, tx, request, now, ct);
            return problem;
        }, d =>
        {
            var transfer = to!.DepartmentId is not null;
            var parameters = new DynamicParameters(to);
            parameters.AddDynamicParams(new
            {
                Objective = request.Objective.Trim(), Measures = JsonSerializer.Serialize(request.Measures.Select(m => m.Trim())),
                Due = due!.Value.ToDateTime(TimeOnly.MinValue),
            });
            var change = new DemandChange(transfer ? "transferred" : "claimed", "public",
                transfer ? $"移交{to.Label}办理，完成时限 {due:yyyy-MM-dd}" : $"由{to.Label}认领办理，完成时限 {due:yyyy-MM-dd}",
                "objective = @Objective, measures = @Measures, " + Responsibility.SetSql + "due_date = @Due, accepted_at = @now, ",
                parameters, DueDate: due, Details: EventDetails.Responsibility(to.Snapshot));
            var assigned = new DemandRow { OwnerMemberId = to.OwnerMemberId, DepartmentId = to.DepartmentId };
            return change
                .Notifying(transfer ? NotificationKinds.DemandTransferred : NotificationKinds.DemandAssigned, OwnerOf(assigned, ct))
                .Notifying(NotificationKinds.DemandAccepted, StaffOf(d, ct));
        }, ct);
    }

    /// <summary>
    /// Another body (e.g. 县自然资源局) and a named person of it become 责任单位/责任人 of an accepted demand; the member or
    /// department that claimed it keeps following it. Audited; the enterprise sees it on the timeline.
    /// </summary>
    static Task<IResult> SetResponsible(long id, SetResponsibleRequest request, HttpRequest http, CurrentUser user, MySqlDataSource db, TimeProvider clock,
        CancellationToken ct)
    {
        Responsibility? to = null;
        return ActAsync(id, http, user, db, clock, DemandAction.Reassign, async (d, c, tx, now) =>
        {
            var other = request.Body;
            if (d.ResponsibleUnitKind == "other" && d.ResponsiblePersonKind == "other" && d.ResponsibleUnit == other.UnitName.Trim()
                && d.ResponsiblePersonName == other.PersonName.Trim() && d.ResponsiblePersonPhone == other.PersonPhone.Trim())
            {
                return Problems.Conflict("demand.responsible_unchanged", $"该诉求的责任单位已是{d.ResponsibleUnit}，责任人已是{d.ResponsiblePersonName}。");
            }
            to = new Responsibility(d.OwnerMemberId, d.DepartmentId, "", "", "", "", null).WithOtherBody(other);
            await AuditResponsibleAsync(c, tx, user, d, to, now, ct);
            return null;
        }, d => ReassignChange(to!, $"责任单位调整为{to!.Label}" + (request.Reason is { Length: > 0 } r ? $"：{r.Trim()}" : ""), ct), ct);
    }

    /// <summary>Setting another body as 责任单位 is audited (who, which demand, which body; the phone is not written to the trail).</summary>
    private static Task AuditResponsibleAsync(DbConnection c, DbTransaction tx, CurrentUser user, DemandRow d, Responsibility to, DateTimeOffset now,
        CancellationToken ct) =>
        Audit.AuditTrail.RecordAsync((MySqlConnection)c, (MySqlTransaction)tx, Audit.AuditEvent.By(user, Audit.AuditKinds.ResponsibleChanged, "demand", d.Id,
            new { unitKind = to.UnitKind, unit = to.UnitName, personKind = to.PersonKind, person = to.PersonName }) with { BranchId = d.BranchId }, now, ct);

    static Task<IResult> Progress(long id, ProgressRequest request, HttpRequest http, CurrentUser user, MySqlDataSource db, TimeProvider clock, CancellationToken ct) =>
        ActAsync(id, http, user, db, clock, DemandAction.Progress, async (d, c, tx, _) =>
            !IsOwner(user, d) && !user.IsAnyOf(Roles.Commissioner, Roles.Secretary) ? NotOwner()
            : !await DemandStore.OwnsAttachmentsAsync(c, tx, user.Id, request.AttachmentIds, ct) ? Problems.Validation("attachmentIds", "附件不存在，或不是您上传的。")
            : null,
            d =>
            {
                var change = new DemandChange(request.Kind, request.Visibility, request.Text, AttachmentIds: request.AttachmentIds);
                return request.Visibility == "public" ? change.Notifying(NotificationKinds.DemandProgress, StaffOf(d, ct)) : change;
            }, ct);

    static Task<IResult> Urge(long id, UrgeRequest request, HttpRequest http, CurrentUser user, MySqlDataSource db, TimeProvider clock, CancellationToken ct) =>
        ActAsync(id, http, user, db, clock, DemandAction.Urge, null, d => UrgeChange(d, request.Text, ct), ct);

    static Task<IResult> RequestExtension(long id, ExtensionRequest request, HttpRequest http, CurrentUser user, MySqlDataSource db, TimeProvider clock, CancellationToken ct) =>
        ActAsync(id, http, user, db, clock, DemandAction.RequestExtension, (d, _, _, now) => Task.FromResult<IResult?>(
            !IsOwner(user, d) ? NotOwner()
            : d.ExtensionDueDate is not null ? Problems.Conflict("demand.extension_pending", "已有待审批的延期申请。")
            : d.Due is { } due && request.DueDate <= due ? Problems.Validation("dueDate", "延期后的时限须晚于当前时限。")
            : null),
            d => new DemandChange("extension_requested", "internal", $"申请延期至 {request.DueDate:yyyy-MM-dd}：{request.Reason}",
                "extension_due_date = @Requested, extension_reason = @Reason, ",
                new { Requested = request.DueDate!.Value.ToDateTime(TimeOnly.MinValue), Reason = request.Reason.Trim() })
                .Notifying(NotificationKinds.ExtensionRequested, CommissionersOf(d, ct)), ct);

    static Task<IResult> ApproveExtension(long id, ExtensionDecisionRequest? request, HttpRequest http, CurrentUser user, MySqlDataSource db, TimeProvider clock, CancellationToken ct) =>
        ActAsync(id, http, user, db, clock, DemandAction.DecideExtension, (d, _, _, _) => Task.FromResult<IResult?>(
            d.ExtensionDueDate is null ? Problems.Conflict("demand.no_extension_pending", "没有待审批的延期申请。") : null),
            d => new DemandChange("extension_approved", "public",
                $"完成时限延至 {DateOnly.FromDateTime(d.ExtensionDueDate!.Value):yyyy-MM-dd}" + (request?.Comment is { Length: > 0 } c ? $"（{c}）" : ""),
                "due_date = extension_due_date, extension_due_date = NULL, extension_reason = NULL, ",
                DueDate: DateOnly.FromDateTime(d.ExtensionDueDate!.Value))
                .Notifying(NotificationKinds.ExtensionDecided, OwnerOf(d, ct))
                .Notifying(NotificationKinds.DemandDueChanged, StaffOf(d, ct)), ct);

    static Task<IResult> RejectExtension(long id, ExtensionDecisionRequest? request, HttpRequest http, CurrentUser user, MySqlDataSource db, TimeProvider clock, CancellationToken ct) =>
        ActAsync(id, http, user, db, clock, DemandAction.DecideExtension, (d, _, _, _) => Task.FromResult<IResult?>(
            d.ExtensionDueDate is null ? Problems.Conflict("demand.no_extension_pending", "没有待审批的延期申请。") : null),
            d => new DemandChange("extension_rejected", "internal", "延期申请未获批准" + (request?.Comment is { Length: > 0 } c ? $"：{c}" : ""),
                "extension_due_date = NULL, extension_reason = NULL, ")
                .Notifying(NotificationKinds.ExtensionDecided, OwnerOf(d, ct)), ct);

    static Task<IResult> SetDueDate(long id, SetDueDateRequest request, HttpRequest http, CurrentUser user, MySqlDataSource db, TimeProvider clock, CancellationToken ct)
    {
        DateOnly? due = null;
        return ActAsync(id, http, user, db, clock, DemandAction.SetDueDate, async (d, c, tx, now) =>
        {
            (due, var problem) = await ResolveDueAsync(c, tx, request, now, ct);
            return problem;
        }, d => DueDateChange(d, due!.Value, request.Reason is { Length: > 0 } r ? $"：{r}" : "", ct), ct);
    }

    static Task<IResult> Resolve(long id, ResolveRequest request, HttpRequest http, CurrentUser user, MySqlDataSource db, TimeProvider clock, CancellationToken ct) =>
        ActAsync(id, http, user, db, clock, DemandAction.Resolve, async (d, c, tx, _) =>
            !IsOwner(user, d) ? NotOwner()
            : !await DemandStore.OwnsAttachmentsAsync(c, tx, user.Id, request.AttachmentIds, ct) ? Problems.Validation("attachmentIds", "附件不存在，或不是您上传的。")
            : null,
            d => new DemandChange("resolved", "public", request.Summary, "resolution = @Summary, resolved_at = @now, extension_due_date = NULL, extension_reason = NULL, ",
                new { Summary = request.Summary.Trim() }, request.AttachmentIds, Details: EventDetails.Resolution(d.Due))
                .Notifying(NotificationKinds.DemandResolved, StaffOf(d, ct)), ct);

    static Task<IResult> Confirm(long id, ConfirmRequest request, HttpRequest http, CurrentUser user, MySqlDataSource db, TimeProvider clock, CancellationToken ct) =>
        ActAsync(id, http, user, db, clock, request.Solved == true ? DemandAction.ConfirmSolved : DemandAction.ConfirmUnsolved,
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

    static Task<IResult> Return(long id, ReasonRequest request, HttpRequest http, CurrentUser user, MySqlDataSource db, TimeProvider clock, CancellationToken ct) =>
        ActAsync(id, http, user, db, clock, DemandAction.Return, null,
            d => new DemandChange("returned", "public", request.Reason, "closing_reason = @Reason, closed_at = @now, ", new { Reason = request.Reason.Trim() })
                .Notifying(NotificationKinds.DemandReturned, StaffOf(d, ct)), ct);

    static Task<IResult> Withdraw(long id, WithdrawRequest? request, HttpRequest http, CurrentUser user, MySqlDataSource db, TimeProvider clock, CancellationToken ct) =>
        ActAsync(id, http, user, db, clock, DemandAction.Withdraw, (d, _, _, _) => Task.FromResult<IResult?>(IsStaffOf(user, d) ? null : NotOwner()),
            d => new DemandChange("withdrawn", "public", request?.Reason, "closing_reason = @Reason, closed_at = @now, ", new { Reason = request?.Reason })
                .Notifying(NotificationKinds.DemandWithdrawn, OwnerOf(d, ct)), ct);


    static Task<IResult> AcceptReview(long id, ExtensionDecisionRequest? request, HttpRequest http, CurrentUser user, MySqlDataSource db, TimeProvider clock, CancellationToken ct) =>
        ActAsync(id, http, user, db, clock, DemandAction.ReviewAccept, null, d => ReviewAcceptChange(d, request?.Comment?.Trim(), ct), ct);

    static Task<IResult> ReturnReview(long id, ReasonRequest request, HttpRequest http, CurrentUser user, MySqlDataSource db, TimeProvider clock, CancellationToken ct) =>
        ActAsync(id, http, user, db, clock, DemandAction.ReviewReturn, null, d => ReviewReturnChange(d, request.Reason.Trim()), ct);

    /// <summary>
    /// The version the caller's form was based on, from <c>If-Match</c> (<c>"7"</c>, <c>W/"7"</c> or <c>7</c>); none when the
    /// header is absent. Every workflow action checks it before anything else, so a stale form is told so (409 demand.stale).
    /// </summary>
    private static (int? Version, IResult? Problem)? IfMatch(HttpRequest http)
    {
        var header = http.Headers.IfMatch.ToString();
        if (string.IsNullOrWhiteSpace(header))
        {
            return null;
        }
        var text = header.Trim();
        if (text.StartsWith("W/", StringComparison.Ordinal))
        {
            text = text[2..];
        }
        text = text.Trim('"');
        return int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var version)
            ? (version, null)
            : (null, Problems.Validation("If-Match", "If-Match 须为诉求的版本号（详情中的 version），例如 \"7\"。"));
    }

    private static IResult Stale(DemandRow demand) =>
        Problems.Conflict("demand.stale", $"诉求已被更新（当前版本 {demand.Version}），请刷新后再操作。");
}
