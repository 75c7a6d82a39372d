using Dapper;
using EcoAid.Api.Infrastructure;
using EcoAid.Api.Infrastructure.Auth;
using EcoAid.Api.Infrastructure.Http;
using EcoAid.Api.Infrastructure.Validation;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using MySqlConnector;
using JsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;

namespace EcoAid.Api.Features.Notifications;

/// <summary>
/// Subscribe-message acceptances (wechat-reference §5.3). The mini-program reports what the user accepted in
/// <c>wx.requestSubscribeMessage</c>; each acceptance allows one send of that template, so we count them: +1 per
/// reported acceptance, −1 per successful send, 0 when WeChat answers 43101.
/// </summary>
public static class SubscriptionsApi
{
    public const int MaxPerReport = 20;

    public static IEndpointRouteBuilder MapSubscriptions(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/me/subscriptions").WithTags("Notifications").RequireAuthorization(Policies.User)
            .AddEndpointFilter<ValidationFilter>();
        group.MapGet("/", ListSubscriptions).WithName(nameof(ListSubscriptions)).WithSummary("可订阅的消息模板")
            .WithDescription("返回与当前用户角色相关的小程序订阅消息模板 ID、各自用于哪些通知，以及剩余可发送次数。小程序据此调用 wx.requestSubscribeMessage。");
        group.MapPost("/", ReportSubscriptions).Produces<SubscriptionsReported>(200).WithName(nameof(ReportSubscriptions)).WithSummary("上报订阅结果")
            .WithDescription("accepted 为 wx.requestSubscribeMessage 结果中为 accept 的模板 ID。每个模板 ID 记一次可发送次数；"
                + "不是本服务配置的模板会被忽略并在 ignored 中返回。支持 Idempotency-Key，网络重试不会重复计数。");
        return routes;
    }

    public sealed record ReportSubscriptionsRequest(string[]? Accepted) : IValidatable
    {
        public void Validate(ValidationErrors errors)
        {
            if (Accepted is null)
            {
                errors.Add("accepted", "请给出用户同意订阅的模板 ID 列表（可以为空列表）。");
            }
            else if (Accepted.Length > MaxPerReport)
            {
                errors.Add("accepted", $"一次最多上报 {MaxPerReport} 个模板 ID。");
            }
            else if (Accepted.Any(a => string.IsNullOrWhiteSpace(a) || a.Length > 64))
            {
                errors.Add("accepted", "模板 ID 须为 1 到 64 个字符。");
            }
        }
    }

    public sealed record SubscriptionKind(string Kind, string Description);

    public sealed record SubscriptionTemplate(string TemplateId, int Remaining, IReadOnlyList<SubscriptionKind> Kinds);

    public sealed record SubscriptionsResponse(IReadOnlyList<SubscriptionTemplate> Templates);

    public sealed record SubscriptionsReported(IReadOnlyList<string> Recorded, IReadOnlyList<string> Ignored, IReadOnlyList<SubscriptionTemplate> Templates);

    static async Task<Ok<SubscriptionsResponse>> ListSubscriptions(CurrentUser user, MySqlDataSource db, NotificationTemplates templates, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return TypedResults.Ok(new SubscriptionsResponse(await TemplatesForAsync(connection, null, user, templates, [], ct)));
    }

    static async Task<IResult> ReportSubscriptions(ReportSubscriptionsRequest request, HttpRequest http, CurrentUser user, MySqlDataSource db,
        NotificationTemplates templates, TimeProvider clock, IOptions<JsonOptions> json, CancellationToken ct)
    {
        if (Idempotency.ValidateHeader(http, out var key) is { } badKey)
        {
            return badKey;
        }
        var configured = templates.SubscribeTemplateKinds;
        // wx.requestSubscribeMessage answers each template once per call, so a repeated id in one report counts once.
        var accepted = request.Accepted!.Select(a => a.Trim()).Distinct(StringComparer.Ordinal).ToList();
        var recorded = accepted.Where(configured.ContainsKey).ToList();
        var ignored = accepted.Where(a => !configured.ContainsKey(a)).ToList();

        var now = clock.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var claim = await Idempotency.ClaimAsync(connection, tx, user.Id, key, Idempotency.HashOf(request), now, ct);
        if (!claim.Proceed)
        {
            return claim.Answer!;
        }
        foreach (var templateId in recorded)
        {
            await SubscribeQuota.AddAsync(connection, tx, user.Id, templateId, now, ct);
        }
        var body = new SubscriptionsReported(recorded, ignored, await TemplatesForAsync(connection, tx, user, templates, recorded, ct));
        await Idempotency.CompleteAsync(connection, tx, user.Id, key, StatusCodes.Status200OK, body, null, json.Value.SerializerOptions, ct);
        await tx.CommitAsync(ct);
        return TypedResults.Ok(body);
    }

    /// <summary>The templates that concern the user's roles (plus any just reported), with what is left of each.</summary>
    private static async Task<IReadOnlyList<SubscriptionTemplate>> TemplatesForAsync(MySqlConnection connection, MySqlTransaction? tx, CurrentUser user,
        NotificationTemplates templates, IReadOnlyCollection<string> alsoInclude, CancellationToken ct)
    {
        var remaining = (await connection.QueryAsync<(string TemplateId, int Remaining)>(new CommandDefinition(
            "SELECT template_id, remaining FROM subscribe_quotas WHERE user_id = @Id", new { user.Id }, tx, cancellationToken: ct)))
            .ToDictionary(q => q.TemplateId, q => q.Remaining, StringComparer.Ordinal);
        return [.. templates.SubscribeTemplateKinds
            .Where(t => alsoInclude.Contains(t.Key) || t.Value.Any(k => k.Audience.Any(user.IsInRole)))
            .OrderBy(t => t.Key, StringComparer.Ordinal)
            .Select(t => new SubscriptionTemplate(t.Key, remaining.GetValueOrDefault(t.Key),
                [.. t.Value.Select(k => new SubscriptionKind(k.Kind, k.Description))]))];
    }
}

/// <summary>Our count of a user's subscribe acceptances per template, shared by all instances.</summary>
public static class SubscribeQuota
{
    public static Task AddAsync(MySqlConnection connection, MySqlTransaction tx, long userId, string templateId, DateTimeOffset now, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO subscribe_quotas (user_id, template_id, remaining, accepted, updated_at) VALUES (@userId, @templateId, 1, 1, @now)
            ON DUPLICATE KEY UPDATE remaining = remaining + 1, accepted = accepted + 1, updated_at = VALUES(updated_at)
            """, new { userId, templateId, now = now.UtcDateTime }, tx, cancellationToken: ct));

    /// <summary>Takes one acceptance before a send, so two instances never spend the same one; false when none is left.</summary>
    public static async Task<bool> TakeAsync(MySqlDataSource db, long userId, string templateId, DateTimeOffset now)
    {
        await using var connection = await db.OpenConnectionAsync(CancellationToken.None);
        return await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE subscribe_quotas SET remaining = remaining - 1, updated_at = @now
            WHERE user_id = @userId AND template_id = @templateId AND remaining > 0
            """, new { userId, templateId, now = now.UtcDateTime }, cancellationToken: CancellationToken.None)) == 1;
    }

    /// <summary>Returns an acceptance a send did not use (WeChat refused the message, or its outcome is unknown).</summary>
    public static async Task GiveBackAsync(MySqlDataSource db, long userId, string templateId, DateTimeOffset now)
    {
        await using var connection = await db.OpenConnectionAsync(CancellationToken.None);
        await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE subscribe_quotas SET remaining = remaining + 1, updated_at = @now WHERE user_id = @userId AND template_id = @templateId
            """, new { userId, templateId, now = now.UtcDateTime }, cancellationToken: CancellationToken.None));
    }

    /// <summary>WeChat answered 43101: whatever we counted, nothing is left.</summary>
    public static async Task ResetAsync(MySqlDataSource db, long userId, string templateId, DateTimeOffset now)
    {
        await using var connection = await db.OpenConnectionAsync(CancellationToken.None);
        await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE subscribe_quotas SET remaining = 0, updated_at = @now WHERE user_id = @userId AND template_id = @templateId
            """, new { userId, templateId, now = now.UtcDateTime }, cancellationToken: CancellationToken.None));
    }
}
