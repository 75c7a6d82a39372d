using System.Data.Common;
using Dapper;
using EcoAid.Api.Features.Demands;
using EcoAid.Api.Features.Stats;
using EcoAid.Api.Infrastructure.Auth;
using EcoAid.Api.Infrastructure.Http;

namespace EcoAid.Api.Features.Meetings;

/// <summary>
/// A decision of the monthly meeting (会商) on one demand: checked against the meeting and the demand, applied through the
/// demand workflow core in the caller's transaction, and recorded with the timeline event it produced.
/// </summary>
internal static class MeetingDecisions
{
    internal static async Task<(long DecisionId, IResult? Problem)> ApplyAsync(DbConnection connection, DbTransaction tx, long meetingId, long branchId,
        DecisionRequest request, CurrentUser user, DateTimeOffset now, CancellationToken ct)
    {
        var demandId = request.DemandId;
        if (request.AgendaItemId is { } itemId)
        {
            var item = await connection.QuerySingleOrDefaultAsync<(long Id, long? DemandId)?>(new CommandDefinition(
                "SELECT id, demand_id FROM meeting_agenda_items WHERE id = @itemId AND meeting_id = @meetingId", new { itemId, meetingId }, tx, cancellationToken: ct));
            if (item is not { } found)
            {
                return (0, Problems.Validation("agendaItemId", "该议题不属于本次会商。"));
            }
            if (found.DemandId is null)
            {
                return (0, Problems.Validation("agendaItemId", "该议题是未回访的企业，没有对应的诉求；请安排回访。"));
            }
            if (demandId is { } given && given != found.DemandId)
            {
                return (0, Problems.Validation("demandId", "demandId 与议题对应的诉求不一致。"));
            }
            demandId = found.DemandId;
        }
        var demand = await DemandStore.FindAsync(connection, tx, demandId!.Value, user, ct);
        if (demand is null || demand.BranchId != branchId)
        {
            return (0, Problems.NotFound("指定的诉求不存在或不属于本支部。"));
        }
        var action = DecisionKinds.ActionOf(request.Kind);
        if (DemandStateMachine.Next(demand.Status, action) is null)
        {
            return (0, DemandWorkflow.InvalidTransition(demand));
        }

        var month = await connection.ExecuteScalarAsync<DateTime>(new CommandDefinition(
            "SELECT month FROM meetings WHERE id = @meetingId", new { meetingId }, tx, cancellationToken: ct));
        var label = $"{Periods.ChineseMonth(DateOnly.FromDateTime(month))}会商决定";
        var text = request.Text.Trim();
        DateOnly? due = null;
        DemandWorkflow.DemandChange change;
        switch (request.Kind)
        {
            case DecisionKinds.Reassign:
                var (to, refusedTo) = await DemandWorkflow.ResponsibilityAsync(connection, tx, branchId, request.OwnerMemberId, request.DepartmentId,
                    request.LiaisonUserId, null, ct);
                if (refusedTo is not null)
                {
                    return (0, refusedTo);
                }
                if (to!.OwnerMemberId is { } m ? demand.OwnerMemberId == m
                    : demand.DepartmentId == to.DepartmentId && demand.ResponsibleUserId == to.UserId)
                {
                    return (0, Problems.Validation(request.OwnerMemberId is not null ? "ownerMemberId" : "departmentId", $"该诉求已由{to.Label}办理。"));
                }
                change = DemandWorkflow.ReassignChange(to,
                    $"{label}：" + (to.DepartmentId is not null ? $"改为移交{to.Label}办理" : $"改由{to.Label}办理") + $"。{text}", ct);
                break;
            case DecisionKinds.DueDate:
                (due, var problem) = await DemandWorkflow.ResolveDueAsync(connection, tx, request, now, ct);
                if (problem is not null)
                {
                    return (0, problem);
                }
                change = DemandWorkflow.DueDateChange(demand, due!.Value, $"（{label}：{text}）", ct);
                break;
            case DecisionKinds.Urge:
                change = DemandWorkflow.UrgeChange(demand, $"{label}：{text}", ct);
                break;
            case DecisionKinds.Escalate:
                change = DemandWorkflow.EscalateChange(demand, $"{label}：升级为重点督办。{text}", ct);
                break;
            default:
                change = DemandWorkflow.NoteChange($"{label}：{text}");
                break;
        }

        var (eventId, refused) = await DemandWorkflow.ApplyAsync(connection, tx, demand, user.Id, action,
            change with { Details = EventDetails.Decision(meetingId, request.Kind, EventDetails.ReadResponsible(change.Details)) }, now, ct);
        if (refused is not null)
        {
            return (0, refused);
        }
        var decisionId = await connection.ExecuteScalarAsync<long>(new CommandDefinition("""
            INSERT INTO meeting_decisions (meeting_id, agenda_item_id, demand_id, kind, text, owner_member_id, department_id, due_date, demand_event_id,
                                           decided_by, created_at)
            VALUES (@meetingId, @AgendaItemId, @demandId, @Kind, @text, @OwnerMemberId, @DepartmentId, @due, @eventId, @userId, @now);
            SELECT LAST_INSERT_ID();
            """, new
        {
            meetingId, request.AgendaItemId, demandId, request.Kind, text, request.OwnerMemberId, request.DepartmentId,
            due = due?.ToDateTime(TimeOnly.MinValue), eventId, userId = user.Id, now = now.UtcDateTime,
        }, tx, cancellationToken: ct));
        return (decisionId, null);
    }
}
