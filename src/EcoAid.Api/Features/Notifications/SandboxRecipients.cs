using Dapper;
using EcoAid.Api.Infrastructure.Database;
using EcoAid.Api.Infrastructure.Wechat;
using EcoAid.Wechat.Sandbox;
using Microsoft.Extensions.Options;
using MySqlConnector;

namespace EcoAid.Api.Features.Notifications;

/// <summary>
/// The dev run's sandbox starts empty at every start, while WeChat would remember who follows the Official Account and
/// what each user accepted. This step tells it what the database knows: the members who follow, and the users' remaining
/// subscribe acceptances (with the users known to the mini-program), and the templates the settings name. Registered only
/// when the sandbox is enabled.
/// </summary>
public sealed class SandboxRecipients(MySqlDataSource db, IServiceProvider services, IOptions<WechatOptions> wechat, NotificationTemplates templates) : IStartupDataStep
{
    public async Task RunAsync(CancellationToken ct)
    {
        if (services.GetService<WechatSandbox>() is not { } sandbox)
        {
            return;
        }
        // The templates the bureau would have added in the WeChat consoles: those the notification settings name.
        foreach (var (templateId, keys) in templates.OfficialAccountTemplates)
        {
            sandbox.RegisterTemplate(templateId, [.. keys]);
        }
        foreach (var (templateId, keys) in templates.SubscribeTemplates)
        {
            sandbox.RegisterSubscribeTemplate(templateId, [.. keys]);
        }
        await using var connection = await db.OpenConnectionAsync(ct);
        foreach (var openId in await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT oa_openid FROM members WHERE oa_openid IS NOT NULL AND oa_following", cancellationToken: ct)))
        {
            sandbox.Follow(openId);
        }
        var appId = wechat.Value.MiniProgram.AppId!;
        foreach (var (openId, templateId, remaining) in await connection.QueryAsync<(string, string, int)>(new CommandDefinition("""
            SELECT u.openid, q.template_id, q.remaining FROM subscribe_quotas q JOIN users u ON u.id = q.user_id WHERE q.remaining > 0
            """, cancellationToken: ct)))
        {
            sandbox.RegisterUser(appId, openId);
            var missing = remaining - sandbox.SubscriptionsLeft(openId, templateId);
            if (missing > 0)
            {
                sandbox.GrantSubscription(openId, templateId, missing);
            }
        }
    }
}
