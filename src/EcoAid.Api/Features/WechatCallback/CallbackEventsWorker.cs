using EcoAid.Api.Infrastructure.Hosting;
using Dapper;
using MySqlConnector;

namespace EcoAid.Api.Features.WechatCallback;

/// <summary>
/// Finishes callback events whose request ran out of its time budget, or whose instance stopped mid-way. Runs in every
/// instance; <see cref="CallbackProcessor"/>'s row lock keeps two instances off the same event.
/// </summary>
public sealed partial class CallbackEventsWorker(MySqlDataSource db, CallbackProcessor processor, TimeProvider clock, ILogger<CallbackEventsWorker> logger)
    : RepeatingWorker
{
    protected override TimeProvider TimerClock => clock;

    public static readonly TimeSpan Every = TimeSpan.FromSeconds(15);

    protected override TimeSpan Interval => Every;

    protected override Task RunRoundAsync(CancellationToken ct) => ProcessPendingAsync(ct);

    protected override void RoundFailed(Exception exception) => Log.SweepFailed(logger, exception);
    private const int MaxAttempts = 5;

    /// <summary>Processes events received more than a budget ago and not yet done; returns how many it tried.</summary>
    public async Task<int> ProcessPendingAsync(CancellationToken ct)
    {
        IReadOnlyList<long> pending;
        await using (var connection = await db.OpenConnectionAsync(ct))
        {
            pending = (await connection.QueryAsync<long>(new CommandDefinition("""
                SELECT id FROM wechat_callback_events
                WHERE processed_at IS NULL AND received_at < @cutoff AND attempts < @MaxAttempts
                ORDER BY id LIMIT 100
                """, new { cutoff = (clock.GetUtcNow() - WechatCallbackApi.ProcessingBudget).UtcDateTime, MaxAttempts }, cancellationToken: ct))).ToList();
        }
        foreach (var id in pending)
        {
            try
            {
                await processor.ProcessAsync(id, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Log.EventFailed(logger, e, id);
            }
        }
        return pending.Count;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3020, Level = LogLevel.Error, Message = "Sweeping pending WeChat callback events failed")]
        public static partial void SweepFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 3021, Level = LogLevel.Error, Message = "WeChat callback event {EventId} failed")]
        public static partial void EventFailed(ILogger logger, Exception exception, long eventId);
    }
}
