using EcoAid.Api.Features.Organisation;
using System.Data.Common;
using Dapper;
using EcoAid.Api.Features.Calendar;
using EcoAid.Api.Features.Demands;
using EcoAid.Api.Features.Notifications;
using EcoAid.Api.Features.Stats;
using EcoAid.Api.Infrastructure;
using EcoAid.Api.Infrastructure.Auth;
using EcoAid.Api.Infrastructure.Http;
using EcoAid.Api.Infrastructure.Validation;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using MySqlConnector;
using JsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;

namespace EcoAid.Api.Features.Meetings;

/// <summary>
/// The monthly consultation meeting (会商) chaired by the branch secretary: an agenda generated from the data (see
/// <see cref="Agenda"/>), decisions applied to demands through the demand workflow, minutes as xlsx.
/// </summary>
public static partial class MeetingsApi
{
    internal static IEndpointRouteBuilder MapMeetingEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/meetings").WithTags("Meetings").AddEndpointFilter<ValidationFilter>();
        group.MapPost("/", CreateMeeting).Produces<MeetingResponse>(201).Answers(409, 422).RequireAuthorization(MeetingPolicies.Chair).WithName(nameof(CreateMeeting))
            .WithSummary("生成月度会商").WithDescription("为本支部的某月（上月、本月或下月）生成会商议题：逾期、临近时限、重办、评价 3 分及以下、移交科室办理中、" +
                "新的企业吹哨事项、本月尚未回访的企业。每个支部每月一次（重复生成返回 409 meeting.already_exists）。生成后通知本支部全体专班成员。支持 Idempotency-Key。");
        group.MapGet("/", ListMeetings).RequireAuthorization(MeetingPolicies.Reader).WithName(nameof(ListMeetings))
            .WithSummary("会商列表").WithDescription("书记、服务专员看本支部，市局看全市；筛选 month（yyyy-MM）、branchId。");
        group.MapGet("/{id:long}", GetMeeting).RequireAuthorization(MeetingPolicies.Reader).WithName(nameof(GetMeeting))
            .WithSummary("会商详情").WithDescription("议题（每条链接到诉求或企业）与已作出的议定事项。");
        group.MapPost("/{id:long}/decisions", Decide).Produces<DecisionResponse>(201).Answers(409, 422).RequireAuthorization(MeetingPolicies.Chair).WithName("DecideInMeeting")
            .WithSummary("记录议定事项").WithDescription("kind：reassign 调整责任人（ownerMemberId 或 departmentId）、due_date 调整完成时限（dueDate 或 dueInWorkingDays）、" +
                "urge 督办、escalate 升级为重点督办、note 备注。决定按诉求的办理规则执行（状态不允许时 409 demand.invalid_transition），并记入诉求时间线。支持 Idempotency-Key。");
        group.MapGet("/{id:long}/minutes", ExportMinutes).ProducesFile(Infrastructure.Export.Spreadsheet.ContentType).RequireAuthorization(MeetingPolicies.Reader).WithName(nameof(ExportMinutes))
            .WithSummary("导出会商纪要").WithDescription("xlsx：会商概况、议题、议定事项三张表。");
        return routes;
    }

    static async Task<IResult> CreateMeeting(CreateMeetingRequest request, HttpRequest http, CurrentUser user, MySqlDataSource db, TimeProvider clock,
        IOptions<MeetingOptions> options, IOptions<JsonOptions> json, ILoggerFactory loggers, CancellationToken ct)
    {
        if (Idempotency.ValidateHeader(http, out var key) is { } badKey)
        {
            return badKey;
        }
        if (user.BranchId is not { } branchId)
        {
            return Problems.NotFound("您尚未绑定支部。");
        }
        var now = clock.GetUtcNow();
        var thisMonth = Periods.MonthOf(WorkingCalendar.Today(now));
        Periods.TryParseMonth(request.Month, out var month);
        if (month < thisMonth.AddMonths(-1) || month > thisMonth.AddMonths(1))
        {
            return Problems.Validation("month", "只能为上月、本月或下月生成会商。");
        }

        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var claim = await Idempotency.ClaimAsync(connection, tx, user.Id, key, Idempotency.HashOf(request), now, ct);
        if (!claim.Proceed)
        {
            return claim.Answer!;
        }
        var monthDate = month.ToDateTime(TimeOnly.MinValue);
        // Two secretaries generating the same month at once both get here; the unique key lets one insert and the other answer 409.
        var previous = await connection.QueryAsync<(DateTime Month, DateTime GeneratedAt)>(new CommandDefinition(
            "SELECT month, generated_at FROM meetings WHERE branch_id = @branchId ORDER BY month DESC",
            new { branchId }, tx, cancellationToken: ct));
        if (previous.Any(m => m.Month == monthDate))
        {
            await tx.RollbackAsync(ct);
            return AlreadyExists(month);
        }
        var windowStart = previous.Where(m => m.Month < monthDate).Select(m => (DateTime?)m.GeneratedAt).FirstOrDefault()
            ?? Periods.StartUtc(month.AddMonths(-1));

        var (lines, omitted) = await Agenda.BuildAsync(connection, tx, branchId, month, windowStart, now, options.Value.DueSoonDays,
            options.Value.AgendaLimitPerReason, ct);
        long meetingId;
        try
        {
            meetingId = await connection.ExecuteScalarAsync<long>(new CommandDefinition("""
                INSERT INTO meetings (branch_id, month, held_on, location, window_start, generated_at, created_by, created_at)
                VALUES (@branchId, @monthDate, @heldOn, @Location, @windowStart, @now, @userId, @now);
                SELECT LAST_INSERT_ID();
                """, new
            {
                branchId, monthDate, heldOn = request.HeldOn?.ToDateTime(TimeOnly.MinValue), Location = request.Location?.Trim(), windowStart,
                now = now.UtcDateTime, userId = user.Id,
            }, tx, cancellationToken: ct));
        }
        catch (MySqlException e) when (MySqlErrors.IsDuplicateKey(e, "uq_meetings_month"))
        {
            await tx.RollbackAsync(ct);
            return AlreadyExists(month);
        }
        await Agenda.SaveAsync(connection, tx, meetingId, lines, omitted, ct);

        var members = (await connection.QueryAsync<long>(new CommandDefinition(
            "SELECT id FROM members WHERE branch_id = @branchId ORDER BY id", new { branchId }, tx, cancellationToken: ct))).Select(Recipient.Member);
        await Outbox.EnqueueAsync(connection, tx, NotificationKinds.MeetingScheduled, members, null, new
        {
            // Keys as NotificationCatalog names them for meeting_scheduled. A meeting has a day, never an hour: the notice
            // says so rather than inventing one, and a meeting without a day yet is dated by the notice itself.
            meetingId, month = Periods.MonthText(month), title = $"{Periods.ChineseMonth(month)}会商",
            heldAt = request.HeldOn ?? WorkingCalendar.Today(now),
            when = request.HeldOn is { } day ? $"{PayloadValues.FormatDate(day)}，时间另行通知" : "日期、时间另行通知",
            place = request.Location?.Trim() is { Length: > 0 } place ? place : "地点待定",
            heldOn = request.HeldOn, location = request.Location?.Trim(), agendaItems = lines.Count,
            text = $"{Periods.ChineseMonth(month)}会商议题已生成，共 {lines.Count} 个" + (request.HeldOn is { } h ? $"，{h:yyyy-MM-dd} 召开" : "") + "。", at = now,
        }, now, ct);

        var created = (await LoadAsync(connection, tx, meetingId, ct))!;
        var location = $"/api/meetings/{meetingId}";
        await Idempotency.CompleteAsync(connection, tx, user.Id, key, StatusCodes.Status201Created, created, location, json.Value.SerializerOptions, ct);
        await tx.CommitAsync(ct);
        Log.MeetingCreated(loggers.CreateLogger(typeof(MeetingsApi)), meetingId, branchId, Periods.MonthText(month), lines.Count);
        return TypedResults.Created(location, created);
    }

    private static ProblemHttpResult AlreadyExists(DateOnly month) =>
        Problems.Conflict("meeting.already_exists", $"本支部{Periods.ChineseMonth(month)}的会商已生成，请在会商列表中打开。");

    static async Task<Results<Ok<PagedList<MeetingSummary>>, ValidationProblem, ProblemHttpResult>> ListMeetings(CurrentUser user, MySqlDataSource db,
        int? page, int? pageSize, string? month, long? branchId, CancellationToken ct)
    {
        if (!Paging.TryCreate(page, pageSize, out var paging, out var errors))
        {
            return Problems.Validation(errors);
        }
        DateTime? monthDate = null;
        if (month is not null)
        {
            if (!Periods.TryParseMonth(month, out var first))
            {
                return Problems.Validation("month", "月份格式应为 yyyy-MM。");
            }
            monthDate = first.ToDateTime(TimeOnly.MinValue);
        }
        if (branchId is { } asked && !user.Reaches(asked))
        {
            return Problems.NotFound("指定的支部不存在或不在您的范围内。");
        }
        const string where = "mt.branch_id IN @BranchIds AND (@monthDate IS NULL OR mt.month = @monthDate) AND (@branchId IS NULL OR mt.branch_id = @branchId)";
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var results = await connection.QueryMultipleAsync(new CommandDefinition($"""
            SELECT mt.id, mt.branch_id, b.name AS branch_name, mt.month, mt.held_on, mt.generated_at,
                   (SELECT COUNT(*) FROM meeting_agenda_items a WHERE a.meeting_id = mt.id) AS agenda_count,
                   (SELECT COUNT(*) FROM meeting_decisions x WHERE x.meeting_id = mt.id) AS decision_count
            FROM meetings mt JOIN party_branches b ON b.id = mt.branch_id
            WHERE {where} ORDER BY mt.month DESC, mt.branch_id LIMIT @PageSize OFFSET @Offset;
            SELECT COUNT(*) FROM meetings mt WHERE {where};
            """, new { user.BranchIds, monthDate, branchId, paging.PageSize, paging.Offset }, cancellationToken: ct));
        var items = (await results.ReadAsync<SummaryRow>()).Select(r => new MeetingSummary(r.Id, r.BranchId, r.BranchName,
            Periods.MonthText(DateOnly.FromDateTime(r.Month)), r.HeldOn is { } h ? DateOnly.FromDateTime(h) : null, (int)r.AgendaCount, (int)r.DecisionCount,
            r.GeneratedAt)).ToList();
        return TypedResults.Ok(new PagedList<MeetingSummary>(items, await results.ReadSingleAsync<long>(), paging.Page, paging.PageSize));
    }

    static async Task<Results<Ok<MeetingResponse>, ProblemHttpResult>> GetMeeting(long id, CurrentUser user, MySqlDataSource db, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await ReachesAsync(connection, null, id, user, ct) is null ? Problems.NotFound() : TypedResults.Ok((await LoadAsync(connection, null, id, ct))!);
    }

    /// <summary>The meeting's branch when the user reaches it; null otherwise (answered as 404).</summary>
    private static Task<long?> ReachesAsync(DbConnection connection, DbTransaction? tx, long id, CurrentUser user, CancellationToken ct) =>
        connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT branch_id FROM meetings WHERE id = @id AND branch_id IN @BranchIds", new { id, user.BranchIds }, tx, cancellationToken: ct));

    static async Task<IResult> Decide(long id, DecisionRequest request, HttpRequest http, CurrentUser user, MySqlDataSource db, TimeProvider clock,
        IOptions<JsonOptions> json, ILoggerFactory loggers, CancellationToken ct)
    {
        if (Idempotency.ValidateHeader(http, out var key) is { } badKey)
        {
            return badKey;
        }
        var now = clock.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        if (await ReachesAsync(connection, tx, id, user, ct) is not { } branchId)
        {
            return Problems.NotFound();
        }
        var claim = await Idempotency.ClaimAsync(connection, tx, user.Id, key, Idempotency.HashOf(request), now, ct);
        if (!claim.Proceed)
        {
            return claim.Answer!;
        }
        var outcome = await MeetingDecisions.ApplyAsync(connection, tx, id, branchId, request, user, now, ct);
        if (outcome.Problem is not null)
        {
            await tx.RollbackAsync(ct);
            return outcome.Problem;
        }
        var decision = (await LoadDecisionsAsync(connection, tx, id, outcome.DecisionId, ct)).Single();
        var location = $"/api/meetings/{id}";
        await Idempotency.CompleteAsync(connection, tx, user.Id, key, StatusCodes.Status201Created, decision, location, json.Value.SerializerOptions, ct);
        await tx.CommitAsync(ct);
        Log.DecisionApplied(loggers.CreateLogger(typeof(MeetingsApi)), outcome.DecisionId, id, decision.Demand.Id, request.Kind);
        return TypedResults.Created(location, decision);
    }

    static async Task<IResult> ExportMinutes(long id, CurrentUser user, MySqlDataSource db, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        if (await ReachesAsync(connection, null, id, user, ct) is null)
        {
            return Problems.NotFound();
        }
        var meeting = (await LoadAsync(connection, null, id, ct))!;
        var bytes = MeetingMinutes.Write(meeting);
        return Results.File(bytes, Infrastructure.Export.Spreadsheet.ContentType, $"meeting-{meeting.Month}.xlsx");
    }

    private sealed class SummaryRow
    {
        public long Id { get; init; }
        public long BranchId { get; init; }
        public string BranchName { get; init; } = "";
        public DateTime Month { get; init; }
        public DateTime? HeldOn { get; init; }
        public DateTimeOffset GeneratedAt { get; init; }
        public long AgendaCount { get; init; }
        public long DecisionCount { get; init; }
    }

    private sealed class MeetingRow
    {
        public long Id { get; init; }
        public long BranchId { get; init; }
        public string BranchName { get; init; } = "";
        public DateTime Month { get; init; }
        public DateTime? HeldOn { get; init; }
        public string? Location { get; init; }
        public DateTimeOffset WindowStart { get; init; }
        public DateTimeOffset GeneratedAt { get; init; }
    }

    private sealed class ItemRow
    {
        public long Id { get; init; }
        public int Seq { get; init; }
        public string Reason { get; init; } = "";
        public long? DemandId { get; init; }
        public string? Number { get; init; }
        public string? Title { get; init; }
        public string? Category { get; init; }
        public string? Status { get; init; }
        public long EnterpriseId { get; init; }
        public string EnterpriseName { get; init; } = "";
        public DateTime? DueDate { get; init; }
        public string Note { get; init; } = "";
    }

    private sealed class DecisionRow
    {
        public long Id { get; init; }
        public long MeetingId { get; init; }
        public long? AgendaItemId { get; init; }
        public long DemandId { get; init; }
        public string Number { get; init; } = "";
        public string Title { get; init; } = "";
        public string Category { get; init; } = "";
        public string Status { get; init; } = "";
        public string Kind { get; init; } = "";
        public string Text { get; init; } = "";
        public long? OwnerMemberId { get; init; }
        public long? DepartmentId { get; init; }
        public DateTime? DueDate { get; init; }
        public long? DemandEventId { get; init; }
        public long DecidedBy { get; init; }
        public string DeciderName { get; init; } = "";
        public DateTimeOffset CreatedAt { get; init; }

        public DecisionResponse ToResponse() => new(Id, MeetingId, AgendaItemId, new AgendaDemand(DemandId, Number, Title, Category, Status), Kind,
            DecisionKinds.Names.GetValueOrDefault(Kind, Kind), Text, OwnerMemberId, DepartmentId, DueDate is { } d ? DateOnly.FromDateTime(d) : null,
            DemandEventId, new PersonRef(DecidedBy, DeciderName), CreatedAt);
    }

    private static async Task<List<DecisionResponse>> LoadDecisionsAsync(DbConnection connection, DbTransaction? tx, long meetingId, long? onlyId, CancellationToken ct) =>
        (await connection.QueryAsync<DecisionRow>(new CommandDefinition($"""
            SELECT x.id, x.meeting_id, x.agenda_item_id, x.demand_id, d.number, d.title, d.category, d.status, x.kind, x.text, x.owner_member_id,
                   x.department_id, x.due_date, x.demand_event_id, x.decided_by, {PersonNames.Name} AS decider_name, x.created_at
            FROM meeting_decisions x JOIN demands d ON d.id = x.demand_id JOIN users u ON u.id = x.decided_by
            WHERE x.meeting_id = @meetingId AND (@onlyId IS NULL OR x.id = @onlyId)
            ORDER BY x.id
            """, new { meetingId, onlyId }, tx, cancellationToken: ct))).Select(r => r.ToResponse()).ToList();

    internal static async Task<MeetingResponse?> LoadAsync(DbConnection connection, DbTransaction? tx, long id, CancellationToken ct)
    {
        var meeting = await connection.QuerySingleOrDefaultAsync<MeetingRow>(new CommandDefinition("""
            SELECT mt.id, mt.branch_id, b.name AS branch_name, mt.month, mt.held_on, mt.location, mt.window_start, mt.generated_at
            FROM meetings mt JOIN party_branches b ON b.id = mt.branch_id WHERE mt.id = @id
            """, new { id }, tx, cancellationToken: ct));
        if (meeting is null)
        {
            return null;
        }
        var items = (await connection.QueryAsync<ItemRow>(new CommandDefinition("""
            SELECT a.id, a.seq, a.reason, a.demand_id, d.number, d.title, d.category, d.status, a.enterprise_id, e.name AS enterprise_name, a.due_date, a.note
            FROM meeting_agenda_items a JOIN enterprises e ON e.id = a.enterprise_id LEFT JOIN demands d ON d.id = a.demand_id
            WHERE a.meeting_id = @id ORDER BY a.seq
            """, new { id }, tx, cancellationToken: ct))).Select(a => new AgendaItem(a.Id, a.Seq, a.Reason, AgendaReasons.Names.GetValueOrDefault(a.Reason, a.Reason),
            a.DemandId is { } d ? new AgendaDemand(d, a.Number!, a.Title!, a.Category!, a.Status!) : null, new PersonRef(a.EnterpriseId, a.EnterpriseName),
            a.DueDate is { } due ? DateOnly.FromDateTime(due) : null, a.Note)).ToList();
        var omitted = (await connection.QueryAsync<(string Reason, int Omitted)>(new CommandDefinition(
            "SELECT reason, omitted FROM meeting_agenda_omitted WHERE meeting_id = @id", new { id }, tx, cancellationToken: ct)))
            .OrderBy(o => AgendaReasons.Order.ToList().IndexOf(o.Reason))
            .Select(o => new AgendaOmitted(o.Reason, AgendaReasons.Names.GetValueOrDefault(o.Reason, o.Reason), o.Omitted, AgendaReasons.ListLink(o.Reason)))
            .ToList();
        return new MeetingResponse(meeting.Id, meeting.BranchId, meeting.BranchName, Periods.MonthText(DateOnly.FromDateTime(meeting.Month)),
            meeting.HeldOn is { } h ? DateOnly.FromDateTime(h) : null, meeting.Location, meeting.WindowStart, meeting.GeneratedAt, items,
            await LoadDecisionsAsync(connection, tx, id, null, ct), omitted);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 7010, Level = LogLevel.Information, Message = "Meeting {MeetingId} of branch {BranchId} for {Month} generated with {Items} agenda item(s)")]
        public static partial void MeetingCreated(ILogger logger, long meetingId, long branchId, string month, int items);

        [LoggerMessage(EventId = 7011, Level = LogLevel.Information, Message = "Decision {DecisionId} of meeting {MeetingId} applied to demand {DemandId}: {Kind}")]
        public static partial void DecisionApplied(ILogger logger, long decisionId, long meetingId, long demandId, string kind);
    }
}
