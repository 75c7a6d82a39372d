using EcoAid.Api.Infrastructure.Hosting;
using Dapper;
using MySqlConnector;

namespace EcoAid.Api.Features.Demands;

/// <summary>
/// Checks again the demands accepted while WeChat's content check could not be asked. A demand found risky is not
/// deleted (nothing is lost): it is marked, and an internal timeline event tells the commissioner to return it.
/// Runs in every instance; a row is claimed with SKIP LOCKED so two instances never check the same one.
/// </summary>
public sealed partial class ContentRecheckWorker(MySqlDataSource db, IServiceProvider services, TimeProvider clock, ILogger<ContentRecheckWorker> logger)
    : RepeatingWorker
{
    protected override TimeProvider TimerClock => clock;

    public static readonly TimeSpan Every = TimeSpan.FromMinutes(5);

    protected override TimeSpan Interval => Every;

    protected override Task RunRoundAsync(CancellationToken ct) => RecheckPendingAsync(ct);

    protected override void RoundFailed(Exception exception) => Log.Failed(logger, exception);

    /// <summary>After this many attempts without an answer from WeChat, a person looks at the text instead.</summary>
    public const int MaxAttempts = 10;

    /// <summary>
    /// Rechecks up to 50 pending demands that are due; returns how many got a verdict. Each demand is claimed in a short
    /// transaction that also schedules its next attempt (back-off doubling from a minute up to six hours), and WeChat
    /// is asked outside any transaction, so no row stays locked while WeChat answers and a demand WeChat cannot check
    /// just waits for its next turn while the others go ahead.
    /// </summary>
    public async Task<int> RecheckPendingAsync(CancellationToken ct)
    {
        // The check wraps a typed HttpClient, which is meant to be short-lived: take a fresh one per round.
        var check = services.GetRequiredService<IContentCheck>();
        var done = 0;
        for (var i = 0; i < 50; i++)
        {
            var now = clock.GetUtcNow();
            Claimed? claimed;
            await using (var connection = await db.OpenConnectionAsync(ct))
            {
                await using var tx = await connection.BeginTransactionAsync(ct);
                claimed = await connection.QuerySingleOrDefaultAsync<Claimed>(new CommandDefinition("""
                    SELECT d.id, d.title, d.description, u.openid, d.content_check_attempts AS attempts
                    FROM demands d JOIN users u ON u.id = d.submitted_by
                    WHERE d.content_check = 'pending' AND (d.content_check_next_at IS NULL OR d.content_check_next_at <= @now)
                    ORDER BY d.content_check_next_at, d.id LIMIT 1 FOR UPDATE SKIP LOCKED
                    """, new { now = now.UtcDateTime }, tx, cancellationToken: ct));
                if (claimed is null)
                {
                    break;
                }
                var wait = TimeSpan.FromMinutes(Math.Min(360, Math.Pow(2, claimed.Attempts)));
                await connection.ExecuteAsync(new CommandDefinition("""
                    UPDATE demands SET content_check_attempts = content_check_attempts + 1, content_check_next_at = @next WHERE id = @Id
                    """, new { next = (now + wait).UtcDateTime, claimed.Id }, tx, cancellationToken: ct));
                await tx.CommitAsync(ct);
            }

            var verdict = await check.CheckAsync(claimed.Openid, $"{claimed.Title}\n{claimed.Description}", ct);
            if (verdict == ContentVerdict.Unavailable && claimed.Attempts + 1 < MaxAttempts)
            {
                continue; // its next turn is scheduled; the others go ahead
            }

            var state = verdict switch
            {
                ContentVerdict.Risky => "risky",
                ContentVerdict.Pass => "passed",
                _ => "review", // WeChat said "review", or could not check it in MaxAttempts tries: a person decides
            };
            await using (var connection = await db.OpenConnectionAsync(ct))
            {
                await using var tx = await connection.BeginTransactionAsync(ct);
                var changed = await connection.ExecuteAsync(new CommandDefinition(
                    """
                    UPDATE demands SET content_check = @state,
                           status = CASE WHEN @state <> 'passed' AND status = 'submitted' THEN 'pending_review' ELSE status END,
                           version = version + 1
                    WHERE id = @Id AND content_check = 'pending'
                    """, new { state, claimed.Id }, tx, cancellationToken: ct));
                if (changed == 1)
                {
                    // A flagged demand leaves the lists of everyone but the commissioners: kept totals are counted again.
                    await DemandCounts.BumpAsync(connection, tx, ct);
                }
                if (changed == 1 && state != "passed")
                {
                    await DemandStore.AppendEventAsync(connection, tx, claimed.Id, null, "content_flagged", "internal",
                        verdict == ContentVerdict.Risky ? "内容安全复检未通过，请核实后退回或联系企业修改。"
                        : verdict == ContentVerdict.Review ? "内容安全复检建议人工审核，请核实内容。"
                        : "多次未能完成内容安全复检，请人工核实内容。", null, clock.GetUtcNow(), ct);
                }
                await tx.CommitAsync(ct);
            }
            done++;
        }
        return done;
    }

    private sealed class Claimed
    {
        public long Id { get; init; }
        public string Title { get; init; } = "";
        public string Description { get; init; } = "";
        public string Openid { get; init; } = "";
        public int Attempts { get; init; }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4020, Level = LogLevel.Error, Message = "Content recheck round failed")]
        public static partial void Failed(ILogger logger, Exception exception);
    }
}
