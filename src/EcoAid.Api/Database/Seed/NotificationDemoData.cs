using Dapper;
using EcoAid.Api.Features.Notifications;
using EcoAid.Api.Infrastructure.Database;
using MySqlConnector;

namespace EcoAid.Api.Database.Seed;

/// <summary>
/// Makes the demo's notifications arrive on every channel (dev run only, after <see cref="DemoData"/>): 张伟 (commissioner),
/// 刘洋 (member) and 李红梅 (secretary) have bound the Official Account and follow it, so they get template messages;
/// 陈磊 and 赵敏 have not, so what they own reaches their inbox only; the demo enterprise contact and department liaison
/// hold subscribe acceptances (topped up to <see cref="Acceptances"/> at every start), so they get subscribe messages.
/// Idempotent: it never rebinds a member someone bound by scanning.
/// </summary>
public sealed class NotificationDemoData(MySqlDataSource db, NotificationTemplates templates, TimeProvider clock, ILogger<NotificationDemoData> logger)
    : IStartupDataStep
{
    public const int Acceptances = 5;

    /// <summary>The demo members who follow the Official Account, and the Official Account openid each has.</summary>
    public static readonly IReadOnlyList<(string Member, string OaOpenId)> Followers =
        [("张伟", "demo-oa-commissioner"), ("刘洋", "demo-oa-member"), ("李红梅", "demo-oa-secretary")];

    public async Task RunAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        await using var connection = await db.OpenConnectionAsync(ct);
        foreach (var (member, oaOpenId) in Followers)
        {
            if (await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
                "SELECT EXISTS (SELECT 1 FROM members WHERE oa_openid = @oaOpenId)", new { oaOpenId }, cancellationToken: ct)))
            {
                continue;
            }
            await connection.ExecuteAsync(new CommandDefinition("""
                UPDATE members m JOIN party_branches b ON b.id = m.branch_id
                SET m.oa_openid = @oaOpenId, m.oa_following = TRUE, m.oa_bound_at = @now
                WHERE b.name = @branch AND m.name = @member AND m.oa_openid IS NULL
                """, new { oaOpenId, now, branch = DemoData.BranchName, member }, cancellationToken: ct));
        }
        foreach (var templateId in templates.SubscribeTemplates.Keys)
        {
            await connection.ExecuteAsync(new CommandDefinition("""
                INSERT INTO subscribe_quotas (user_id, template_id, remaining, accepted, updated_at)
                SELECT id, @templateId, @Acceptances, @Acceptances, @now FROM users WHERE openid IN ('demo-staff', 'demo-liaison')
                ON DUPLICATE KEY UPDATE remaining = GREATEST(remaining, VALUES(remaining)), updated_at = VALUES(updated_at)
                """, new { templateId, Acceptances, now }, cancellationToken: ct));
        }
        logger.LogInformation("Demo notifications: {Followers} members follow the Official Account, demo users hold {Acceptances} acceptances per subscribe template",
            Followers.Count, Acceptances);
    }
}
