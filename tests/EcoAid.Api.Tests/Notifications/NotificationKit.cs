using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using EcoAid.Api.Features.Notifications;
using EcoAid.Api.Tests.Infrastructure;
using EcoAid.Wechat.Sandbox;
using Microsoft.Extensions.DependencyInjection;

namespace EcoAid.Api.Tests.Notifications;

/// <summary>An outbox row as the dispatcher left it.</summary>
public sealed record OutboxState(string Status, int Attempts, string? Channel, string? LastError, DateTime NextAttemptAt, long? WechatMsgId,
    int UnknownSends, string? WechatStatus, DateTime? InboxAt, string? TemplateId);

/// <summary>Setting up recipients and outbox rows, running the dispatcher, reading what it did.</summary>
public static class NotificationKit
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static NotificationDispatcher Dispatcher(this EcoAidApp app) => app.Services.GetRequiredService<NotificationDispatcher>();

    public static ReminderScheduler Scheduler(this EcoAidApp app) => app.Services.GetRequiredService<ReminderScheduler>();

    /// <summary>Runs the dispatcher until a round finds less than a batch.</summary>
    public static Task DispatchAsync(this EcoAidApp app) => app.Dispatcher().DrainAsync(Ct);

    /// <summary>Binds a new Official Account openid to the member and makes it a follower, in our database and in WeChat.</summary>
    public static async Task<string> FollowAsync(this EcoAidApp app, long memberId, bool inWechatToo = true)
    {
        var openId = World.Unique("oa_");
        await using var db = await app.OpenDatabaseAsync();
        await db.ExecuteAsync("UPDATE members SET oa_openid = @openId, oa_following = TRUE, oa_bound_at = @now WHERE id = @memberId",
            new { openId, memberId, now = app.Clock.GetUtcNow().UtcDateTime });
        if (inWechatToo)
        {
            app.Sandbox.Follow(openId);
        }
        return openId;
    }

    public static object Payload(string title = "危废暂存间标识不全") => new
    {
        demandId = 4242, number = "SQ2026-0042", title, enterpriseName = "江苏测试环保科技有限公司", category = "污染治理",
        status = "accepted", text = "请本周内完成整改", dueDate = "2026-03-20",
    };

    /// <summary>Queues one notification as a feature would, and returns its outbox id.</summary>
    public static async Task<long> EnqueueAsync(this EcoAidApp app, Recipient recipient, string kind = NotificationKinds.DemandUrged, object? payload = null)
    {
        await using var db = await app.OpenDatabaseAsync();
        var now = app.Clock.GetUtcNow().UtcDateTime;
        return await db.ExecuteScalarAsync<long>("""
            INSERT INTO notification_outbox (kind, recipient_type, recipient_id, payload, next_attempt_at, created_at)
            VALUES (@kind, @Type, @Id, @payload, @now, @now); SELECT LAST_INSERT_ID();
            """, new { kind, recipient.Type, recipient.Id, payload = JsonSerializer.Serialize(payload ?? Payload()), now });
    }

    public static async Task<OutboxState> RowAsync(this EcoAidApp app, long id)
    {
        await using var db = await app.OpenDatabaseAsync();
        return await db.QuerySingleAsync<OutboxState>("""
            SELECT status AS Status, attempts AS Attempts, channel AS Channel, last_error AS LastError, next_attempt_at AS NextAttemptAt,
                   wechat_msg_id AS WechatMsgId, unknown_sends AS UnknownSends, wechat_status AS WechatStatus, inbox_at AS InboxAt, template_id AS TemplateId
            FROM notification_outbox WHERE id = @id
            """, new { id });
    }

    public static async Task<(long UserId, string OpenId)> IdentityAsync(this EcoAidApp app, HttpClient client)
    {
        var userId = (await client.GetFromJsonAsync<JsonElement>("/api/me", Ct)).GetProperty("id").GetInt64();
        await using var db = await app.OpenDatabaseAsync();
        return (userId, await db.ExecuteScalarAsync<string>("SELECT openid FROM users WHERE id = @userId", new { userId }) ?? "");
    }

    /// <summary>The user accepts <paramref name="templateId"/> in wx.requestSubscribeMessage: WeChat grants a send, the mini-program reports it.</summary>
    public static async Task AcceptAsync(this EcoAidApp app, HttpClient client, string openId, string templateId = TestTemplates.Subscribe, bool inWechatToo = true)
    {
        if (inWechatToo)
        {
            app.Sandbox.GrantSubscription(openId, templateId);
        }
        var response = await client.PostAsJsonAsync("/api/me/subscriptions", new { accepted = new[] { templateId } }, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    public static async Task<int> RemainingAsync(this EcoAidApp app, long userId, string templateId = TestTemplates.Subscribe)
    {
        await using var db = await app.OpenDatabaseAsync();
        return await db.ExecuteScalarAsync<int>("SELECT COALESCE(MAX(remaining), 0) FROM subscribe_quotas WHERE user_id = @userId AND template_id = @templateId",
            new { userId, templateId });
    }

    public static List<SandboxDelivery> DeliveriesTo(this EcoAidApp app, string openId) =>
        [.. app.Sandbox.Deliveries.Where(d => d.ToUser == openId)];

    public static async Task<int> InboxEntriesAsync(this EcoAidApp app, long outboxId)
    {
        await using var db = await app.OpenDatabaseAsync();
        return await db.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM notification_inbox WHERE outbox_id = @outboxId", new { outboxId });
    }

    /// <summary>Removes the faults a test queued, even those it did not use up.</summary>
    public static IDisposable Faults(this EcoAidApp app, string endpoint, SandboxFault fault)
    {
        app.Sandbox.InjectFault(endpoint, fault);
        return new ClearFaults(app.Sandbox);
    }

    private sealed class ClearFaults(WechatSandbox sandbox) : IDisposable
    {
        public void Dispose() => sandbox.ClearFaults();
    }

    public const string TemplateSend = "cgi-bin/message/template/send";
    public const string SubscribeSend = "cgi-bin/message/subscribe/send";
}
