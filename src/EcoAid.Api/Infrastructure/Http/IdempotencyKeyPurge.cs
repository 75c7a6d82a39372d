using Dapper;
using MySqlConnector;

namespace EcoAid.Api.Infrastructure.Http;

/// <summary>Deletes stored Idempotency-Key answers older than <see cref="Idempotency.KeptFor"/>, in bounded batches.</summary>
public sealed partial class IdempotencyKeyPurge(MySqlDataSource db, TimeProvider clock, ILogger<IdempotencyKeyPurge> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromHours(1));
        do
        {
            try
            {
                await PurgeAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Log.Failed(logger, e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    public async Task<int> PurgeAsync(CancellationToken ct)
    {
        var cutoff = (clock.GetUtcNow() - Idempotency.KeptFor).UtcDateTime;
        var total = 0;
        await using var connection = await db.OpenConnectionAsync(ct);
        for (var round = 0; round < 100; round++)
        {
            var deleted = await connection.ExecuteAsync(new CommandDefinition(
                "DELETE FROM idempotency_keys WHERE created_at < @cutoff LIMIT 1000", new { cutoff }, cancellationToken: ct));
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
