using System.Collections.Concurrent;
using System.Data;
using System.Text;
using Dapper;
using MySqlConnector;

namespace EcoAid.Api.Features.Notifications;

public sealed partial class NotificationDispatcher
{
    /// <summary>
    /// Records the batch: each row's outcome (only where this claim still holds the row: after a lost lease another
    /// instance's outcome stands), and the rows not started back to pending without spending an attempt. Then applies any
    /// TEMPLATESENDJOBFINISH that WeChat reported before this bookkeeping.
    /// </summary>
    private async Task SettleAsync(MySqlConnection connection, List<OutboxRow> rows, ConcurrentDictionary<long, Outcome> outcomes, long token)
    {
        var now = clock.GetUtcNow();
        var sql = new StringBuilder();
        var parameters = new DynamicParameters();
        parameters.Add("token", token);
        parameters.Add("now", now.UtcDateTime);
        // One statement for the whole batch: an UPDATE joined to the outcomes as a derived table.
        var settledRows = rows.Where(r => outcomes.ContainsKey(r.Id)).ToList();
        if (settledRows.Count > 0)
        {
            sql.Append("UPDATE notification_outbox o JOIN (");
            for (var i = 0; i < settledRows.Count; i++)
            {
                var row = settledRows[i];
                var o = outcomes[row.Id];
                sql.Append(i == 0
                    ? $"SELECT @id{i} AS id, @s{i} AS status, @c{i} AS channel, @t{i} AS template_id, @m{i} AS msg_id, @e{i} AS error, @n{i} AS next_at, @a{i} AS attempt_delta, @u{i} AS unknown_sends"
                    : $" UNION ALL SELECT @id{i}, @s{i}, @c{i}, @t{i}, @m{i}, @e{i}, @n{i}, @a{i}, @u{i}");
                parameters.Add($"id{i}", row.Id);
                parameters.Add($"s{i}", o.Status);
                parameters.Add($"c{i}", o.Channel);
                parameters.Add($"t{i}", o.TemplateId);
                parameters.Add($"m{i}", o.MsgId);
                parameters.Add($"e{i}", o.Error is { Length: > 500 } tooLong ? tooLong[..500] : o.Error);
                // A finished row keeps its next_attempt_at: nothing reads it again, and leaving it spares an index update.
                parameters.Add($"n{i}", o.Status == OutboxStatus.Pending ? (now + (o.RetryAfter ?? TimeSpan.Zero)).UtcDateTime : (DateTime?)null);
                parameters.Add($"a{i}", o.AttemptDelta);
                parameters.Add($"u{i}", o.UnknownSends ?? row.UnknownSends);
            }
            sql.Append("""
                ) v ON o.id = v.id
                SET o.status = v.status, o.channel = COALESCE(v.channel, o.channel), o.template_id = COALESCE(v.template_id, o.template_id),
                    o.wechat_msg_id = v.msg_id, o.last_error = v.error, o.next_attempt_at = COALESCE(v.next_at, o.next_attempt_at),
                    o.attempts = o.attempts + v.attempt_delta, o.unknown_sends = v.unknown_sends,
                    o.sent_at = CASE WHEN v.status = 'sent' THEN @now ELSE NULL END, o.claim_token = NULL
                WHERE o.claim_token = @token;
                SELECT ROW_COUNT();

                """);
        }
        var released = rows.Where(r => !outcomes.ContainsKey(r.Id)).Select(r => r.Id).ToList();
        if (released.Count > 0)
        {
            sql.Append("""
                UPDATE notification_outbox SET status = 'pending', next_attempt_at = @now, attempts = attempts - 1, claim_token = NULL
                WHERE id IN @released AND claim_token = @token;
                SELECT ROW_COUNT();

                """);
            parameters.Add("released", released);
        }

        // A TEMPLATESENDJOBFINISH that arrived before this bookkeeping waits in wechat_template_results: read it in the
        // same transaction, after the update (a plain read: locking it would deadlock with the callback storing it).
        var sent = outcomes.Values.Where(o => o is { Status: OutboxStatus.Sent, Channel: Channels.OfficialAccount, MsgId: not null })
            .Select(o => o.MsgId!.Value).ToList();
        sql.Append("SELECT msg_id, status FROM wechat_template_results WHERE msg_id IN @sent;");
        parameters.Add("sent", sent);

        // The outcomes of sends must not be lost to a lock conflict: the transaction is tried again (it is idempotent).
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var tx = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, CancellationToken.None);
                long changed = 0;
                List<(long MsgId, string Status)> reports;
                await using (var results = await connection.QueryMultipleAsync(new CommandDefinition(sql.ToString(), parameters, tx, cancellationToken: CancellationToken.None)))
                {
                    for (var counts = (settledRows.Count > 0 ? 1 : 0) + (released.Count > 0 ? 1 : 0); counts > 0; counts--)
                    {
                        changed += await results.ReadSingleAsync<long>();
                    }
                    reports = [.. await results.ReadAsync<(long, string)>()];
                }
                foreach (var (msgId, status) in reports)
                {
                    await TemplateResults.ApplyAsync(connection, tx, msgId, status, CancellationToken.None);
                }
                await tx.CommitAsync(CancellationToken.None);
                if (changed < rows.Count)
                {
                    Log.LeaseLost(logger, (int)(rows.Count - changed)); // reclaimed by another instance meanwhile: its outcome stands
                }
                if (released.Count > 0)
                {
                    Log.Released(logger, released.Count);
                }
                return;
            }
            catch (MySqlException e) when (attempt < 3 && e.ErrorCode is MySqlErrorCode.LockDeadlock or MySqlErrorCode.LockWaitTimeout)
            {
                // chosen as a deadlock victim: nothing was changed, go again
            }
        }
    }

    private async Task MarkNotFollowingAsync(long memberId, string openId)
    {
        await using var connection = await db.OpenConnectionAsync(CancellationToken.None);
        await connection.ExecuteAsync(new CommandDefinition("UPDATE members SET oa_following = FALSE WHERE id = @memberId AND oa_openid = @openId",
            new { memberId, openId }, cancellationToken: CancellationToken.None));
        Log.NotFollowing(logger, memberId);
    }
}
