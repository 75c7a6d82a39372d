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

namespace EcoAid.Api.Features.CreditRepair;

public sealed record CreditRepairRule(long Id, string Code, string Jurisdiction, string Severity, int MinPublicationMonths, int PublicationMonths,
    string Source, DateOnly EffectiveFrom);

public sealed record ChecklistItem(string Code, string Text, bool Done);

public sealed record CreditRepairView(long DemandId, string DecisionNumber, DateOnly DecidedOn, bool Serious, bool FinePaid, bool ObligationsFulfilled,
    DateOnly EarliestRepairOn, DateOnly PublicationEndsOn, bool CanApplyNow, IReadOnlyList<string> Blockers, CreditRepairRule Rule,
    IReadOnlyList<ChecklistItem> Checklist, DateTimeOffset UpdatedAt);

public sealed record RecordPenaltyRequest(string DecisionNumber, DateOnly? DecidedOn, bool? Serious, bool? FinePaid, bool? ObligationsFulfilled) : IValidatable
{
    public void Validate(ValidationErrors errors)
    {
        errors.Required("decisionNumber", DecisionNumber, 100);
        if (DecidedOn is null)
        {
            errors.Add("decidedOn", "请填写行政处罚决定日期。");
        }
        if (Serious is null)
        {
            errors.Add("serious", "请选择是否属于严重失信。");
        }
        if (FinePaid is null)
        {
            errors.Add("finePaid", "请选择罚款是否已缴清。");
        }
        if (ObligationsFulfilled is null)
        {
            errors.Add("obligationsFulfilled", "请选择处罚决定规定的其他义务是否已履行。");
        }
    }
}

public sealed record TickRequest(string Code, bool? Done) : IValidatable
{
    public void Validate(ValidationErrors errors)
    {
        errors.Required("code", Code, 40);
        if (Done is null)
        {
            errors.Add("done", "请给出 done（true 已备齐，false 未备齐）。");
        }
    }
}

/// <summary>
/// 信用修复 helper on a demand of category credit_repair: the penalty behind it, the dates the rules give (earliest
/// application for early end of publication, and the end of publication), and the material checklist.
/// </summary>
public static class CreditRepairApi
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>What an application for repair of administrative-penalty information usually needs.</summary>
    public static readonly IReadOnlyList<(string Code, string Text, bool SeriousOnly)> Materials =
    [
        ("application", "信用信息修复申请书", false),
        ("commitment", "信用修复承诺书", false),
        ("license", "营业执照复印件", false),
        ("fulfilment", "已履行行政处罚决定的证明（罚款缴纳凭证等）", false),
        ("rectification", "失信行为已纠正、不良影响已消除的佐证材料", false),
        ("credit_report", "专项信用报告或信用修复培训证明（严重失信适用，以受理单位要求为准）", true),
    ];

    public static WebApplicationBuilder AddCreditRepair(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<IReminderSource, CreditRepairReminders>();
        if (builder.Configuration.GetValue<bool>("Demo:Seed"))
        {
            builder.Services.AddSingleton<Infrastructure.Database.IStartupDataStep, Database.Seed.ProgrammeDemoData>();
        }
        return builder;
    }

    public static IEndpointRouteBuilder MapCreditRepair(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/api/credit-repair/rules", ListRules).Produces<List<CreditRepairRule>>(200).WithTags("CreditRepair").RequireAuthorization(DemandPolicies.Reader).WithName("ListCreditRepairRules")
            .WithSummary("信用修复公示期规则").WithDescription("规则以数据保存并注明出处；同一严重程度有多条时，适用处罚决定日已生效且最严格的一条。");
        var group = routes.MapGroup("/api/demands").WithTags("CreditRepair").AddEndpointFilter<ValidationFilter>();
        group.MapGet("/{id:long}/credit-repair", Get).Produces<CreditRepairView>(200).RequireAuthorization(DemandPolicies.Reader).WithName("GetCreditRepair")
            .WithSummary("信用修复：处罚信息、可申请修复的最早日期、公示截止日与材料清单");
        group.MapPut("/{id:long}/credit-repair", Record).Produces<CreditRepairView>(200).Answers(409).RequireAuthorization(DemandPolicies.Worker).WithName("RecordCreditRepairPenalty")
            .WithSummary("登记行政处罚信息").WithDescription("仅限类别为信用修复（credit_repair）的诉求。服务按规则计算最早可申请修复日期和公示截止日。");
        group.MapPost("/{id:long}/credit-repair/checklist", Tick).Produces<CreditRepairView>(200).Answers(409).RequireAuthorization(DemandPolicies.Worker).WithName("TickCreditRepairMaterial")
            .WithSummary("勾选修复材料");
        return routes;
    }

    static async Task<IResult> ListRules(MySqlDataSource db, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return TypedResults.Ok(await RulesAsync(connection, null, ct));
    }

    internal static async Task<List<CreditRepairRule>> RulesAsync(DbConnection connection, DbTransaction? tx, CancellationToken ct) =>
        (await connection.QueryAsync<(long Id, string Code, string Jurisdiction, string Severity, int Min, int Publication, string Source, DateTime From)>(
            new CommandDefinition("""
                SELECT id, code, jurisdiction, severity, min_publication_months, publication_months, source, effective_from FROM credit_repair_rules ORDER BY id
                """, null, tx, cancellationToken: ct)))
        .Select(r => new CreditRepairRule(r.Id, r.Code, r.Jurisdiction, r.Severity, r.Min, r.Publication, r.Source, DateOnly.FromDateTime(r.From))).ToList();

    /// <summary>The rule for a penalty: of those for its severity in force on the decision date, the strictest.</summary>
    public static CreditRepairRule? RuleFor(IEnumerable<CreditRepairRule> rules, bool serious, DateOnly decidedOn) =>
        rules.Where(r => r.Severity == (serious ? "serious" : "ordinary") && r.EffectiveFrom <= decidedOn)
            .OrderByDescending(r => r.MinPublicationMonths).ThenByDescending(r => r.PublicationMonths).FirstOrDefault();

    /// <summary>
    /// Periods run from the decision date. The earliest application is the day the shortest publication period has
    /// run (decision date + N months; a day the month lacks falls to its last day); publication ends on the last day of
    /// the publication period (decision date + M months − 1 day).
    /// </summary>
    public static (DateOnly EarliestRepairOn, DateOnly PublicationEndsOn) DatesFor(CreditRepairRule rule, DateOnly decidedOn) =>
        (decidedOn.AddMonths(rule.MinPublicationMonths), decidedOn.AddMonths(rule.PublicationMonths).AddDays(-1));

    static async Task<IResult> Get(long id, CurrentUser user, MySqlDataSource db, TimeProvider clock, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var reached = await DemandStore.ReachAsync(connection, id, user, null, ct);
        if (!reached.Found)
        {
            return reached.Refusal;
        }
        var view = await ViewAsync(connection, null, id, clock.GetUtcNow(), ct);
        return view is null ? Problems.NotFound("该诉求还没有登记行政处罚信息。") : TypedResults.Ok(view);
    }

    static async Task<IResult> Record(long id, RecordPenaltyRequest request, CurrentUser user, MySqlDataSource db, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(ct);
        var reached = await DemandStore.ReachAsync(connection, id, user, d => d.Category == "credit_repair" ? null
            : Problems.Conflict("credit_repair.wrong_category", "只有类别为“信用修复”的诉求才能登记处罚信息。"), ct);
        if (!reached.Found)
        {
            return reached.Refusal;
        }
        var decidedOn = request.DecidedOn!.Value;
        if (decidedOn > WorkingCalendar.Today(now))
        {
            return Problems.Validation("decidedOn", "处罚决定日期不能晚于今天。");
        }
        await using var tx = await connection.BeginTransactionAsync(ct);
        var rule = RuleFor(await RulesAsync(connection, tx, ct), request.Serious!.Value, decidedOn);
        if (rule is null)
        {
            return Problems.Conflict("credit_repair.no_rule", "处罚决定日没有适用的公示期规则（现行规则自 2023 年 5 月 1 日起施行）。");
        }
        var (earliest, ends) = DatesFor(rule, decidedOn);
        var checklist = await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
            "SELECT checklist FROM credit_repair_cases WHERE demand_id = @id FOR UPDATE", new { id }, tx, cancellationToken: ct)) ?? "{}";
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO credit_repair_cases (demand_id, decision_number, decided_on, serious, fine_paid, obligations_fulfilled, rule_id, earliest_repair_on,
                                             publication_ends_on, checklist, updated_by, updated_at)
            VALUES (@id, @number, @decidedOn, @serious, @finePaid, @fulfilled, @ruleId, @earliest, @ends, @checklist, @userId, @now)
            ON DUPLICATE KEY UPDATE decision_number = VALUES(decision_number), decided_on = VALUES(decided_on), serious = VALUES(serious),
                fine_paid = VALUES(fine_paid), obligations_fulfilled = VALUES(obligations_fulfilled), rule_id = VALUES(rule_id),
                earliest_repair_on = VALUES(earliest_repair_on), publication_ends_on = VALUES(publication_ends_on), updated_by = VALUES(updated_by),
                updated_at = VALUES(updated_at)
            """, new
        {
            id, number = request.DecisionNumber.Trim(), decidedOn = decidedOn.ToDateTime(TimeOnly.MinValue), serious = request.Serious, finePaid = request.FinePaid,
            fulfilled = request.ObligationsFulfilled, ruleId = rule.Id, earliest = earliest.ToDateTime(TimeOnly.MinValue), ends = ends.ToDateTime(TimeOnly.MinValue),
            checklist, userId = user.Id, now = now.UtcDateTime,
        }, tx, cancellationToken: ct));
        await DemandStore.AppendEventAsync(connection, tx, id, user.Id, "credit_repair_recorded", "internal",
            $"登记行政处罚 {request.DecisionNumber.Trim()}（{decidedOn:yyyy-MM-dd}，{(request.Serious == true ? "严重失信" : "一般失信")}）：最早 {earliest:yyyy-MM-dd} 可申请信用修复，公示至 {ends:yyyy-MM-dd}",
            null, now, ct);
        await AuditTrail.RecordAsync(connection, tx, AuditEvent.By(user, AuditKinds.CreditRepairRecorded, "demand", id, new
        {
            decidedOn, serious = request.Serious, finePaid = request.FinePaid, obligationsFulfilled = request.ObligationsFulfilled, ruleId = rule.Id,
        }) with { BranchId = reached.Demand.BranchId }, now, ct);
        await tx.CommitAsync(ct);
        return TypedResults.Ok(await ViewAsync(connection, null, id, now, ct));
    }

    static async Task<IResult> Tick(long id, TickRequest request, CurrentUser user, MySqlDataSource db, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(ct);
        var reached = await DemandStore.ReachAsync(connection, id, user, null, ct);
        if (!reached.Found)
        {
            return reached.Refusal;
        }
        await using var tx = await connection.BeginTransactionAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<(string Checklist, bool Serious)?>(new CommandDefinition(
            "SELECT checklist, serious FROM credit_repair_cases WHERE demand_id = @id FOR UPDATE", new { id }, tx, cancellationToken: ct));
        if (row is not { } found)
        {
            return Problems.Conflict("credit_repair.no_penalty", "请先登记行政处罚信息。");
        }
        var material = Materials.FirstOrDefault(m => m.Code == request.Code && (!m.SeriousOnly || found.Serious));
        if (material.Code is null)
        {
            return Problems.Validation("code", $"没有这项材料；可选：{string.Join("、", Materials.Where(m => !m.SeriousOnly || found.Serious).Select(m => m.Code))}。");
        }
        var ticks = JsonSerializer.Deserialize<Dictionary<string, bool>>(found.Checklist, Json) ?? [];
        ticks[request.Code] = request.Done!.Value;
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE credit_repair_cases SET checklist = @checklist, updated_by = @userId, updated_at = @now WHERE demand_id = @id",
            new { id, checklist = JsonSerializer.Serialize(ticks, Json), userId = user.Id, now = now.UtcDateTime }, tx, cancellationToken: ct));
        await DemandStore.AppendEventAsync(connection, tx, id, user.Id, "credit_repair_material", "internal",
            $"修复材料“{material.Text}”{(request.Done == true ? "已备齐" : "改为未备齐")}", null, now, ct);
        await AuditTrail.RecordAsync(connection, tx, AuditEvent.By(user, AuditKinds.CreditRepairMaterialTicked, "demand", id,
            new { code = request.Code, done = request.Done }) with { BranchId = reached.Demand.BranchId }, now, ct);
        await tx.CommitAsync(ct);
        return TypedResults.Ok(await ViewAsync(connection, null, id, now, ct));
    }

    internal static async Task<CreditRepairView?> ViewAsync(DbConnection connection, DbTransaction? tx, long demandId, DateTimeOffset now, CancellationToken ct)
    {
        var row = await connection.QuerySingleOrDefaultAsync<CaseRow>(new CommandDefinition("""
            SELECT demand_id AS DemandId, decision_number AS DecisionNumber, decided_on AS DecidedOn, serious AS Serious, fine_paid AS FinePaid,
                   obligations_fulfilled AS ObligationsFulfilled, rule_id AS RuleId, earliest_repair_on AS EarliestRepairOn,
                   publication_ends_on AS PublicationEndsOn, checklist AS Checklist, updated_at AS UpdatedAt
            FROM credit_repair_cases WHERE demand_id = @demandId
            """, new { demandId }, tx, cancellationToken: ct));
        if (row is null)
        {
            return null;
        }
        var rule = (await RulesAsync(connection, tx, ct)).Single(r => r.Id == row.RuleId);
        var ticks = JsonSerializer.Deserialize<Dictionary<string, bool>>(row.Checklist, Json) ?? [];
        var earliest = DateOnly.FromDateTime(row.EarliestRepairOn);
        var blockers = new List<string>();
        if (!row.FinePaid)
        {
            blockers.Add("罚款尚未缴清");
        }
        if (!row.ObligationsFulfilled)
        {
            blockers.Add("处罚决定规定的其他义务尚未履行");
        }
        var today = WorkingCalendar.Today(now);
        if (today < earliest)
        {
            blockers.Add($"最短公示期未满，{earliest:yyyy-MM-dd} 起可申请");
        }
        var ends = DateOnly.FromDateTime(row.PublicationEndsOn);
        if (today > ends)
        {
            blockers.Add($"公示期已于 {ends:yyyy-MM-dd} 届满，无需申请修复");
        }
        return new CreditRepairView(row.DemandId, row.DecisionNumber, DateOnly.FromDateTime(row.DecidedOn), row.Serious, row.FinePaid, row.ObligationsFulfilled,
            earliest, ends, blockers.Count == 0, blockers, rule,
            Materials.Where(m => !m.SeriousOnly || row.Serious).Select(m => new ChecklistItem(m.Code, m.Text, ticks.GetValueOrDefault(m.Code))).ToList(),
            row.UpdatedAt);
    }

    private sealed class CaseRow
    {
        public long DemandId { get; init; }
        public string DecisionNumber { get; init; } = "";
        public DateTime DecidedOn { get; init; }
        public bool Serious { get; init; }
        public bool FinePaid { get; init; }
        public bool ObligationsFulfilled { get; init; }
        public long RuleId { get; init; }
        public DateTime EarliestRepairOn { get; init; }
        public DateTime PublicationEndsOn { get; init; }
        public string Checklist { get; init; } = "{}";
        public DateTimeOffset UpdatedAt { get; init; }
    }
}

/// <summary>On a credit-repair case's earliest application date, the enterprise's liaison is reminded (once), while the demand is open.</summary>
public sealed class CreditRepairReminders : IReminderSource
{
    public const string Eligible = "credit_repair_eligible";

    public IReadOnlyList<string> Kinds { get; } = [Eligible];

    public async Task<IReadOnlyList<ReminderCandidate>> DueAsync(DbConnection connection, WorkingCalendar calendar, DateOnly today, CancellationToken ct)
    {
        var rows = await connection.QueryAsync<(long DemandId, long? LiaisonMemberId, string Number, string Title, string EnterpriseName, DateTime Earliest)>(
            new CommandDefinition("""
                SELECT d.id, e.liaison_member_id, d.number, d.title, e.name, c.earliest_repair_on
                FROM credit_repair_cases c JOIN demands d ON d.id = c.demand_id JOIN enterprises e ON e.id = d.enterprise_id
                WHERE c.earliest_repair_on BETWEEN @from AND @today AND d.status IN ('submitted', 'accepted') AND e.liaison_member_id IS NOT NULL
                """, new { from = today.AddDays(-30).ToDateTime(TimeOnly.MinValue), today = today.ToDateTime(TimeOnly.MinValue) }, cancellationToken: ct));
        return rows.Select(r => new ReminderCandidate(Eligible, r.DemandId, DateOnly.FromDateTime(r.Earliest), r.DemandId, new
        {
            demandId = r.DemandId, number = r.Number, title = r.Title, enterpriseName = r.EnterpriseName, earliestRepairOn = DateOnly.FromDateTime(r.Earliest),
        }, (c, tx, t) => Task.FromResult<IReadOnlyList<Recipient>>([Recipient.Member(r.LiaisonMemberId!.Value)]))).ToList();
    }
}
