using Dapper;
using EcoAid.Wechat.Callback;
using MySqlConnector;

namespace EcoAid.Api.Features.WechatCallback;

/// <summary>
/// Applies one stored callback event: binding scans bind a member's Official Account openid, unsubscribe marks it as
/// not following, TEMPLATESENDJOBFINISH records the delivery result and settles the notification that was sent. Each
/// event is applied at most once: it is claimed with a row lock and marked processed in the same transaction as its effect.
/// </summary>
public sealed partial class CallbackProcessor(MySqlDataSource db, TimeProvider clock, IServiceProvider services, ILogger<CallbackProcessor> logger)
{
    public const string BindingScenePrefix = "bind:";

    public async Task ProcessAsync(long eventId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var payload = await connection.QuerySingleOrDefaultAsync<string>(new CommandDefinition(
            "SELECT payload FROM wechat_callback_events WHERE id = @eventId AND processed_at IS NULL FOR UPDATE SKIP LOCKED",
            new { eventId }, tx, cancellationToken: ct));
        if (payload is null)
        {
            return; // done already, or another instance holds it
        }

        string outcome;
        try
        {
            var now = clock.GetUtcNow().UtcDateTime;
            outcome = CallbackXml.ParseMessage(payload) switch
            {
                SubscribeEvent { Scene: { } scene } e => await BindAsync(connection, tx, scene, e.FromUserName, now, ct),
                SubscribeEvent e => await FollowAsync(connection, tx, e.FromUserName, now, ct),
                ScanEvent e => await BindAsync(connection, tx, e.Scene, e.FromUserName, now, ct),
                UnsubscribeEvent e => await SetFollowingAsync(connection, tx, e.FromUserName, following: false, ct),
                TemplateSendJobFinishEvent e => await RecordTemplateResultAsync(connection, tx, e, now, ct),
                _ => "ignored",
            };

            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE wechat_callback_events SET processed_at = @now, outcome = @outcome WHERE id = @eventId",
                new { now, outcome, eventId }, tx, cancellationToken: ct));
            await tx.CommitAsync(ct);
        }
        catch (Exception) when (!ct.IsCancellationRequested)
        {
            // The attempt rolled back with the work; count it on its own so a poisoned event stops being retried.
            await tx.RollbackAsync(CancellationToken.None);
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE wechat_callback_events SET attempts = attempts + 1 WHERE id = @eventId", new { eventId }, cancellationToken: CancellationToken.None));
            throw;
        }
        Log.Processed(logger, eventId, outcome);
    }

    private static async Task<string> BindAsync(MySqlConnection connection, MySqlTransaction tx, string scene, string openId, DateTime now, CancellationToken ct)
    {
        if (!scene.StartsWith(BindingScenePrefix, StringComparison.Ordinal))
        {
            return await SetFollowingAsync(connection, tx, openId, following: true, ct);
        }
        var binding = await connection.QuerySingleOrDefaultAsync<(long MemberId, DateTime ExpiresAt, DateTime? UsedAt)?>(new CommandDefinition(
            "SELECT member_id, expires_at, used_at FROM oa_binding_scenes WHERE scene = @scene FOR UPDATE", new { scene }, tx, cancellationToken: ct));
        if (binding is not { } b)
        {
            return "binding scene unknown";
        }
        if (b.UsedAt is not null)
        {
            return "binding scene already used";
        }
        if (b.ExpiresAt <= now)
        {
            return "binding scene expired";
        }
        // One openid belongs to one member: a person re-binding moves the openid to the member they scanned for.
        const string bind = """
            UPDATE members SET oa_openid = NULL, oa_following = FALSE, oa_bound_at = NULL WHERE oa_openid = @openId AND id <> @MemberId;
            UPDATE members SET oa_openid = @openId, oa_following = TRUE, oa_bound_at = @now WHERE id = @MemberId;
            UPDATE oa_binding_scenes SET used_at = @now, used_by_openid = @openId WHERE scene = @scene;
            """;
        await connection.ExecuteAsync(new CommandDefinition(bind, new { openId, b.MemberId, now, scene }, tx, cancellationToken: ct));
        return $"bound member {b.MemberId}";
    }

    /// <summary>
    /// A plain follow: a bound member follows again; an unbound person is matched through the UnionID that the
    /// Official Account and the mini-program share (wechat-reference §12) to a member who logged in to the mini-program.
    /// </summary>
    private async Task<string> FollowAsync(MySqlConnection connection, MySqlTransaction tx, string openId, DateTime now, CancellationToken ct)
    {
        var outcome = await SetFollowingAsync(connection, tx, openId, following: true, ct);
        if (outcome != "openid not bound")
        {
            return outcome;
        }
        var info = await services.GetRequiredService<EcoAid.Wechat.OfficialAccountApi>().GetUserInfoAsync(openId, ct: ct);
        if (info.Value?.Unionid is not { Length: > 0 } unionId)
        {
            return "openid not bound; no unionid";
        }
        var memberId = await connection.ExecuteScalarAsync<long?>(new CommandDefinition("""
            SELECT m.id FROM users u JOIN members m ON m.id = u.member_id
            WHERE u.unionid = @unionId AND m.oa_openid IS NULL ORDER BY u.id LIMIT 1
            """, new { unionId }, tx, cancellationToken: ct));
        if (memberId is null)
        {
            return "openid not bound; unionid matches no member";
        }
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE members SET oa_openid = @openId, oa_following = TRUE, oa_bound_at = @now WHERE id = @memberId AND oa_openid IS NULL",
            new { openId, now, memberId }, tx, cancellationToken: ct));
        return $"bound member {memberId} by unionid";
    }

    private static async Task<string> SetFollowingAsync(MySqlConnection connection, MySqlTransaction tx, string openId, bool following, CancellationToken ct)
    {
        var changed = await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE members SET oa_following = @following WHERE oa_openid = @openId", new { following, openId }, tx, cancellationToken: ct));
        return changed == 0 ? "openid not bound" : following ? "following" : "not following";
    }

    private static async Task<string> RecordTemplateResultAsync(MySqlConnection connection, MySqlTransaction tx, TemplateSendJobFinishEvent e, DateTime now, CancellationToken ct)
    {
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO wechat_template_results (msg_id, openid, status, reported_at) VALUES (@MsgId, @FromUserName, @Status, @now)
            ON DUPLICATE KEY UPDATE status = VALUES(status), reported_at = VALUES(reported_at)
            """, new { e.MsgId, e.FromUserName, e.Status, now }, tx, cancellationToken: ct));
        var rows = await Notifications.TemplateResults.ApplyAsync(connection, tx, e.MsgId, e.Status, ct);
        return rows == 0 ? $"template {e.Status}" : $"template {e.Status} (notification updated)";
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3010, Level = LogLevel.Information, Message = "WeChat callback event {EventId}: {Outcome}")]
        public static partial void Processed(ILogger logger, long eventId, string outcome);
    }
}
