using EcoAid.Api.Infrastructure.Hosting;
using Dapper;
using MySqlConnector;

namespace EcoAid.Api.Infrastructure.Http;

/// <summary>
/// Deletes stored Idempotency-Key answers older than <see cref="Idempotency.KeptFor"/>, in bounded batches, oldest first
/// through the index on their age (migration 0092). The DELETE locks only the old keys it removes and the first key after
/// them, so it does not make new claims wait, and it waits for a submission in flight only when that submission's key is
/// the first one after the cutoff (nothing kept was written between), and then for that transaction's milliseconds.
/// </summary>
public sealed partial class IdempotencyKeyPurge(MySqlDataSource db, TimeProvider clock, ILogger<IdempotencyKeyPurge> logger) : RepeatingWorker
{
    // Hourly on the system clock, a first round at start-up (as before the base class; tests call PurgeAsync).
    protected override TimeSpan Interval => TimeSpan.FromHours(1);

    protected override bool RunsAtStart => true;

    protected override Task RunRoundAsync(CancellationToken ct) => PurgeAsync(ct);

    protected override void RoundFailed(Exception exception) => Log.Failed(logger, exception);

    public async Task<int> PurgeAsync(CancellationToken ct)
    {
        var cutoff = (clock.GetUtcNow() - Idempotency.KeptFor).UtcDateTime;
        var total = 0;
        await using var connection = await db.OpenConnectionAsync(ct);
        for (var round = 0; round < 100; round++)
        {
            var deleted = await connection.ExecuteAsync(new CommandDefinition(
                "DELETE FROM idempotency_keys WHERE created_at < @cutoff ORDER BY created_at LIMIT 1000", new { cutoff }, cancellationToken: ct));
            total += deleted;
            if (deleted < 1000)
            {
                break;
            }
        }
        return total;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1110, Level = LogLevel.Error, Message = "Purging old idempotency keys failed")]
        public static partial void Failed(ILogger logger, Exception exception);
    }
}
