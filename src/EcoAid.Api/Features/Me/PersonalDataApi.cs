using Dapper;
using EcoAid.Api.Features.Audit;
using EcoAid.Api.Infrastructure;
using EcoAid.Api.Infrastructure.Auth;
using EcoAid.Api.Infrastructure.Http;
using MySqlConnector;

namespace EcoAid.Api.Features.Me;

/// <summary>
/// Personal data on request (PIPL §45, §47): a person downloads what the service holds about them; an administrator
/// deactivates a person, removing their identity while their demands and timelines stay as the branch's records.
/// </summary>
public static class PersonalDataApi
{
    public const string DeactivatedName = "已注销用户";

    public static IEndpointRouteBuilder MapPersonalData(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/api/me/data", ExportMyData).Produces<PersonalData>(200).WithTags("Me").RequireAuthorization(Policies.User).WithName(nameof(ExportMyData))
            .WithSummary("导出本人数据").WithDescription("返回服务保存的与调用者本人有关的全部数据（JSON），供个人信息查阅、复制（《个人信息保护法》第四十五条）。");
        routes.MapPost("/api/users/{id:long}/deactivate", Deactivate).Produces(204).Answers(409).WithTags("Organisation").RequireAuthorization(Policies.OrgAdmin)
            .WithName(nameof(Deactivate)).WithSummary("注销用户（管理员）")
            .WithDescription("删除此人的身份信息（姓名、手机号、openid），吊销其登录；其提交的诉求与办理记录作为支部档案保留，显示为“已注销用户”。");
        return routes;
    }

    public sealed record PersonalData(DateTimeOffset ExportedAt, object Profile, IReadOnlyList<string> Roles, IReadOnlyList<object> Sessions,
        IReadOnlyList<object> Demands, IReadOnlyList<object> DemandEvents, IReadOnlyList<object> Attachments, IReadOnlyList<object> Inbox,
        IReadOnlyList<object> SubscribeQuotas);

    static async Task<IResult> ExportMyData(CurrentUser user, MySqlDataSource db, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var r = await connection.QueryMultipleAsync(new CommandDefinition("""
            SELECT id, display_name AS displayName, phone, city_id AS cityId, branch_id AS branchId, enterprise_id AS enterpriseId,
                   member_id AS memberId, department_id AS departmentId, created_at AS createdAt, last_login_at AS lastLoginAt
            FROM users WHERE id = @Id;
            SELECT role FROM user_roles WHERE user_id = @Id ORDER BY role;
            SELECT created_at AS createdAt, expires_at AS expiresAt, revoked_at AS revokedAt FROM sessions WHERE user_id = @Id ORDER BY id;
            SELECT id, number, enterprise_id AS enterpriseId, category, title, description, status, submitted_at AS submittedAt
            FROM demands WHERE submitted_by = @Id ORDER BY id;
            SELECT id, demand_id AS demandId, kind, created_at AS createdAt FROM demand_events WHERE actor_user_id = @Id ORDER BY id;
            SELECT id, content_type AS contentType, size_bytes AS sizeBytes, file_name AS fileName, created_at AS createdAt
            FROM attachments WHERE uploaded_by = @Id ORDER BY id;
            SELECT id, kind, title, summary, created_at AS createdAt FROM notification_inbox WHERE recipient_type = 'user' AND recipient_id = @Id ORDER BY id;
            SELECT template_id AS templateId, remaining FROM subscribe_quotas WHERE user_id = @Id ORDER BY template_id;
            """, new { user.Id }, cancellationToken: ct));
        static List<object> Rows(IEnumerable<dynamic> rows) => rows.Select(row => (object)(IDictionary<string, object>)row).ToList();
        var data = new PersonalData(now, (IDictionary<string, object>)(await r.ReadSingleAsync()), (await r.ReadAsync<string>()).ToList(),
            Rows(await r.ReadAsync()), Rows(await r.ReadAsync()), Rows(await r.ReadAsync()), Rows(await r.ReadAsync()), Rows(await r.ReadAsync()),
            Rows(await r.ReadAsync()));
        await AuditTrail.RecordAsync(connection, null, AuditEvent.By(user, AuditKinds.PersonalDataExported, "user", user.Id), now, ct);
        return TypedResults.Ok(data);
    }

    static async Task<IResult> Deactivate(long id, CurrentUser user, MySqlDataSource db, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var target = await connection.QuerySingleOrDefaultAsync<(long? BranchId, long? CityId, long? MemberId, DateTime? DeactivatedAt)?>(new CommandDefinition(
            "SELECT branch_id, city_id, member_id, deactivated_at FROM users WHERE id = @id FOR UPDATE", new { id }, tx, cancellationToken: ct));
        // Reach: a person of a branch the administrator reaches; city-level people only for their city's administrator.
        if (target is not { } t
            || !(t.BranchId is { } b ? user.Reaches(b) : user.Roles.Contains(Roles.CityAdmin) && t.CityId is not null && t.CityId == user.CityId))
        {
            return Problems.NotFound();
        }
        if (id == user.Id)
        {
            return Problems.Conflict("user.self_deactivation", "不能注销自己的账号，请由其他管理员操作。");
        }
        if (t.DeactivatedAt is null)
        {
            await connection.ExecuteAsync(new CommandDefinition("""
                UPDATE users SET openid = CONCAT('deactivated:', id), unionid = NULL, display_name = @name, phone = NULL, deactivated_at = @now
                WHERE id = @id;
                UPDATE sessions SET revoked_at = @now WHERE user_id = @id AND revoked_at IS NULL;
                DELETE FROM user_roles WHERE user_id = @id;
                DELETE FROM subscribe_quotas WHERE user_id = @id;
                """, new { id, name = DeactivatedName, now = now.UtcDateTime }, tx, cancellationToken: ct));
            await AuditTrail.RecordAsync(connection, tx, AuditEvent.By(user, AuditKinds.UserDeactivated, "user", id) with { BranchId = t.BranchId ?? user.BranchId },
                now, ct);
        }
        await tx.CommitAsync(ct);
        return TypedResults.NoContent();
    }
}
