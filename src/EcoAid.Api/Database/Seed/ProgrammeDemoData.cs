using Dapper;
using EcoAid.Api.Features.CreditRepair;
using EcoAid.Api.Infrastructure.Database;
using MySqlConnector;

namespace EcoAid.Api.Database.Seed;

/// <summary>
/// Demo data of the programme's tools: the penalty behind 南方永磁's 信用修复 demand (a made-up decision number, marked
/// 示例), so its earliest repair date shows. The demo 监督帮扶 list is a file to upload (requests/supervision-demo-list.xlsx).
/// </summary>
public sealed class ProgrammeDemoData(MySqlDataSource db) : IStartupDataStep
{
    public async Task RunAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var demand = await connection.QuerySingleOrDefaultAsync<(long Id, long SubmittedBy)?>(new CommandDefinition("""
            SELECT d.id, d.submitted_by FROM demands d JOIN enterprises e ON e.id = d.enterprise_id JOIN party_branches b ON b.id = d.branch_id
            WHERE b.name = @BranchName AND e.name = '江苏南方永磁科技有限公司' AND d.category = 'credit_repair' ORDER BY d.id LIMIT 1
            """, new { DemoData.BranchName }, cancellationToken: ct));
        if (demand is not { } d)
        {
            return;
        }
        var rules = await CreditRepairApi.RulesAsync(connection, null, ct);
        var decidedOn = new DateOnly(2024, 3, 15);
        var rule = CreditRepairApi.RuleFor(rules, serious: false, decidedOn)!;
        var (earliest, ends) = CreditRepairApi.DatesFor(rule, decidedOn);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT IGNORE INTO credit_repair_cases (demand_id, decision_number, decided_on, serious, fine_paid, obligations_fulfilled, rule_id,
                                                    earliest_repair_on, publication_ends_on, checklist, updated_by, updated_at)
            VALUES (@Id, '邳环罚〔2024〕示例01号（演示）', @decidedOn, FALSE, TRUE, TRUE, @ruleId, @earliest, @ends,
                    '{"application":true,"commitment":true,"license":true,"fulfilment":true,"rectification":true}', @SubmittedBy, @at)
            """, new
        {
            d.Id, d.SubmittedBy, decidedOn = decidedOn.ToDateTime(TimeOnly.MinValue), ruleId = rule.Id, earliest = earliest.ToDateTime(TimeOnly.MinValue),
            ends = ends.ToDateTime(TimeOnly.MinValue), at = new DateTime(2024, 9, 19, 6, 0, 0, DateTimeKind.Utc),
        }, cancellationToken: ct));
    }
}
