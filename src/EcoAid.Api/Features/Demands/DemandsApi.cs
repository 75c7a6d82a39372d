using System.Data.Common;
using System.Text.Json;
using Dapper;
using EcoAid.Api.Features.Calendar;
using EcoAid.Api.Features.Notifications;
using EcoAid.Api.Infrastructure;
using EcoAid.Api.Infrastructure.Auth;
using EcoAid.Api.Infrastructure.Database;
using EcoAid.Api.Infrastructure.Http;
using EcoAid.Api.Infrastructure.Validation;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using MySqlConnector;
using JsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;

namespace EcoAid.Api.Features.Demands;

public sealed class DemandOptions
{
    /// <summary>How many demands one user may submit per (Shanghai) day, across all instances.</summary>
    public int DailyLimitPerUser { get; set; } = 20;
}

/// <summary>Demands (诉求): intake, queries and export. The workflow actions are in <see cref="DemandWorkflowApi"/>.</summary>
public static partial class DemandsApi
{
    internal static IEndpointRouteBuilder MapDemandEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/demands").WithTags("Demands").AddEndpointFilter<ValidationFilter>();
        group.MapPost("/", SubmitDemand).Produces<CreatedDemand>(201).Answers(409, 422).RequireAuthorization(DemandPolicies.Submitter).RequireRateLimiting(Hardening.SubmissionPolicy).WithName(nameof(SubmitDemand)).WithMetadata(RequestConnection.Shared)
            .WithSummary("提交诉求").WithDescription("企业联系人为本企业提交；服务专员、支部书记可代企业提交（须给出 enterpriseId 与 source）。支持 Idempotency-Key。");
        group.MapGet("/", ListDemands).RequireAuthorization(DemandPolicies.Reader).WithName(nameof(ListDemands)).WithMetadata(RequestConnection.SharedReadOnly)
            .WithSummary("诉求列表").WithDescription("按角色限定范围。筛选：status、category、enterpriseId、owner=me、overdue=true、dueBy=yyyy-MM-dd（办理中、完成时限在今天到该日之间，不含已逾期）、q（标题与描述）。"
                + "两种翻页：page/pageSize（带 total；includeTotal=false 时不计总数，total 为 null），或 cursor/pageSize：首页传 cursor= 空值或不传 page 而传 cursor，"
                + "之后把上一页的 nextCursor 原样传回，任意深度都一样快；cursor 翻页默认不计总数（includeTotal=true 时计）。nextCursor 为 null 表示没有下一页。");
        group.MapGet("/{id:long}", GetDemand).RequireAuthorization(DemandPolicies.Reader).WithName(nameof(GetDemand))
            .WithSummary("诉求详情").WithDescription("含计划、责任人、时限、评价和时间线；企业联系人看不到内部事件。");
        group.MapDemandWorkflow();
        group.MapDemandExport();
        return routes;
    }

    /// <summary>
    /// A submission in four round trips to the database (the session check's, which opened the connection, and three),
    /// the branch's number lock held for one batch: before the transaction, one batch reads the enterprise, the submitter's
    /// openid, the commissioners and the contact's name (none of it needs a lock); then WeChat's content check (it decides
    /// the answer's status and who is told, so the answer waits for it; see ContentCheck.cs); then one batch begins the
    /// transaction with the key's claim, the attachments' ownership, the daily count, the demand and its event, and one
    /// takes the number and writes the outbox rows and the key's answer and commits (DemandIntake.SubmitAsync).
    /// </summary>
    static async Task<IResult> SubmitDemand(SubmitDemandRequest request, HttpRequest http, CurrentUser user, RequestConnection requestConnection, TimeProvider clock,
        IContentCheck contentCheck, IOptions<DemandOptions> options, IOptions<JsonOptions> json, ILoggerFactory loggers, CancellationToken ct)
    {
        if (Idempotency.ValidateHeader(http, out var key) is { } badKey)
        {
            return badKey;
        }
        var onBehalf = user.IsAnyOf(Roles.Commissioner, Roles.Secretary);
        long enterpriseId;
        string source;
        if (onBehalf && request.EnterpriseId is { } chosen)
        {
            enterpriseId = chosen;
            source = request.Source ?? "survey";
        }
        else if (user.IsInRole(Roles.Staff) && user.EnterpriseId is { } own)
        {
            if (request.EnterpriseId is { } other && other != own)
            {
                return Problems.NotFound("指定的企业不存在或不在您的范围内。");
            }
            enterpriseId = own;
            source = request.Source ?? "mini_program";
            // An enterprise raises a 吹哨 itself: it starts the branch's 报到 clock (Features/Whistle).
            if (source is not ("mini_program" or "whistle") && !onBehalf)
            {
                return Problems.Validation("source", "企业提交的诉求来源只能是 mini_program 或 whistle（企业吹哨）。");
            }
        }
        else
        {
            return Problems.Validation("enterpriseId", "代企业提交诉求时须指定企业。");
        }

        var now = clock.GetUtcNow();
        // The session check opened this connection (RequestConnection.Shared): one connection per request.
        var connection = await requestConnection.OpenAsync(ct);
        (long BranchId, long? LiaisonMemberId, string Name)? enterprise;
        string? openId;
        DemandIntake.Audience audience;
        await using (var grid = await connection.QueryMultipleAsync(new CommandDefinition($"""
            SELECT branch_id, liaison_member_id, name FROM enterprises WHERE id = @enterpriseId AND branch_id IN @BranchIds;
            SELECT openid FROM users WHERE id = @Id;
            {DemandIntake.AudienceQueries}
            """, new { enterpriseId, user.BranchIds, user.Id, commissionersOfEnterprise = enterpriseId, personUserId = user.Id, personEnterpriseId = enterpriseId },
            cancellationToken: ct)))
        {
            enterprise = await grid.ReadSingleOrDefaultAsync<(long, long?, string)?>();
            openId = await grid.ReadSingleOrDefaultAsync<string>();
            audience = await DemandIntake.ReadAudienceAsync(grid);
        }
        if (enterprise is not { } target)
        {
            return Problems.NotFound("指定的企业不存在或不在您的范围内。");
        }

        // Checked before the transaction: WeChat is slow compared to the database and must not hold locks.
        // "risky" or "review" does not refuse: the demand waits for a commissioner or the secretary to look at it.
        var verdict = await contentCheck.CheckAsync(openId!, $"{request.Title}\n{request.Description}", ct);

        var contentState = DemandIntake.ContentState(verdict);
        var status = DemandIntake.StatusFor(contentState);
        var serializer = json.Value.SerializerOptions;
        var keyed = key is null ? null : new DemandIntake.KeyedAnswer(user.Id, key, StatusCodes.Status201Created,
            (demandId, provisional) => JsonSerializer.Serialize(new CreatedDemand(demandId, provisional, status, DemandWorkflow.StatusName(status)), serializer),
            demandId => $"/api/demands/{demandId}");
        var today = WorkingCalendar.Today(now);
        var demand = new DemandIntake.NewDemand(target.BranchId, enterpriseId, target.Name, target.LiaisonMemberId, request.Category,
            source, request.Title, request.Description, request.Urgent ?? false, request.ExpectedBy, contentState, user.Id,
            onBehalf && enterpriseId != user.EnterpriseId ? $"代企业提交（来源：{DemandSources.Names[source]}）" : null, request.AttachmentIds);
        var count = new DemandIntake.DailyCount(user.Id, today, options.Value.DailyLimitPerUser);
        var hash = Idempotency.HashOf(request);

        // Two round trips that begin, write and commit the transaction: the key's claim, the attachments' owner, the day's
        // count, the demand and its event; then the number, the outbox rows, the key's answer and the COMMIT.
        var written = await DemandIntake.SubmitAsync(connection, null, demand, audience, now, count,
            key is null ? null : new Idempotency.KeyClaim(user.Id, key, hash), keyed, ct);
        if (written.Refused == DemandIntake.Refusal.KeyInFlight)
        {
            return Idempotency.InProgress().Answer!;
        }
        if (written.Refused == DemandIntake.Refusal.KeyTaken)
        {
            // The key was used before (a retry): the claim decides as always — the stored answer, 422 for another body, or a
            // dead request's claim taken over, and then the demand is written in that transaction.
            await using var tx = await connection.BeginTransactionAsync(ct);
            var claim = await Idempotency.ClaimAsync(connection, tx, user.Id, key, hash, now, ct);
            if (!claim.Proceed)
            {
                return claim.Answer!;
            }
            written = await DemandIntake.SubmitAsync(connection, tx, demand, audience, now, count, null, keyed, ct);
            if (written.Refused is null)
            {
                // Already committed by the batch; this only closes the transaction object, and a client gone now must
                // not turn a committed demand into an error.
                await tx.CommitAsync(CancellationToken.None);
            }
            else
            {
                await tx.RollbackAsync(CancellationToken.None);
            }
        }
        if (written.Refused == DemandIntake.Refusal.AttachmentsNotOwned)
        {
            return Problems.Validation("attachmentIds", "附件不存在，或不是您上传的。");
        }
        if (written.Refused == DemandIntake.Refusal.OverDailyLimit)
        {
            // Retry-After: until midnight, Asia/Shanghai (UTC+8, no daylight saving).
            var tomorrow = new DateTimeOffset(today.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.FromHours(8));
            return Hardening.WithRetryAfter(Problems.Create(StatusCodes.Status429TooManyRequests, "demand.daily_limit", "提交过于频繁",
                $"每人每天最多提交 {options.Value.DailyLimitPerUser} 条诉求，请明天再试。"), tomorrow - now);
        }
        var (id, number, _) = written;

        var created = new CreatedDemand(id, number, status, DemandWorkflow.StatusName(status));
        var location = $"/api/demands/{id}";
        Log.Submitted(loggers.CreateLogger(typeof(DemandsApi)), id, number, contentState);
        return TypedResults.Created(location, created);
    }

    static async Task<Results<Ok<DemandListPage>, ValidationProblem>> ListDemands(CurrentUser user, RequestConnection requestConnection, TimeProvider clock,
        DemandCounts counts, int? page, int? pageSize, string? cursor, bool? includeTotal, string? status, string? category, long? enterpriseId, string? owner, bool? overdue, string? dueBy, string? q,
        CancellationToken ct)
    {
        if (!Paging.TryCreate(page, pageSize, out var paging, out var errors))
        {
            return Problems.Validation(errors);
        }
        // Cursor paging: `cursor` present (empty for the first page). The position is the last row's (submitted_at, id).
        var byCursor = cursor is not null;
        DemandCursor.Position? after = null;
        if (byCursor && page is not null)
        {
            return Problems.Validation("cursor", "cursor 与 page 不能同时使用。");
        }
        if (byCursor && cursor!.Length > 0)
        {
            if (DemandCursor.Decode(cursor) is not { } position)
            {
                return Problems.Validation("cursor", "cursor 无效，请使用上一页返回的 nextCursor。");
            }
            after = position;
        }
        if (status is not null && !DemandStatus.All.Contains(status))
        {
            return Problems.Validation("status", $"状态须为以下之一：{string.Join("、", DemandStatus.All.Select(s => $"{DemandWorkflow.StatusName(s)}（{s}）"))}。");
        }
        if (owner is not null && owner != "me")
        {
            return Problems.Validation("owner", "owner 只支持 me。");
        }
        DateOnly dueByDay = default;
        if (dueBy is not null && !Stats.Periods.TryParseDate(dueBy, out dueByDay))
        {
            return Problems.Validation("dueBy", "dueBy 须为日期，格式 yyyy-MM-dd，如 2026-03-09。");
        }

        var now = clock.GetUtcNow();
        var p = DemandStore.ReachParameters(user);
        var filters = new List<string> { DemandStore.ReachClause(user) };
        if (status is not null) { filters.Add("d.status = @status"); p.Add("status", status); }
        if (category is not null) { filters.Add("d.category = @category"); p.Add("category", category); }
        if (enterpriseId is not null) { filters.Add("d.enterprise_id = @enterpriseId"); p.Add("enterpriseId", enterpriseId); }
        if (owner == "me")
        {
            filters.Add("(d.owner_member_id = @me OR (d.department_id IS NOT NULL AND d.department_id = @myDepartment))");
            p.Add("me", user.MemberId ?? -1);
            p.Add("myDepartment", user.IsInRole(Roles.DepartmentLiaison) ? user.DepartmentId ?? -1 : -1);
        }
        if (overdue == true)
        {
            filters.Add("d.status = 'accepted' AND d.due_date < @today");
            p.Add("today", WorkingCalendar.Today(now).ToDateTime(TimeOnly.MinValue));
        }
        if (dueBy is not null)
        {
            // Due soon: still being worked on, due from today through that day (the overdue ones are overdue=true's).
            filters.Add("d.status = 'accepted' AND d.due_date >= @dueFromToday AND d.due_date <= @dueBy");
            p.Add("dueFromToday", WorkingCalendar.Today(now).ToDateTime(TimeOnly.MinValue));
            p.Add("dueBy", dueByDay.ToDateTime(TimeOnly.MinValue));
        }
        if (!string.IsNullOrWhiteSpace(q))
        {
            filters.Add("(d.title LIKE @q OR d.description LIKE @q OR d.number = @qExact)");
            p.Add("q", "%" + Sql.EscapeLike(q.Trim()) + "%");
            p.Add("qExact", q.Trim());
        }
        var where = string.Join(" AND ", filters);
        // The enterprise is joined only when a filter needs it (a member's reach goes through the enterprise's liaison).
        var from = System.Text.RegularExpressions.Regex.IsMatch(where, @"\be\.") ? "demands d JOIN enterprises e ON e.id = d.enterprise_id" : "demands d";
        // The total's key: the filters and reach with their values, before the page's own parameters join them.
        var countKey = from == "demands d" ? DemandCounts.KeyOf(from, where, p) : null;
        var pageWhere = where;
        if (after is { } position2)
        {
            // Keyset: the rows after the cursor's in the list's order, read from the index on that order at any depth.
            pageWhere += " AND (d.submitted_at < @afterAt OR (d.submitted_at = @afterAt AND d.id < @afterId))";
            p.Add("afterAt", position2.SubmittedAt);
            p.Add("afterId", position2.Id);
        }
        // One row more than the page, to know whether another page follows.
        p.Add("Take", paging.PageSize + 1);
        p.Add("Offset", byCursor ? 0 : paging.Offset);
        var counted = includeTotal ?? !byCursor;
        // A member's reach goes through the enterprise, whose liaison may change without a demand write: counted each time.
        var keep = counted && countKey is not null;
        // The session check opened this connection (RequestConnection.SharedReadOnly): one connection per request, from the
        // pool that skips the reset; the list only reads (DemandCounts.CountAsync too).
        var connection = await requestConnection.OpenAsync(ct, readOnly: true);
        // The page's ids first, through an index on the list's order (ix_demands_branch_recent), then the joins for those
        // rows only: the server no longer joins and sorts every demand of the branch to hand back twenty. Only the list's
        // columns (DemandStore.ListSelect). A kept total is checked against the demands' state, read as two more columns
        // of the page's own statement (DemandCounts.StateColumns); a list without one counts in the same round trip; a
        // list that does not ask for a total runs the page alone.
        var pageSql = $"""
            {DemandStore.ListSelect}{(keep ? ", " + DemandCounts.StateColumns : "")}
            {DemandStore.ListFrom}
            JOIN (SELECT d.id FROM {from} WHERE {pageWhere} ORDER BY d.submitted_at DESC, d.id DESC LIMIT @Take OFFSET @Offset) page ON page.id = d.id
            ORDER BY d.submitted_at DESC, d.id DESC
            """;
        List<DemandListRow> rows;
        long? total = null;
        if (counted && !keep)
        {
            await using var results = await connection.QueryMultipleAsync(new CommandDefinition(
                $"{pageSql};\nSELECT COUNT(*) FROM {from} WHERE {where};", p, cancellationToken: ct));
            rows = (await results.ReadAsync<DemandListRow>()).AsList();
            total = await results.ReadSingleAsync<long>();
        }
        else
        {
            rows = (await connection.QueryAsync<DemandListRow>(new CommandDefinition(pageSql, p, cancellationToken: ct))).AsList();
        }
        if (keep)
        {
            if (rows.Count > 0 && rows[0] is { ListChanges: { } changes, ListLastId: { } lastId })
            {
                total = counts.Find(countKey!, new DemandCounts.State(changes, lastId));
            }
            total ??= await counts.CountAsync(connection, countKey!, from, where, p, ct);
        }
        var more = rows.Count > paging.PageSize;
        if (more)
        {
            rows.RemoveAt(rows.Count - 1);
        }
        var items = rows.Select(d => new DemandListItem(d.Id, d.Number, d.EnterpriseId, d.EnterpriseName, d.Category,
            d.Source, d.Title, d.Status, d.Urgent, d.Due, d.IsOverdue(now), d.OwnerName, d.DepartmentName, d.SubmittedAt,
            DemandWorkflow.StatusName(d.Status), d.Responsible, d.Version, DemandStore.AllowedActions(user, d))).ToList();
        var next = more ? DemandCursor.Encode(new DemandCursor.Position(rows[^1].SubmittedAt.UtcDateTime, rows[^1].Id)) : null;
        return TypedResults.Ok(new DemandListPage(items, total, byCursor ? null : paging.Page, paging.PageSize, next));
    }

    static async Task<Results<Ok<DemandDetail>, ProblemHttpResult>> GetDemand(long id, CurrentUser user, MySqlDataSource db, TimeProvider clock, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var demand = await DemandStore.FindAsync(connection, null, id, user, ct);
        return demand is null ? Problems.NotFound() : TypedResults.Ok(await DemandStore.DetailAsync(connection, demand, user, clock.GetUtcNow(), ct));
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4000, Level = LogLevel.Information, Message = "Demand {DemandId} ({Number}) submitted; content check {ContentCheck}")]
        public static partial void Submitted(ILogger logger, long demandId, string number, string contentCheck);
    }
}

public static class DemandPolicies
{
    public const string Submitter = "demand-submitter";
    public const string Reader = "demand-reader";
    public const string Manager = "demand-manager";
    public const string Worker = "demand-worker";
    public const string Owner = "demand-owner";
    public const string Enterprise = "demand-enterprise";

    public static IServiceCollection AddDemandPolicies(this IServiceCollection services)
    {
        services.AddAuthorizationBuilder()
            .AddPolicy(Submitter, p => p.RequireRole(Roles.Staff, Roles.Commissioner, Roles.Secretary))
            .AddPolicy(Reader, p => p.RequireRole(Roles.Staff, Roles.Member, Roles.Commissioner, Roles.Secretary, Roles.DepartmentLiaison, Roles.CityViewer, Roles.CityAdmin))
            .AddPolicy(Manager, p => p.RequireRole(Roles.Commissioner, Roles.Secretary))
            .AddPolicy(Worker, p => p.RequireRole(Roles.Member, Roles.DepartmentLiaison, Roles.Commissioner, Roles.Secretary))
            .AddPolicy(Owner, p => p.RequireRole(Roles.Member, Roles.DepartmentLiaison, Roles.Commissioner, Roles.Secretary))
            .AddPolicy(Enterprise, p => p.RequireRole(Roles.Staff));
        return services;
    }
}
