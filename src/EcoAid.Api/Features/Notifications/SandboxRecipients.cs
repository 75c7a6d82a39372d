using Dapper;
using EcoAid.Api.Infrastructure.Database;
using EcoAid.Api.Infrastructure.Wechat;
using Microsoft.Extensions.Options;
using MySqlConnector;

namespace EcoAid.Api.Features.Notifications;

/// <summary>
/// The dev run's sandbox (its own program) starts empty at every start, while WeChat would remember the templates added in
/// its consoles, who follows the Official Account and what each user accepted. This step tells it, over its HTTP control
/// endpoint <c>_sandbox/state</c>, what the settings and the database know. Registered only when the sandbox is enabled.
/// </summary>
public sealed class SandboxRecipients(MySqlDataSource db, IHttpClientFactory http, IOptions<WechatOptions> wechat, NotificationTemplates templates,
    ILogger<SandboxRecipients> logger) : IStartupDataStep
{
    public async Task RunAsync(CancellationToken ct)
    {
        var options = wechat.Value;
        if (options.ApiBaseUrl is not { } sandboxUrl)
        {
            throw new InvalidOperationException("Sandbox:Enabled 需要 Wechat:ApiBaseUrl 指向沙箱（scripts/run.sh 会设置）。");
        }
        await using var connection = await db.OpenConnectionAsync(ct);
        var followers = await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT oa_openid FROM members WHERE oa_openid IS NOT NULL AND oa_following", cancellationToken: ct));
        var appId = options.MiniProgram.AppId!;
        var acceptances = await connection.QueryAsync<(string OpenId, string TemplateId, int Remaining)>(new CommandDefinition("""
            SELECT u.openid, q.template_id, q.remaining FROM subscribe_quotas q JOIN users u ON u.id = q.user_id WHERE q.remaining > 0
            """, cancellationToken: ct));
        var state = new
        {
            officialAccountTemplates = templates.OfficialAccountTemplates.ToDictionary(t => t.Key, t => t.Value.ToArray()),
            subscribeTemplates = templates.SubscribeTemplates.ToDictionary(t => t.Key, t => t.Value.ToArray()),
            followers = followers.ToArray(),
            acceptances = acceptances.Select(a => new { appid = appId, openid = a.OpenId, templateId = a.TemplateId, remaining = a.Remaining }).ToArray(),
        };
        using var client = http.CreateClient();
        try
        {
            using var response = await client.PostAsJsonAsync(new Uri(sandboxUrl, "_sandbox/state"), state, ct);
            response.EnsureSuccessStatusCode();
        }
        catch (HttpRequestException e)
        {
            // The dev run goes on without it: logins work, notifications fall back as they would with a fresh WeChat.
            logger.LogWarning(e, "Could not tell the WeChat sandbox at {Url} the templates and recipients", sandboxUrl);
        }
    }
}
