using Dapper;
using EcoAid.Api.Infrastructure.Database;
using EcoAid.Api.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using MySqlConnector;

namespace EcoAid.Api.Tests.Database;

/// <summary>0061 on rows in the shape before it: 责任单位 and 责任人 come apart without losing what was there.</summary>
public class AccountabilityMigrationTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ExistingClaimsAndTransfersGetAUnitAndAPerson()
    {
        await using var database = new MySqlDatabase();
        await database.InitializeAsync();
        var all = Migration.Embedded();
        var before = all.TakeWhile(m => !m.Name.StartsWith("0061", StringComparison.Ordinal)).ToList();
        Assert.True(before.Count < all.Count);
        var runner = new MigrationRunner(new MySqlDataSourceBuilder(database.ConnectionString).Build(), NullLogger<MigrationRunner>.Instance, TimeProvider.System);
        await runner.ApplyAsync(before, Ct);

        await using (var connection = await database.OpenAsync())
        {
            // The old shape: a claim with the member's name as the unit, a meeting's reassign that left a person in the unit,
            // a claim with a unit given on purpose, and a transfer to a department with one liaison.
            await connection.ExecuteAsync("""
                INSERT INTO cities (id, name, created_at) VALUES (1, '徐州市', NOW(6));
                INSERT INTO party_branches (id, city_id, name, created_at, updated_at) VALUES (1, 1, '测试支部', NOW(6), NOW(6));
                INSERT INTO members (id, branch_id, name, task_force_role, created_at, updated_at) VALUES
                    (1, 1, '刘洋', 'member', NOW(6), NOW(6)), (2, 1, '陈磊', 'member', NOW(6), NOW(6));
                INSERT INTO departments (id, branch_id, name, created_at, updated_at) VALUES (1, 1, '法制宣传科', NOW(6), NOW(6));
                INSERT INTO enterprises (id, branch_id, name, credit_code, created_at, updated_at) VALUES (1, 1, '测试企业', '91000000MA00000000', NOW(6), NOW(6));
                INSERT INTO users (id, openid, display_name, branch_id, department_id, created_at) VALUES
                    (1, 'o-staff', '王芳', 1, NULL, NOW(6)), (2, 'o-liaison', '孙静', 1, 1, NOW(6));
                INSERT INTO user_roles (user_id, role, granted_at) VALUES (2, 'department_liaison', NOW(6));
                INSERT INTO demands (id, branch_id, enterprise_id, number, category, source, title, description, status, content_check,
                                     owner_member_id, department_id, responsible_unit, submitted_by, submitted_at, updated_at) VALUES
                    (1, 1, 1, 'SQ2024-0001', 'other', 'survey', 't', 'd', 'accepted', 'passed', 1, NULL, '刘洋', 1, NOW(6), NOW(6)),
                    (2, 1, 1, 'SQ2024-0002', 'other', 'survey', 't', 'd', 'accepted', 'passed', 1, NULL, '陈磊', 1, NOW(6), NOW(6)),
                    (3, 1, 1, 'SQ2024-0003', 'other', 'survey', 't', 'd', 'accepted', 'passed', 2, NULL, '执法一大队', 1, NOW(6), NOW(6)),
                    (4, 1, 1, 'SQ2024-0004', 'other', 'survey', 't', 'd', 'accepted', 'passed', NULL, 1, '法制宣传科', 1, NOW(6), NOW(6)),
                    (5, 1, 1, 'SQ2024-0005', 'other', 'survey', 't', 'd', 'submitted', 'passed', NULL, NULL, NULL, 1, NOW(6), NOW(6));
                """);
        }

        await runner.ApplyAsync(all, Ct);

        await using var after = await database.OpenAsync();
        var rows = (await after.QueryAsync<(long Id, string? Unit, string? UnitKind, string? PersonKind, string? PersonName, long? UserId)>(
            "SELECT id, responsible_unit, responsible_unit_kind, responsible_person_kind, responsible_person_name, responsible_user_id FROM demands ORDER BY id")).ToList();
        Assert.Equal((1L, "测试支部", "branch", "member", "刘洋", (long?)null), rows[0]);
        Assert.Equal((2L, "测试支部", "branch", "member", "刘洋", (long?)null), rows[1]);
        Assert.Equal((3L, "执法一大队", "other", "member", "陈磊", (long?)null), rows[2]);
        Assert.Equal((4L, "法制宣传科", "department", "department_contact", "孙静", (long?)2), rows[3]);
        Assert.Equal((5L, null, null, null, null, (long?)null), rows[4]);
        Assert.True(await after.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM calendar_days WHERE day BETWEEN '2024-01-01' AND '2026-12-31'") > 90);
    }
}
