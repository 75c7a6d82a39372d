using Dapper;
using MySqlConnector;

namespace EcoAid.Api.Features.Demands;

/// <summary>
/// Checks again the demands accepted while WeChat's content check could not be asked. A demand found risky is not
/// deleted (nothing is lost): it is marked, and an internal timeline event tells the commissioner to return it.
/// Runs in every instance; a row is claimed with SKIP LOCKED so two instances never check the same one.
/// </summary>
public sealed partial class ContentRecheckWorker(MySqlDataSource db, IServiceProvider services, TimeProvider clock, ILogger<ContentRecheckWorker> logger)
    : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await RecheckPendingAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Log.Failed(logger, e);
            }
        }
    }

    /// <summary>Rechecks up to 50 pending demands; returns how many got a verdict.</summary>
    public async Task<int> RecheckPendingAsync(CancellationToken ct)
    {
        // The check wraps a typed HttpClient, which is meant to be short-lived: take a fresh one per round.
        var check = services.GetRequiredService<IContentCheck>();
        var done = 0;
        for (var i = 0; i < 50; i++)
        {
            await using var connection = await db.OpenConnectionAsync(ct);
            await using var tx = await connection.BeginTransactionAsync(ct);
            var row = await connection.QuerySingleOrDefaultAsync<(long Id, string Title, string Description, string OpenId)?>(new CommandDefinition("""
                SELECT d.id, d.title, d.description, u.openid FROM demands d JOIN users u ON u.id = d.submitted_by
                WHERE d.content_check = 'pending' ORDER BY d.id LIMIT 1 FOR UPDATE SKIP LOCKED
                """, transaction: tx, cancellationToken: ct));
            if (row is not { } d)
            {
                break;
            }
            var verdict = await check.CheckAsync(d.OpenId, $"{d.Title}\n{d.Description}", ct);
            if (verdict == ContentVerdict.Unavailable)
            {
                break; // still no answer from WeChat: try again next round
            }
            var state = verdict switch { ContentVerdict.Risky => "risky", ContentVerdict.Review => "review", _ => "passed" };
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE demands SET content_check = @state WHERE id = @Id", new { state, d.Id }, tx, cancellationToken: ct));
            if (verdict == ContentVerdict.Risky)
            {
                await DemandStore.AppendEventAsync(connection, tx, d.Id, null, "content_flagged", "internal",
                    "内容安全复检未通过，请核实后退回或联系企业修改。", null, clock.GetUtcNow(), ct);
            }
            await tx.CommitAsync(ct);
            done++;
        }
        return done;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4020, Level = LogLevel.Error, Message = "Content recheck round failed")]
        public static partial void Failed(ILogger logger, Exception exception);
    }
}
