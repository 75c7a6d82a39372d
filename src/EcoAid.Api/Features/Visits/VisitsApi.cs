using EcoAid.Api.Features.Organisation;
using System.Data.Common;
using Dapper;
using EcoAid.Api.Features.Calendar;
using EcoAid.Api.Features.Demands;
using EcoAid.Api.Features.Stats;
using EcoAid.Api.Infrastructure;
using EcoAid.Api.Infrastructure.Auth;
using EcoAid.Api.Infrastructure.Http;
using EcoAid.Api.Infrastructure.Validation;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using MySqlConnector;
using JsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;

namespace EcoAid.Api.Features.Visits;

/// <summary>
/// Follow-up visits (回访督查), on-site help (现场帮扶) and expert visits (专家指导) to assisted enterprises. A rectification
/// item found on the spot becomes a demand with source <c>visit</c>, linked to the visit, opened exactly as intake opens one.
/// </summary>
public static partial class VisitsApi
{
    internal static IEndpointRouteBuilder MapVisitEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/visits").WithTags("Visits").AddEndpointFilter<ValidationFilter>();
        group.MapPost("/", RecordVisit).Produces<VisitResponse>(201).Answers(409, 422).RequireAuthorization(VisitPolicies.Recorder).WithName(nameof(RecordVisit))
            .WithSummary("记录回访").WithDescription("kind：follow_up 回访督查、onsite 现场帮扶、expert 专家指导。participants 给出参加的专班成员和专家库中的专家；" +
                "newDemands 中每一条现场发现的整改事项都会成为一条来源为 visit 的诉求（待受理），并与本次回访关联。专班成员只能记录自己包挂企业的回访。支持 Idempotency-Key。");
        group.MapGet("/", ListVisits).RequireAuthorization(VisitPolicies.Reader).WithName(nameof(ListVisits))
            .WithSummary("回访记录").WithDescription("专班成员只看到自己包挂企业的回访；服务专员、书记看全支部；市局看全市。筛选：enterpriseId、month（yyyy-MM）、kind。");
        group.MapGet("/{id:long}", GetVisit).RequireAuthorization(VisitPolicies.Reader).WithName(nameof(GetVisit)).WithSummary("回访详情")
            .WithDescription("参加的成员和专家（电话打码）、回访情况，以及由此生成的整改诉求和它们的当前状态。");
        group.MapGet("/due", ListDueVisits).RequireAuthorization(VisitPolicies.Recorder).WithName(nameof(ListDueVisits))
            .WithSummary("本月待回访企业").WithDescription("month（yyyy-MM，默认本月，北京时间）内还没有任何回访记录的企业：专班成员看自己包挂的，服务专员、书记看全支部。");
        return routes;
    }

    /// <summary>
    /// Which visits (and enterprises, for recording) a user reaches: commissioners, secretaries and the city level those of
    /// every enterprise of their branches; a member those of the enterprises they are liaison (包挂) for.
    /// </summary>
    internal static string EnterpriseReach(CurrentUser user) =>
        user.IsAnyOf(Roles.Commissioner, Roles.Secretary, Roles.CityViewer, Roles.CityAdmin) ? "e.branch_id IN @ReachBranchIds"
        : user.IsInRole(Roles.Member) && user.MemberId is not null ? "e.branch_id IN @ReachBranchIds AND e.liaison_member_id = @ReachMemberId"
        : "FALSE";

    internal static DynamicParameters ReachParameters(CurrentUser user)
    {
        var p = new DynamicParameters();
        p.Add("ReachBranchIds", user.BranchIds);
        p.Add("ReachMemberId", user.MemberId);
        return p;
    }

    static async Task<IResult> RecordVisit(RecordVisitRequest request, HttpRequest http, CurrentUser user, MySqlDataSource db, TimeProvider clock,
        IContentCheck contentCheck, IOptions<JsonOptions> json, ILoggerFactory loggers, CancellationToken ct)
    {
        if (Idempotency.ValidateHeader(http, out var key) is { } badKey)
        {
            return badKey;
        }
        var now = clock.GetUtcNow();
        var visitedOn = request.VisitedOn!.Value;
        if (visitedOn > WorkingCalendar.Today(now))
        {
            return Problems.Validation("visitedOn", "回访日期不能晚于今天。");
        }

        await using var connection = await db.OpenConnectionAsync(ct);
        var p = ReachParameters(user);
        p.Add("EnterpriseId", request.EnterpriseId);
        var enterprise = await connection.QuerySingleOrDefaultAsync<(long Id, long BranchId, string Name, long? LiaisonMemberId)?>(new CommandDefinition(
            $"SELECT e.id, e.branch_id, e.name, e.liaison_member_id FROM enterprises e WHERE e.id = @EnterpriseId AND {EnterpriseReach(user)}",
            p, cancellationToken: ct));
        if (enterprise is not { } target)
        {
            return Problems.NotFound("指定的企业不存在或不在您的范围内。");
        }

        var memberIds = request.Participants!.MemberIds!.Distinct().ToArray();
        var expertIds = (request.Participants.ExpertIds ?? []).Distinct().ToArray();
        var knownMembers = await connection.ExecuteScalarAsync<int>(new CommandDefinition(
            "SELECT COUNT(*) FROM members WHERE id IN @memberIds AND branch_id = @BranchId", new { memberIds, target.BranchId }, cancellationToken: ct));
        if (knownMembers != memberIds.Length)
        {
            return Problems.Validation("participants.memberIds", "成员不存在或不属于本支部。");
        }
        var knownExperts = expertIds.Length == 0 ? 0 : await connection.ExecuteScalarAsync<int>(new CommandDefinition(
            "SELECT COUNT(*) FROM experts WHERE id IN @expertIds AND branch_id = @BranchId", new { expertIds, target.BranchId }, cancellationToken: ct));
        if (knownExperts != expertIds.Length)
        {
            return Problems.Validation("participants.expertIds", "专家不存在或不在本支部专家库中。");
        }

        // Rectification items are shown to the enterprise like any demand, so they pass the same content check, before
        // the transaction: WeChat is slow compared to the database and must not hold locks.
        var newDemands = request.NewDemands ?? [];
        var contentStates = new List<string>();
        if (newDemands.Length > 0)
        {
            var openId = await connection.ExecuteScalarAsync<string>(new CommandDefinition("SELECT openid FROM users WHERE id = @Id", new { user.Id }, cancellationToken: ct));
            for (var i = 0; i < newDemands.Length; i++)
            {
                var verdict = await contentCheck.CheckAsync(openId!, $"{newDemands[i].Title}\n{newDemands[i].Description}", ct);
                if (verdict == ContentVerdict.Risky)
                {
                    return Problems.Create(StatusCodes.Status422UnprocessableEntity, "demand.content_risky", "内容未通过安全检测",
                        $"第 {i + 1} 条整改事项的标题或描述含有不适宜发布的内容，请修改后再提交。");
                }
                contentStates.Add(DemandIntake.ContentState(verdict));
            }
        }

        await using var tx = await connection.BeginTransactionAsync(ct);
        var claim = await Idempotency.ClaimAsync(connection, tx, user.Id, key, Idempotency.HashOf(request), now, ct);
        if (!claim.Proceed)
        {
            return claim.Answer!;
        }
        var visitId = await connection.ExecuteScalarAsync<long>(new CommandDefinition("""
            INSERT INTO visits (branch_id, enterprise_id, visited_on, kind, findings, recorded_by, created_at)
            VALUES (@BranchId, @Id, @visitedOn, @Kind, @findings, @userId, @now);
            SELECT LAST_INSERT_ID();
            """, new
        {
            target.BranchId, target.Id, visitedOn = visitedOn.ToDateTime(TimeOnly.MinValue), request.Kind, findings = request.Findings.Trim(),
            userId = user.Id, now = now.UtcDateTime,
        }, tx, cancellationToken: ct));
        await connection.ExecuteAsync(new CommandDefinition("INSERT INTO visit_members (visit_id, member_id) VALUES (@visitId, @memberId)",
            memberIds.Select(memberId => new { visitId, memberId }), tx, cancellationToken: ct));
        if (expertIds.Length > 0)
        {
            await connection.ExecuteAsync(new CommandDefinition("INSERT INTO visit_experts (visit_id, expert_id) VALUES (@visitId, @expertId)",
                expertIds.Select(expertId => new { visitId, expertId }), tx, cancellationToken: ct));
        }
        for (var i = 0; i < newDemands.Length; i++)
        {
            var item = newDemands[i];
            var (demandId, _) = await DemandIntake.InsertAsync(connection, tx, new DemandIntake.NewDemand(target.BranchId, target.Id, target.Name,
                target.LiaisonMemberId, item.Category, "visit", item.Title, item.Description, item.Urgent ?? false, item.ExpectedBy, contentStates[i], user.Id,
                $"{visitedOn:yyyy-MM-dd} {VisitKinds.Names[request.Kind]}中发现的整改事项", null), now, ct);
            await connection.ExecuteAsync(new CommandDefinition("INSERT INTO visit_demands (visit_id, demand_id) VALUES (@visitId, @demandId)",
                new { visitId, demandId }, tx, cancellationToken: ct));
        }

        var created = (await LoadAsync(connection, tx, [visitId], user, ct)).Single();
        var location = $"/api/visits/{visitId}";
        await Idempotency.CompleteAsync(connection, tx, user.Id, key, StatusCodes.Status201Created, created, location, json.Value.SerializerOptions, ct);
        await tx.CommitAsync(ct);
        Log.VisitRecorded(loggers.CreateLogger(typeof(VisitsApi)), visitId, target.Id, newDemands.Length);
        return TypedResults.Created(location, created);
    }

    static async Task<Results<Ok<PagedList<VisitResponse>>, ValidationProblem>> ListVisits(CurrentUser user, MySqlDataSource db, TimeProvider clock,
        int? page, int? pageSize, long? enterpriseId, string? month, string? kind, CancellationToken ct)
    {
        if (!Paging.TryCreate(page, pageSize, out var paging, out var errors))
        {
            return Problems.Validation(errors);
        }
        var p = ReachParameters(user);
        var filters = new List<string> { EnterpriseReach(user) };
        if (enterpriseId is not null) { filters.Add("v.enterprise_id = @enterpriseId"); p.Add("enterpriseId", enterpriseId); }
        if (kind is not null)
        {
            if (!VisitKinds.Names.ContainsKey(kind))
            {
                return Problems.Validation("kind", ValidationErrors.OneOfMessage(VisitKinds.Names.Keys, VisitKinds.Names));
            }
            filters.Add("v.kind = @kind");
            p.Add("kind", kind);
        }
        if (month is not null)
        {
            if (!Periods.TryParseMonth(month, out var first))
            {
                return Problems.Validation("month", "月份格式应为 yyyy-MM。");
            }
            filters.Add("v.visited_on BETWEEN @monthStart AND @monthEnd");
            p.Add("monthStart", first.ToDateTime(TimeOnly.MinValue));
            p.Add("monthEnd", Periods.LastDayOfMonth(first).ToDateTime(TimeOnly.MinValue));
        }
        p.Add("PageSize", paging.PageSize);
        p.Add("Offset", paging.Offset);
        var where = string.Join(" AND ", filters);
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var results = await connection.QueryMultipleAsync(new CommandDefinition($"""
            SELECT v.id FROM visits v JOIN enterprises e ON e.id = v.enterprise_id WHERE {where}
            ORDER BY v.visited_on DESC, v.id DESC LIMIT @PageSize OFFSET @Offset;
            SELECT COUNT(*) FROM visits v JOIN enterprises e ON e.id = v.enterprise_id WHERE {where};
            """, p, cancellationToken: ct));
        var ids = (await results.ReadAsync<long>()).ToList();
        var total = await results.ReadSingleAsync<long>();
        var visits = await LoadAsync(connection, null, ids, user, ct);
        await ExpertPhonesShownAsync(connection, user, visits, clock.GetUtcNow(), ct);
        return TypedResults.Ok(new PagedList<VisitResponse>(visits, total, paging.Page, paging.PageSize));
    }

    static async Task<Results<Ok<VisitResponse>, ProblemHttpResult>> GetVisit(long id, CurrentUser user, MySqlDataSource db, TimeProvider clock,
        CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var p = ReachParameters(user);
        p.Add("id", id);
        var reachable = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            $"SELECT EXISTS (SELECT 1 FROM visits v JOIN enterprises e ON e.id = v.enterprise_id WHERE v.id = @id AND {EnterpriseReach(user)})", p, cancellationToken: ct));
        if (!reachable)
        {
            return Problems.NotFound();
        }
        var visit = (await LoadAsync(connection, null, [id], user, ct)).Single();
        await ExpertPhonesShownAsync(connection, user, [visit], clock.GetUtcNow(), ct);
        return TypedResults.Ok(visit);
    }

    /// <summary>Experts' full numbers in visits shown to a city administrator go in the audit trail.</summary>
    private static Task ExpertPhonesShownAsync(MySqlConnection connection, CurrentUser user, IEnumerable<VisitResponse> visits, DateTimeOffset now,
        CancellationToken ct) =>
        Audit.PersonalDataAudit.PhonesShownAsync(connection, user, "expert", null,
            visits.SelectMany(v => v.Participants.Experts).Select(x => (x.Id, x.PhoneMasked)), now, ct);

    static async Task<Results<Ok<PagedList<DueVisit>>, ValidationProblem>> ListDueVisits(CurrentUser user, MySqlDataSource db, TimeProvider clock,
        string? month, int? page, int? pageSize, CancellationToken ct)
    {
        if (!Paging.TryCreate(page, pageSize, out var paging, out var errors))
        {
            return Problems.Validation(errors);
        }
        var first = Periods.MonthOf(WorkingCalendar.Today(clock.GetUtcNow()));
        if (month is not null && !Periods.TryParseMonth(month, out first))
        {
            return Problems.Validation("month", "月份格式应为 yyyy-MM。");
        }
        var p = ReachParameters(user);
        p.AddDynamicParams(new
        {
            monthStart = first.ToDateTime(TimeOnly.MinValue), monthEnd = Periods.LastDayOfMonth(first).ToDateTime(TimeOnly.MinValue),
            paging.PageSize, paging.Offset,
        });
        var where = $"""
            {EnterpriseReach(user)}
            AND NOT EXISTS (SELECT 1 FROM visits v WHERE v.enterprise_id = e.id AND v.visited_on BETWEEN @monthStart AND @monthEnd)
            """;
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var results = await connection.QueryMultipleAsync(new CommandDefinition($"""
            SELECT e.id AS enterprise_id, e.name AS enterprise_name, e.branch_id, e.liaison_member_id, m.name AS liaison_name,
                   (SELECT MAX(v.visited_on) FROM visits v WHERE v.enterprise_id = e.id AND v.visited_on < @monthStart) AS last_visited_on
            FROM enterprises e LEFT JOIN members m ON m.id = e.liaison_member_id
            WHERE {where} ORDER BY e.branch_id, e.name, e.id LIMIT @PageSize OFFSET @Offset;
            SELECT COUNT(*) FROM enterprises e WHERE {where};
            """, p, cancellationToken: ct));
        var items = (await results.ReadAsync<DueRow>()).Select(r => new DueVisit(r.EnterpriseId, r.EnterpriseName, r.BranchId,
            r.LiaisonMemberId is { } m ? new PersonRef(m, r.LiaisonName ?? "") : null,
            r.LastVisitedOn is { } last ? DateOnly.FromDateTime(last) : null)).ToList();
        return TypedResults.Ok(new PagedList<DueVisit>(items, await results.ReadSingleAsync<long>(), paging.Page, paging.PageSize));
    }

    private sealed class DueRow
    {
        public long EnterpriseId { get; init; }
        public string EnterpriseName { get; init; } = "";
        public long BranchId { get; init; }
        public long? LiaisonMemberId { get; init; }
        public string? LiaisonName { get; init; }
        public DateTime? LastVisitedOn { get; init; }
    }

    private sealed class VisitRow
    {
        public long Id { get; init; }
        public long BranchId { get; init; }
        public long EnterpriseId { get; init; }
        public string EnterpriseName { get; init; } = "";
        public DateTime VisitedOn { get; init; }
        public string Kind { get; init; } = "";
        public string Findings { get; init; } = "";
        public long RecordedBy { get; init; }
        public string RecorderName { get; init; } = "";
        public DateTimeOffset CreatedAt { get; init; }
    }

    /// <summary>The visits with these ids (already known to be in reach), participants and demands included, in the order given.</summary>
    internal static async Task<List<VisitResponse>> LoadAsync(DbConnection connection, DbTransaction? tx, IReadOnlyList<long> ids, CurrentUser user, CancellationToken ct)
    {
        if (ids.Count == 0)
        {
            return [];
        }
        await using var results = await connection.QueryMultipleAsync(new CommandDefinition($"""
            SELECT v.id, v.branch_id, v.enterprise_id, e.name AS enterprise_name, v.visited_on, v.kind, v.findings, v.recorded_by,
                   {PersonNames.Name} AS recorder_name, v.created_at
            FROM visits v JOIN enterprises e ON e.id = v.enterprise_id JOIN users u ON u.id = v.recorded_by WHERE v.id IN @ids;
            SELECT vm.visit_id, m.id, m.name FROM visit_members vm JOIN members m ON m.id = vm.member_id WHERE vm.visit_id IN @ids ORDER BY m.id;
            SELECT ve.visit_id, x.id, x.name, x.specialty, x.organisation, x.phone FROM visit_experts ve JOIN experts x ON x.id = ve.expert_id
            WHERE ve.visit_id IN @ids ORDER BY x.id;
            SELECT vd.visit_id, d.id, d.number, d.title, d.status FROM visit_demands vd JOIN demands d ON d.id = vd.demand_id
            WHERE vd.visit_id IN @ids ORDER BY d.id;
            """, new { ids }, tx, cancellationToken: ct));
        var visits = (await results.ReadAsync<VisitRow>()).ToDictionary(v => v.Id);
        var members = (await results.ReadAsync<(long VisitId, long Id, string Name)>()).ToLookup(m => m.VisitId, m => new PersonRef(m.Id, m.Name));
        var experts = (await results.ReadAsync<(long VisitId, long Id, string Name, string Specialty, string? Organisation, string? Phone)>())
            .ToLookup(x => x.VisitId, x => new ExpertRef(x.Id, x.Name, x.Specialty, x.Organisation,
                user.SeesFullPhoneNumbers ? x.Phone : PhoneNumbers.Mask(x.Phone)));
        var demands = (await results.ReadAsync<(long VisitId, long Id, string Number, string Title, string Status)>())
            .ToLookup(d => d.VisitId, d => new VisitDemand(d.Id, d.Number, d.Title, d.Status));
        return ids.Where(visits.ContainsKey).Select(id =>
        {
            var v = visits[id];
            return new VisitResponse(v.Id, v.BranchId, v.EnterpriseId, v.EnterpriseName, DateOnly.FromDateTime(v.VisitedOn), v.Kind,
                VisitKinds.Names.GetValueOrDefault(v.Kind, v.Kind), new VisitParticipants(members[id].ToList(), experts[id].ToList()), v.Findings,
                demands[id].ToList(), new PersonRef(v.RecordedBy, v.RecorderName), v.CreatedAt);
        }).ToList();
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 7000, Level = LogLevel.Information, Message = "Visit {VisitId} to enterprise {EnterpriseId} recorded with {DemandCount} rectification demand(s)")]
        public static partial void VisitRecorded(ILogger logger, long visitId, long enterpriseId, int demandCount);
    }
}
