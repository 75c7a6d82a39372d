using EcoAid.Api.Infrastructure.Hosting;
using EcoAid.Api.Infrastructure.Database;
using System.Collections.Concurrent;
using System.Data;
using System.Globalization;
using System.Text;
using Dapper;
using EcoAid.Api.Infrastructure.Wechat;
using EcoAid.Wechat;
using Microsoft.Extensions.Options;
using MySqlConnector;

namespace EcoAid.Api.Features.Notifications;

/// <summary>
/// Delivers the notification outbox. Runs in every instance; each round
/// <list type="number">
/// <item>claims due rows with <c>FOR UPDATE SKIP LOCKED</c> in a short transaction that marks them <c>sending</c> under
/// a lease (a crashed instance's rows are reclaimed when it runs out) and writes their inbox entries (once per row,
/// whatever WeChat then does; a row whose push waits for the morning gets its entry at once all the same);</item>
/// <item>sends them outside any transaction, on the recipient's channel: a member who follows the Official Account gets
/// its template message (with the row id as <c>client_msg_id</c>, so a repeat after a crash is not delivered twice);
/// otherwise a user with a subscribe acceptance left gets a subscribe message; otherwise the inbox alone;</item>
/// <item>records each row's outcome, the whole batch in one transaction: token trouble was already retried once by the
/// façade; -1, 5xx and time-outs back off exponentially with jitter (a subscribe message at most once more, as it has no
/// de-duplication key); 45009 waits; any other refusal fails the row with WeChat's reason; a row still failing after the
/// last attempt is parked.</item>
/// </list>
/// While a full batch is being sent the next one is claimed. Cancelling (shutdown) lets sends already under way finish
/// and be recorded, and hands the rest — and a batch claimed ahead — back at once.
/// </summary>
public sealed partial class NotificationDispatcher(MySqlDataSource db, IServiceProvider services, NotificationTemplates templates,
    IOptions<NotificationOptions> options, IOptions<WechatOptions> wechat, TimeProvider clock, ILogger<NotificationDispatcher> logger)
    : BackgroundService
{
    public const int InboxBatchSize = 500;

    /// <summary>
    /// Takes rows whose lease ran out (their instance died mid-round). SKIP LOCKED here too: a plain UPDATE over this
    /// range would wait on rows whose outcome another instance is recording, and deadlock with it.
    /// </summary>
    public const string ExpiredSql = """
        SELECT id, kind, recipient_type, recipient_id, demand_id, payload, attempts, unknown_sends, created_at, inbox_at
        FROM notification_outbox
        WHERE status = 'sending' AND (next_attempt_at <= @now
            OR claimed_by IN (SELECT instance_id FROM dispatcher_instances WHERE heartbeat_at < @silentSince))
        ORDER BY next_attempt_at, id
        LIMIT @limit
        FOR UPDATE SKIP LOCKED
        """;

    /// <summary>Takes the next due rows; the index (status, next_attempt_at) gives them in order, so only they are locked.</summary>
    public const string ClaimSql = """
        SELECT id, kind, recipient_type, recipient_id, demand_id, payload, attempts, unknown_sends, created_at, inbox_at
        FROM notification_outbox
        WHERE status = 'pending' AND next_attempt_at <= @now
        ORDER BY next_attempt_at, id
        LIMIT @limit
        FOR UPDATE SKIP LOCKED
        """;

    /// <summary>Marks the claimed rows as being sent by this claim until the lease runs out.</summary>
    public const string MarkSendingSql = """
        UPDATE notification_outbox SET status = 'sending', claim_token = @token, claimed_by = @instance, next_attempt_at = @leaseUntil, attempts = attempts + 1,
            inbox_at = COALESCE(inbox_at, @now)
        WHERE id IN @ids
        """;

    /// <summary>Marks this instance alive; rows claimed by an instance silent for longer than HeartbeatTimeout are taken over.</summary>
    public const string HeartbeatSql = """
        INSERT INTO dispatcher_instances (instance_id, heartbeat_at) VALUES (@instance, @now)
        ON DUPLICATE KEY UPDATE heartbeat_at = VALUES(heartbeat_at)
        """;

    private NotificationOptions Options => options.Value;

    /// <summary>This process's dispatcher, as its claims and heartbeats name it.</summary>
    public long InstanceId { get; } = Random.Shared.NextInt64(1, long.MaxValue);

    private string? clientMsgIdPrefix;

    /// <summary>Writes this instance's heartbeat (every claim does too) and forgets instances silent for a day.</summary>
    public async Task HeartbeatAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(HeartbeatSql + ";\nDELETE FROM dispatcher_instances WHERE heartbeat_at < @forgotten LIMIT 100",
            new { instance = InstanceId, now = now.UtcDateTime, forgotten = (now - TimeSpan.FromDays(1)).UtcDateTime }, cancellationToken: ct));
    }

    /// <summary>Beats every third of HeartbeatTimeout while the dispatcher runs, beside the rounds (a slow send never silences it).</summary>
    private Task BeatAsync(CancellationToken stoppingToken) =>
        RepeatingWork.RunAsync(Options.Dispatcher.HeartbeatTimeout / 3, clock, runAtStart: true, HeartbeatAsync,
            e => Log.HeartbeatFailed(logger, e.GetBaseException().Message), stoppingToken);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!Options.Dispatcher.Enabled)
        {
            return;
        }
        var beating = BeatAsync(stoppingToken);
        try
        {
            await RunRoundsAsync(stoppingToken);
        }
        finally
        {
            try
            {
                await beating;
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    private Task RunRoundsAsync(CancellationToken stoppingToken) =>
        RepeatingWork.RunAsync(Options.Dispatcher.Interval, clock, runAtStart: false, DrainAsync, e => Log.RoundFailed(logger, e), stoppingToken);

    /// <summary>
    /// Runs rounds until one finds less than a full batch to do. While a full batch is being sent, the next one is
    /// claimed, so the database work of one round overlaps the WeChat calls of the other. Inbox entries of waiting rows
    /// are written by the first claim of each drain (and by the next ones while a claim finds a full set of them).
    /// </summary>
    public async Task DrainAsync(CancellationToken ct)
    {
        Task<Batch>? next = ClaimBatchAsync(writeWaitingInbox: true, ct);
        try
        {
            while (next is not null)
            {
                var batch = await next;
                next = null;
                var more = batch.Rows.Count == Options.Dispatcher.BatchSize || batch.WaitingInboxed == InboxBatchSize;
                if (more && !ct.IsCancellationRequested)
                {
                    next = ClaimBatchAsync(writeWaitingInbox: batch.WaitingInboxed == InboxBatchSize, ct);
                }
                await DeliverBatchAsync(batch, ct);
            }
        }
        finally
        {
            // Stopped (or failed) with the next batch claimed: hand it back at once rather than at the end of its lease.
            if (next is not null)
            {
                try
                {
                    await DeliverBatchAsync(await next, new CancellationToken(canceled: true));
                }
                catch (Exception e) when (e is OperationCanceledException or MySqlException)
                {
                    // the claim itself was cancelled or failed: it holds nothing
                }
            }
        }
    }

    /// <summary>One round: inbox entries of waiting rows, then one claimed batch sent and recorded.</summary>
    public async Task<DispatchResult> DispatchPendingAsync(CancellationToken ct) =>
        await DeliverBatchAsync(await ClaimBatchAsync(writeWaitingInbox: true, ct), ct);

    /// <summary>Claimed rows (under <paramref name="Token"/>) with their recipients' channels.</summary>
    private sealed record Batch(List<OutboxRow> Rows, Recipients Recipients, long Token, int WaitingInboxed, int Inboxed);

    private async Task<Batch> ClaimBatchAsync(bool writeWaitingInbox, CancellationToken ct)
    {
        clientMsgIdPrefix ??= await services.GetRequiredService<DatabaseIdentity>().TokenAsync(ct);
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(HeartbeatSql, new { instance = InstanceId, now = clock.GetUtcNow().UtcDateTime }, cancellationToken: ct));
        var waitingInboxed = writeWaitingInbox ? await WriteWaitingInboxAsync(connection, ct) : 0;
        var token = Random.Shared.NextInt64(1, long.MaxValue);
        var (rows, recipients) = await ClaimAsync(connection, token, ct);
        return new Batch(rows, recipients, token, waitingInboxed, waitingInboxed + rows.Count(r => r.InboxAt is null));
    }

    private async Task<DispatchResult> DeliverBatchAsync(Batch batch, CancellationToken ct)
    {
        var rows = batch.Rows;
        if (rows.Count == 0)
        {
            return DispatchResult.Nothing with { Inboxed = batch.Inboxed };
        }
        var outcomes = new ConcurrentDictionary<long, Outcome>();
        try
        {
            var officialAccount = services.GetRequiredService<OfficialAccountApi>();
            var miniProgram = services.GetRequiredService<MiniProgramApi>();
            await Parallel.ForEachAsync(rows, new ParallelOptions { MaxDegreeOfParallelism = Options.Dispatcher.Concurrency }, async (row, _) =>
            {
                if (ct.IsCancellationRequested)
                {
                    return; // not started: handed back below
                }
                // Once started, a send is finished and recorded even when the round is cancelled: its outcome must not be lost.
                try
                {
                    outcomes[row.Id] = await DeliverAsync(row, batch.Recipients, officialAccount, miniProgram);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    Log.RowFailed(logger, e, row.Id);
                    outcomes[row.Id] = Retry(row, null, null, $"{e.GetType().Name}: {e.Message}");
                }
            });
        }
        finally
        {
            // Every outcome of the batch, and the rows never started handed back, in one transaction.
            await using var connection = await db.OpenConnectionAsync(CancellationToken.None);
            await SettleAsync(connection, rows, outcomes, batch.Token);
        }

        var settled = outcomes.Values.ToList();
        var result = new DispatchResult(batch.Inboxed, rows.Count,
            settled.Count(o => o.Status == OutboxStatus.Sent), settled.Count(o => o.Status == OutboxStatus.Skipped),
            settled.Count(o => o.Status == OutboxStatus.Pending), settled.Count(o => o.Status == OutboxStatus.Failed),
            settled.Count(o => o.Status == OutboxStatus.Parked), rows.Count - settled.Count);
        Log.Round(logger, result.Claimed, result.Sent, result.Skipped, result.Retrying, result.Failed, result.Parked, result.Released);
        return result;
    }

    /// <summary>
    /// Inbox entries of rows whose push waits (quiet hours, a retry later): due rows get theirs in the claim itself, so
    /// this pass only touches rows no claim wants now.
    /// </summary>
    private async Task<int> WriteWaitingInboxAsync(MySqlConnection connection, CancellationToken ct)
    {
        // Mostly there are none: look without a transaction or locks first.
        if (!await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM notification_outbox WHERE inbox_at IS NULL AND next_attempt_at > @now)",
            new { now = clock.GetUtcNow().UtcDateTime }, cancellationToken: ct)))
        {
            return 0;
        }
        await using var tx = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, ct);
        var rows = (await connection.QueryAsync<OutboxRow>(new CommandDefinition("""
            SELECT id, kind, recipient_type, recipient_id, demand_id, payload, created_at FROM notification_outbox
            WHERE inbox_at IS NULL AND next_attempt_at > @now LIMIT @limit FOR UPDATE SKIP LOCKED
            """, new { now = clock.GetUtcNow().UtcDateTime, limit = InboxBatchSize }, tx, cancellationToken: ct))).ToList();
        if (rows.Count > 0)
        {
            var (sql, parameters) = InboxInsert(rows);
            sql += "\nUPDATE notification_outbox SET inbox_at = @now WHERE id IN @ids;";
            parameters.Add("now", clock.GetUtcNow().UtcDateTime);
            parameters.Add("ids", rows.Select(r => r.Id).ToList());
            await connection.ExecuteAsync(new CommandDefinition(sql, parameters, tx, cancellationToken: ct));
        }
        await tx.CommitAsync(ct);
        return rows.Count;
    }

    /// <summary>One multi-row insert of inbox entries; the unique outbox_id makes a second write of the same row a no-op.</summary>
    private (string Sql, DynamicParameters Parameters) InboxInsert(List<OutboxRow> rows)
    {
        var sql = new StringBuilder("INSERT IGNORE INTO notification_inbox (outbox_id, recipient_type, recipient_id, kind, demand_id, title, summary, page, created_at) VALUES ");
        var parameters = new DynamicParameters();
        for (var i = 0; i < rows.Count; i++)
        {
            var row = rows[i];
            var template = templates.For(row.Kind);
            var values = row.ValuesFor(template.Info);
            sql.Append(i == 0 ? "" : ",").Append(CultureInfo.InvariantCulture, $"(@o{i},@rt{i},@ri{i},@k{i},@d{i},@t{i},@s{i},@p{i},@c{i})");
            parameters.Add($"o{i}", row.Id);
            parameters.Add($"rt{i}", row.RecipientType);
            parameters.Add($"ri{i}", row.RecipientId);
            parameters.Add($"k{i}", row.Kind);
            parameters.Add($"d{i}", row.DemandId);
            parameters.Add($"t{i}", template.RenderTitle(values));
            parameters.Add($"s{i}", template.RenderSummary(values));
            parameters.Add($"p{i}", template.RenderPage(values) is { Length: <= KindTemplate.PageMax } page ? page : null);
            parameters.Add($"c{i}", row.CreatedAt);
        }
        return (sql.Append(';').ToString(), parameters);
    }

    private async Task<(List<OutboxRow> Rows, Recipients Recipients)> ClaimAsync(MySqlConnection connection, long token, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        // Read committed: the claim locks the rows it returns and nothing around them.
        await using var tx = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, ct);
        // One round trip: rows whose lease ran out come first (they have waited longest), then due rows.
        List<OutboxRow> rows;
        await using (var found = await connection.QueryMultipleAsync(new CommandDefinition(ExpiredSql + ";\n" + ClaimSql,
            new { now = now.UtcDateTime, limit = Options.Dispatcher.BatchSize, silentSince = (now - Options.Dispatcher.HeartbeatTimeout).UtcDateTime },
            tx, cancellationToken: ct)))
        {
            var expired = (await found.ReadAsync<OutboxRow>()).ToList();
            rows = [.. expired.Concat(await found.ReadAsync<OutboxRow>()).Take(Options.Dispatcher.BatchSize)];
            if (expired.Count > 0)
            {
                Log.Reclaimed(logger, expired.Count);
            }
        }
        if (rows.Count == 0)
        {
            await tx.CommitAsync(ct);
            return (rows, Recipients.None);
        }
        // The inbox entries of the claimed rows are written in the claim: once, before WeChat is asked anything. The
        // recipients' channels are read in the same round trip.
        var needInbox = rows.Where(r => r.InboxAt is null).ToList();
        var (sql, parameters) = needInbox.Count > 0 ? InboxInsert(needInbox) : ("", new DynamicParameters());
        parameters.Add("token", token);
        parameters.Add("instance", InstanceId);
        parameters.Add("leaseUntil", (now + Options.Dispatcher.Lease).UtcDateTime);
        parameters.Add("now", now.UtcDateTime);
        parameters.Add("ids", rows.Select(r => r.Id).ToList());
        parameters.Add("memberIds", rows.Where(r => r.RecipientType == "member").Select(r => r.RecipientId).Distinct().ToList());
        parameters.Add("userIds", rows.Where(r => r.RecipientType == "user").Select(r => r.RecipientId).Distinct().ToList());
        Recipients recipients;
        await using (var results = await connection.QueryMultipleAsync(new CommandDefinition(MarkSendingSql + ";\n" + sql + RecipientsSql, parameters, tx, cancellationToken: ct)))
        {
            var members = (await results.ReadAsync<(long Id, string? OaOpenId, bool OaFollowing)>()).ToDictionary(m => m.Id);
            var memberUsers = (await results.ReadAsync<(long Id, string OpenId, long MemberId)>())
                .GroupBy(u => u.MemberId).ToDictionary(g => g.Key, g => g.Select(u => (u.Id, u.OpenId)).ToList());
            var users = (await results.ReadAsync<(long Id, string OpenId)>()).ToDictionary(u => u.Id, u => u.OpenId);
            var quotas = (await results.ReadAsync<(long UserId, string TemplateId)>()).ToHashSet();
            recipients = new Recipients(members, memberUsers, users, quotas);
        }
        await tx.CommitAsync(ct);
        foreach (var row in rows)
        {
            row.Attempts++;
        }
        return (rows, recipients);
    }

    // Members' Official Account binding, their users and the users' remaining subscribe acceptances.
    private const string RecipientsSql = """

        SELECT id, oa_openid, oa_following FROM members WHERE id IN @memberIds;
        SELECT id, openid, member_id FROM users WHERE member_id IN @memberIds ORDER BY last_login_at DESC, id DESC;
        SELECT id, openid FROM users WHERE id IN @userIds;
        SELECT q.user_id, q.template_id FROM subscribe_quotas q
        WHERE q.remaining > 0 AND (q.user_id IN @userIds OR q.user_id IN (SELECT u.id FROM users u WHERE u.member_id IN @memberIds));
        """;

    private static partial class Log
    {
        [LoggerMessage(EventId = 5000, Level = LogLevel.Debug,
            Message = "Dispatch round: {Claimed} claimed, {Sent} sent, {Skipped} inbox only, {Retrying} retrying, {Failed} failed, {Parked} parked, {Released} released")]
        public static partial void Round(ILogger logger, int claimed, int sent, int skipped, int retrying, int failed, int parked, int released);

        [LoggerMessage(EventId = 5001, Level = LogLevel.Warning, Message = "Notification {OutboxId} ({Kind}) refused on {Channel}: {Reason}")]
        public static partial void Failed(ILogger logger, long outboxId, string kind, string channel, string reason);

        [LoggerMessage(EventId = 5002, Level = LogLevel.Error, Message = "Notification {OutboxId} ({Kind}) parked after {Attempts} attempts")]
        public static partial void Parked(ILogger logger, long outboxId, string kind, int attempts);

        [LoggerMessage(EventId = 5003, Level = LogLevel.Warning, Message = "Reclaimed {Count} notifications whose lease ran out")]
        public static partial void Reclaimed(ILogger logger, int count);

        [LoggerMessage(EventId = 5004, Level = LogLevel.Warning, Message = "{Count} notifications were reclaimed by another instance before their outcome was recorded")]
        public static partial void LeaseLost(ILogger logger, int count);

        [LoggerMessage(EventId = 5010, Level = LogLevel.Warning, Message = "Dispatcher heartbeat failed: {Reason}")]
        public static partial void HeartbeatFailed(ILogger logger, string reason);

        [LoggerMessage(EventId = 5008, Level = LogLevel.Error, Message = "Notification {OutboxId} could not be delivered; it will be tried again")]
        public static partial void RowFailed(ILogger logger, Exception exception, long outboxId);

        [LoggerMessage(EventId = 5005, Level = LogLevel.Error, Message = "Notification dispatch round failed")]
        public static partial void RoundFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 5006, Level = LogLevel.Information, Message = "Handed {Count} unsent notifications back to the queue")]
        public static partial void Released(ILogger logger, int count);

        [LoggerMessage(EventId = 5007, Level = LogLevel.Information, Message = "Member {MemberId} no longer follows the Official Account (43004)")]
        public static partial void NotFollowing(ILogger logger, long memberId);
    }
}
