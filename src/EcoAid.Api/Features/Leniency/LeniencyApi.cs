using System.Data.Common;
using System.Text.Json;
using Dapper;
using EcoAid.Api.Features.Audit;
using EcoAid.Api.Features.Calendar;
using EcoAid.Api.Features.Demands;
using EcoAid.Api.Features.Notifications;
using EcoAid.Api.Infrastructure;
using EcoAid.Api.Infrastructure.Auth;
using EcoAid.Api.Infrastructure.Http;
using EcoAid.Api.Infrastructure.Validation;
using MySqlConnector;

namespace EcoAid.Api.Features.Leniency;

public sealed record ConditionView(string Code, string Text);

public sealed record MinorViolationItem(long Id, string Code, string Title, string LegalBasis, IReadOnlyList<ConditionView> Conditions, string Source, bool IsExample);

public sealed record PriorRecord(string Kind, DateOnly On, string Text);

public sealed record LeniencyCheckView(long Id, long EnterpriseId, string EnterpriseName, long? DemandId, long? VisitId, MinorViolationItem Item,
    DateOnly ViolationOn, string Harm, bool Corrected, IReadOnlyList<string> ConditionsMet, IReadOnlyList<PriorRecord> PriorRecords, bool FirstViolation,
    string Outcome, string Reasoning, DateOnly? RectifyBy, DateTimeOffset? FollowedUpAt, string? FollowUpNote, DateTimeOffset CreatedAt);

public sealed record RunCheckRequest(long? EnterpriseId, long? ItemId, DateOnly? ViolationOn, string Harm, bool? Corrected, string[]? ConditionsMet,
    long? DemandId, long? VisitId, DateOnly? RectifyBy) : IValidatable
{
    public void Validate(ValidationErrors errors)
    {
        if (EnterpriseId is null) { errors.Add("enterpriseId", "请指定企业。"); }
        if (ItemId is null) { errors.Add("itemId", "请选择轻微违法行为事项。"); }
        if (ViolationOn is null) { errors.Add("violationOn", "请填写违法行为发现日期。"); }
        errors.OneOf("harm", Harm, ["none", "minor", "serious"]);
        if (Corrected is null) { errors.Add("corrected", "请选择是否已及时改正。"); }
        if (DemandId is not null && VisitId is not null) { errors.Add("demandId", "检查对象是诉求或回访发现，二选一。"); }
    }
}

public sealed record FollowUpRequest(string Note) : IValidatable
{
    public void Validate(ValidationErrors errors) => errors.Required("note", Note, 500);
}

/// <summary>
/// 首违不罚 check under art. 33 of the Administrative Penalty Law (2021): a minor violation promptly corrected without
/// harmful consequences is not penalised; a first violation with minor harm, promptly corrected, may go unpunished.
/// The member picks the item from the list (data, each with its source), ticks its conditions; the service reads the
/// enterprise's record of the last 12 months and records the outcome with its reasoning. 免罚不免责: a rectification
/// deadline is tracked and the liaison is reminded to follow up on it.
/// </summary>
public static class LeniencyApi
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static WebApplicationBuilder AddLeniency(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<IReminderSource, LeniencyFollowUpReminders>();
        return builder;
    }

    public static IEndpointRouteBuilder MapLeniency(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/leniency").WithTags("Leniency").AddEndpointFilter<ValidationFilter>().RequireAuthorization(DemandPolicies.Worker);
        group.MapGet("/items", ListItems).Produces<List<MinorViolationItem>>(200).WithName("ListMinorViolationItems")
            .WithSummary("轻微违法行为事项清单").WithDescription("每项含适用条件与出处；isExample=true 的为本项目编写的示例，不是官方清单。");
        group.MapPost("/checks", Run).Produces<LeniencyCheckView>(201).WithIdempotency().WithName("RunLeniencyCheck")
            .WithSummary("首违不罚核查").WithDescription("对诉求或回访发现的问题核查：事项、近 12 个月记录、条件勾选，给出结论与理由；免罚的须给出整改期限（免罚不免责），到期提醒包挂成员回访。");
        group.MapGet("/checks", List).Produces<List<LeniencyCheckView>>(200).WithName("ListLeniencyChecks").WithSummary("首违不罚核查记录").WithDescription("可按 enterpriseId 筛选。");
        group.MapGet("/checks/{id:long}", Get).Produces<LeniencyCheckView>(200).WithName("GetLeniencyCheck").WithSummary("核查详情");
        group.MapPost("/checks/{id:long}/follow-up", FollowUp).Produces<LeniencyCheckView>(200).Answers(409).WithName("RecordLeniencyFollowUp").WithSummary("登记整改回访");
        return routes;
    }

    static async Task<IResult> ListItems(MySqlDataSource db, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return TypedResults.Ok(await ItemsAsync(connection, null, ct));
    }

    private static async Task<List<MinorViolationItem>> ItemsAsync(DbConnection connection, DbTransaction? tx, CancellationToken ct) =>
        (await connection.QueryAsync<(long Id, string Code, string Title, string LegalBasis, string Conditions, string Source, bool IsExample)>(new CommandDefinition(
            "SELECT id, code, title, legal_basis, conditions, source, is_example FROM minor_violation_items ORDER BY id", null, tx, cancellationToken: ct)))
        .Select(r => new MinorViolationItem(r.Id, r.Code, r.Title, r.LegalBasis, JsonSerializer.Deserialize<List<ConditionView>>(r.Conditions, Json) ?? [],
            r.Source, r.IsExample)).ToList();

    /// <summary>Enterprises the user may check: the whole branch for commissioners and the secretary, their own for a liaison.</summary>
    private static string EnterpriseReach(CurrentUser user) =>
        user.IsAnyOf(Roles.Commissioner, Roles.Secretary) ? "e.branch_id IN @BranchIds"
        : user.MemberId is not null ? "e.branch_id IN @BranchIds AND e.liaison_member_id = @MemberId"
        : "FALSE";

    /// <summary>
    /// The record window: findings and penalties on or after the same date a year earlier (2026-03-02 looks back to
    /// 2025-03-02), up to the violation's date. 364 days back is inside, 366 days back is outside.
    /// </summary>
    public static DateOnly WindowStart(DateOnly violationOn) => violationOn.AddYears(-1);

    /// <summary>The outcome and its reasoning; pure, so the rule can be read and tested on its own.</summary>
    public static (string Outcome, string Reasoning) Decide(MinorViolationItem item, string harm, bool corrected, IReadOnlyCollection<string> met,
        IReadOnlyList<PriorRecord> prior)
    {
        var missing = item.Conditions.Where(c => !met.Contains(c.Code)).Select(c => c.Text).ToList();
        var first = prior.Count == 0;
        var record = first ? "近 12 个月内无违法发现或处罚记录，属初次违法"
            : $"近 12 个月内已有 {prior.Count} 条记录（{string.Join("；", prior.Select(p => $"{p.On:yyyy-MM-dd} {p.Text}"))}），不属初次违法";
        var facts = $"事项“{item.Title}”（{item.LegalBasis}）；{(corrected ? "已及时改正" : "未及时改正")}；危害后果：{HarmName(harm)}；{record}";
        if (missing.Count > 0)
        {
            return ("not_eligible", $"{facts}。事项条件未全部满足（{string.Join("、", missing)}），不适用《行政处罚法》第三十三条，依法处理。");
        }
        if (!corrected)
        {
            return ("not_eligible", $"{facts}。未及时改正，不适用《行政处罚法》第三十三条。");
        }
        if (harm == "none")
        {
            return ("no_penalty", $"{facts}。违法行为轻微并及时改正，没有造成危害后果，依《行政处罚法》第三十三条第一款不予行政处罚；免罚不免责，须在期限内完成整改并接受回访。");
        }
        if (harm == "minor" && first)
        {
            return ("may_waive", $"{facts}。初次违法且危害后果轻微并及时改正，依《行政处罚法》第三十三条第一款可以不予行政处罚，由执法部门裁量；免罚不免责，须在期限内完成整改并接受回访。");
        }
        return ("not_eligible", harm == "minor"
            ? $"{facts}。危害后果轻微但非初次违法，不适用第三十三条首违不罚。"
            : $"{facts}。造成了较重的危害后果，不适用《行政处罚法》第三十三条。");
    }

    private static string HarmName(string harm) => harm switch { "none" => "无", "minor" => "轻微", _ => "较重" };

    static async Task<IResult> Run(RunCheckRequest request, CurrentUser user, MySqlDataSource db, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var violationOn = request.ViolationOn!.Value;
        if (violationOn > WorkingCalendar.Today(now))
        {
            return Problems.Validation("violationOn", "发现日期不能晚于今天。");
        }
        await using var connection = await db.OpenConnectionAsync(ct);
        var enterprise = await connection.QuerySingleOrDefaultAsync<(long Id, long BranchId, string Name)?>(new CommandDefinition(
            $"SELECT e.id, e.branch_id, e.name FROM enterprises e WHERE e.id = @EnterpriseId AND {EnterpriseReach(user)}",
            new { request.EnterpriseId, user.BranchIds, user.MemberId }, cancellationToken: ct));
        if (enterprise is not { } target)
        {
            return Problems.NotFound("指定的企业不存在或不在您的范围内。");
        }
        if (request.DemandId is { } demandId)
        {
            var demand = await DemandStore.FindAsync(connection, null, demandId, user, ct);
            if (demand is null || demand.EnterpriseId != target.Id)
            {
                return Problems.NotFound("指定的诉求不存在、不在您的范围内，或不属于该企业。");
            }
        }
        if (request.VisitId is { } visitId && await connection.ExecuteScalarAsync<int>(new CommandDefinition(
                "SELECT COUNT(*) FROM visits WHERE id = @visitId AND enterprise_id = @Id", new { visitId, target.Id }, cancellationToken: ct)) == 0)
        {
            return Problems.NotFound("指定的回访不存在或不属于该企业。");
        }
        var item = (await ItemsAsync(connection, null, ct)).FirstOrDefault(i => i.Id == request.ItemId);
        if (item is null)
        {
            return Problems.Validation("itemId", "没有这个事项。");
        }
        var met = (request.ConditionsMet ?? []).Distinct().ToList();
        if (met.FirstOrDefault(c => item.Conditions.All(x => x.Code != c)) is { } unknown)
        {
            return Problems.Validation("conditionsMet", $"事项没有条件“{unknown}”；可选：{string.Join("、", item.Conditions.Select(c => c.Code))}。");
        }

        await using var tx = await connection.BeginTransactionAsync(ct);
        // One check at a time per enterprise, so two checks of the same day each see the other's record.
        await connection.ExecuteAsync(new CommandDefinition("SELECT id FROM enterprises WHERE id = @Id FOR UPDATE", new { target.Id }, tx, cancellationToken: ct));
        var prior = await PriorAsync(connection, tx, target.Id, violationOn, ct);
        var (outcome, reasoning) = Decide(item, request.Harm, request.Corrected!.Value, met, prior);
        if (outcome != "not_eligible" && request.RectifyBy is null)
        {
            await tx.RollbackAsync(ct);
            return Problems.Validation("rectifyBy", "免罚不免责：请给出整改期限（rectifyBy），到期提醒回访。");
        }
        if (request.RectifyBy is { } by && by < violationOn)
        {
            await tx.RollbackAsync(ct);
            return Problems.Validation("rectifyBy", "整改期限不能早于发现日期。");
        }
        var id = await connection.ExecuteScalarAsync<long>(new CommandDefinition("""
            INSERT INTO leniency_checks (branch_id, enterprise_id, demand_id, visit_id, item_id, violation_on, conditions_met, harm, corrected, prior_records,
                                         outcome, reasoning, rectify_by, checked_by, created_at)
            VALUES (@BranchId, @EnterpriseId, @DemandId, @VisitId, @ItemId, @violationOn, @met, @Harm, @Corrected, @prior, @outcome, @reasoning, @rectifyBy,
                    @userId, @now);
            SELECT LAST_INSERT_ID();
            """, new
        {
            target.BranchId, EnterpriseId = target.Id, request.DemandId, request.VisitId, ItemId = item.Id, violationOn = violationOn.ToDateTime(TimeOnly.MinValue),
            met = JsonSerializer.Serialize(met, Json), request.Harm, request.Corrected, prior = JsonSerializer.Serialize(prior, Json), outcome, reasoning,
            rectifyBy = request.RectifyBy?.ToDateTime(TimeOnly.MinValue), userId = user.Id, now = now.UtcDateTime,
        }, tx, cancellationToken: ct));
        if (request.DemandId is { } onDemand)
        {
            await DemandStore.AppendEventAsync(connection, tx, onDemand, user.Id, "leniency_checked", "internal",
                $"首违不罚核查（{OutcomeName(outcome)}）：{reasoning}" + (request.RectifyBy is { } r ? $" 整改期限 {r:yyyy-MM-dd}。" : ""), null, now, ct);
        }
        await AuditTrail.RecordAsync(connection, tx, AuditEvent.By(user, AuditKinds.LeniencyChecked, "leniency_check", id, new
        {
            enterpriseId = target.Id, request.DemandId, request.VisitId, itemId = item.Id, outcome, priorRecords = prior.Count,
        }) with { BranchId = target.BranchId }, now, ct);
        await tx.CommitAsync(ct);
        return TypedResults.Created($"/api/leniency/checks/{id}", await ViewAsync(connection, id, user, ct));
    }

    public static string OutcomeName(string outcome) => outcome switch
    {
        "no_penalty" => "不予处罚",
        "may_waive" => "可以不予处罚",
        _ => "不适用",
    };

    private static async Task<List<PriorRecord>> PriorAsync(DbConnection connection, DbTransaction tx, long enterpriseId, DateOnly violationOn, CancellationToken ct)
    {
        var p = new { enterpriseId, from = WindowStart(violationOn).ToDateTime(TimeOnly.MinValue), to = violationOn.ToDateTime(TimeOnly.MinValue) };
        var findings = await connection.QueryAsync<(DateTime On, string Title)>(new CommandDefinition("""
            SELECT c.violation_on, i.title FROM leniency_checks c JOIN minor_violation_items i ON i.id = c.item_id
            WHERE c.enterprise_id = @enterpriseId AND c.violation_on BETWEEN @from AND @to ORDER BY c.violation_on
            """, p, tx, cancellationToken: ct));
        var penalties = await connection.QueryAsync<(DateTime On, string Number)>(new CommandDefinition("""
            SELECT c.decided_on, c.decision_number FROM credit_repair_cases c JOIN demands d ON d.id = c.demand_id
            WHERE d.enterprise_id = @enterpriseId AND c.decided_on BETWEEN @from AND @to ORDER BY c.decided_on
            """, p, tx, cancellationToken: ct));
        return findings.Select(f => new PriorRecord("finding", DateOnly.FromDateTime(f.On), $"违法发现：{f.Title}"))
            .Concat(penalties.Select(x => new PriorRecord("penalty", DateOnly.FromDateTime(x.On), $"行政处罚：{x.Number}")))
            .OrderBy(r => r.On).ToList();
    }

    static async Task<IResult> List(CurrentUser user, MySqlDataSource db, long? enterpriseId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var ids = await connection.QueryAsync<long>(new CommandDefinition($"""
            SELECT c.id FROM leniency_checks c JOIN enterprises e ON e.id = c.enterprise_id
            WHERE {EnterpriseReach(user)} AND (@enterpriseId IS NULL OR c.enterprise_id = @enterpriseId) ORDER BY c.id DESC LIMIT 100
            """, new { user.BranchIds, user.MemberId, enterpriseId }, cancellationToken: ct));
        var views = new List<LeniencyCheckView>();
        foreach (var id in ids)
        {
            views.Add((await ViewAsync(connection, id, user, ct))!);
        }
        return TypedResults.Ok(views);
    }

    static async Task<IResult> Get(long id, CurrentUser user, MySqlDataSource db, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var view = await ViewAsync(connection, id, user, ct);
        return view is null ? Problems.NotFound() : TypedResults.Ok(view);
    }

    static async Task<IResult> FollowUp(long id, FollowUpRequest request, CurrentUser user, MySqlDataSource db, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(ct);
        var view = await ViewAsync(connection, id, user, ct);
        if (view is null)
        {
            return Problems.NotFound();
        }
        if (view.RectifyBy is null)
        {
            return Problems.Conflict("leniency.no_rectification", "这次核查没有整改期限，无需回访。");
        }
        await using var tx = await connection.BeginTransactionAsync(ct);
        var updated = await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE leniency_checks SET followed_up_at = @now, follow_up_note = @note WHERE id = @id AND followed_up_at IS NULL",
            new { id, now = now.UtcDateTime, note = request.Note.Trim() }, tx, cancellationToken: ct));
        if (updated == 0)
        {
            return Problems.Conflict("leniency.already_followed_up", "已经登记过回访。");
        }
        if (view.DemandId is { } demandId)
        {
            await DemandStore.AppendEventAsync(connection, tx, demandId, user.Id, "leniency_followed_up", "internal", $"免罚整改回访：{request.Note.Trim()}", null, now, ct);
        }
        await AuditTrail.RecordAsync(connection, tx, AuditEvent.By(user, AuditKinds.LeniencyFollowedUp, "leniency_check", id,
            new { enterpriseId = view.EnterpriseId, view.DemandId }) with
        {
            BranchId = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                "SELECT branch_id FROM leniency_checks WHERE id = @id", new { id }, tx, cancellationToken: ct)),
        }, now, ct);
        await tx.CommitAsync(ct);
        return TypedResults.Ok(await ViewAsync(connection, id, user, ct));
    }

    private static async Task<LeniencyCheckView?> ViewAsync(DbConnection connection, long id, CurrentUser user, CancellationToken ct)
    {
        var row = await connection.QuerySingleOrDefaultAsync<CheckRow>(new CommandDefinition($"""
            SELECT c.id AS Id, c.enterprise_id AS EnterpriseId, e.name AS EnterpriseName, c.demand_id AS DemandId, c.visit_id AS VisitId, c.item_id AS ItemId,
                   c.violation_on AS ViolationOn, c.harm AS Harm, c.corrected AS Corrected, c.conditions_met AS ConditionsMet, c.prior_records AS PriorRecords,
                   c.outcome AS Outcome, c.reasoning AS Reasoning, c.rectify_by AS RectifyBy, c.followed_up_at AS FollowedUpAt,
                   c.follow_up_note AS FollowUpNote, c.created_at AS CreatedAt
            FROM leniency_checks c JOIN enterprises e ON e.id = c.enterprise_id
            WHERE c.id = @id AND {EnterpriseReach(user)}
            """, new { id, user.BranchIds, user.MemberId }, cancellationToken: ct));
        if (row is null)
        {
            return null;
        }
        var item = (await ItemsAsync(connection, null, ct)).Single(i => i.Id == row.ItemId);
        var prior = JsonSerializer.Deserialize<List<PriorRecord>>(row.PriorRecords, Json) ?? [];
        return new LeniencyCheckView(row.Id, row.EnterpriseId, row.EnterpriseName, row.DemandId, row.VisitId, item, DateOnly.FromDateTime(row.ViolationOn),
            row.Harm, row.Corrected, JsonSerializer.Deserialize<List<string>>(row.ConditionsMet, Json) ?? [], prior, prior.Count == 0, row.Outcome, row.Reasoning,
            row.RectifyBy is { } r ? DateOnly.FromDateTime(r) : null, row.FollowedUpAt, row.FollowUpNote, row.CreatedAt);
    }

    private sealed class CheckRow
    {
        public long Id { get; init; }
        public long EnterpriseId { get; init; }
        public string EnterpriseName { get; init; } = "";
        public long? DemandId { get; init; }
        public long? VisitId { get; init; }
        public long ItemId { get; init; }
        public DateTime ViolationOn { get; init; }
        public string Harm { get; init; } = "";
        public bool Corrected { get; init; }
        public string ConditionsMet { get; init; } = "[]";
        public string PriorRecords { get; init; } = "[]";
        public string Outcome { get; init; } = "";
        public string Reasoning { get; init; } = "";
        public DateTime? RectifyBy { get; init; }
        public DateTimeOffset? FollowedUpAt { get; init; }
        public string? FollowUpNote { get; init; }
        public DateTimeOffset CreatedAt { get; init; }
    }
}

/// <summary>免罚不免责: on the rectification deadline of a check not yet followed up, the enterprise's liaison is reminded to visit (once).</summary>
public sealed class LeniencyFollowUpReminders : IReminderSource
{
    public const string FollowUpDue = "leniency_follow_up_due";

    public IReadOnlyList<string> Kinds { get; } = [FollowUpDue];

    public async Task<IReadOnlyList<ReminderCandidate>> DueAsync(DbConnection connection, WorkingCalendar calendar, DateOnly today, CancellationToken ct)
    {
        var rows = await connection.QueryAsync<(long Id, long EnterpriseId, long? LiaisonMemberId, string EnterpriseName, DateTime RectifyBy, long? DemandId)>(
            new CommandDefinition("""
                SELECT c.id, c.enterprise_id, e.liaison_member_id, e.name, c.rectify_by, c.demand_id
                FROM leniency_checks c JOIN enterprises e ON e.id = c.enterprise_id
                WHERE c.rectify_by BETWEEN @from AND @today AND c.followed_up_at IS NULL AND e.liaison_member_id IS NOT NULL
                """, new { from = today.AddDays(-30).ToDateTime(TimeOnly.MinValue), today = today.ToDateTime(TimeOnly.MinValue) }, cancellationToken: ct));
        return rows.Select(r => new ReminderCandidate(FollowUpDue, r.Id, DateOnly.FromDateTime(r.RectifyBy), r.DemandId, new
        {
            checkId = r.Id, enterpriseId = r.EnterpriseId, enterpriseName = r.EnterpriseName, rectifyBy = DateOnly.FromDateTime(r.RectifyBy),
        }, (c, tx, t) => Task.FromResult<IReadOnlyList<Recipient>>([Recipient.Member(r.LiaisonMemberId!.Value)]))).ToList();
    }
}
