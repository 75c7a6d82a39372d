using System.Data;
using System.Diagnostics;
using Dapper;
using EcoAid.Api.Infrastructure.Database;
using Microsoft.Extensions.Options;
using MySqlConnector;

namespace EcoAid.Api.Features.Stats;

/// <summary>
/// Keeps the limit the kept demand counts judge the response against (<c>stats_settings</c>, migration 0091) equal to
/// Stats:ResponseLimitHours: at start-up, when they differ, it stores the configured limit and counts
/// <c>stats_demand_counts</c> again from the demands, in one transaction. Instances configured with different limits
/// would undo each other's recount at every start; their overviews stay right all the same (StatsRollups counts the
/// response from the demands when the kept rows carry another limit), only slower.
/// </summary>
internal sealed partial class StatsResponseLimit(MySqlDataSource db, IOptions<StatsOptions> options, ILogger<StatsResponseLimit> logger) : IStartupDataStep
{
    /// <summary>
    /// The kept counts of every settled demand, as the triggers of migration 0091 write them one demand at a time:
    /// per Shanghai day and month of submission, enterprise and current owner; accepted within <c>@hours</c> or not.
    /// </summary>
    /// <summary>How long a start waits for demands being settled to let go of the settings row before it gives up the recount.</summary>
    internal const int LockWaitSeconds = 5;

    internal const string RecountSql = """
        INSERT INTO stats_settings (id, response_limit_hours) VALUES (1, @hours) ON DUPLICATE KEY UPDATE response_limit_hours = VALUES(response_limit_hours);
        DELETE FROM stats_demand_counts;
        INSERT INTO stats_demand_counts (branch_id, grain, period, enterprise_id, owner_member_id, demands, closed, response_met)
        SELECT d.branch_id, g.grain,
               CASE g.grain WHEN 'd' THEN DATE(d.submitted_at + INTERVAL 8 HOUR)
                            ELSE DATE(d.submitted_at + INTERVAL 8 HOUR) - INTERVAL (DAYOFMONTH(DATE(d.submitted_at + INTERVAL 8 HOUR)) - 1) DAY END,
               d.enterprise_id, COALESCE(d.owner_member_id, 0), COUNT(*), SUM(CASE WHEN d.status = 'closed' THEN 1 ELSE 0 END),
               SUM(CASE WHEN d.accepted_at IS NOT NULL AND d.accepted_at <= d.submitted_at + INTERVAL @hours HOUR THEN 1 ELSE 0 END)
        FROM demands d CROSS JOIN (SELECT 'd' AS grain UNION ALL SELECT 'm' AS grain) g
        WHERE d.accepted_at IS NOT NULL OR d.status NOT IN ('pending_review', 'submitted')
        GROUP BY 1, 2, 3, 4, 5;
        """;

    public async Task RunAsync(CancellationToken ct)
    {
        var hours = options.Value.ResponseLimitHours;
        try
        {
            await RecountIfChangedAsync(hours, ct);
        }
        catch (MySqlException e) when (e.ErrorCode is MySqlErrorCode.LockWaitTimeout or MySqlErrorCode.LockDeadlock or MySqlErrorCode.CommandTimeoutExpired)
        {
            // Demands being settled held the limit (a long bulk change, another instance recounting): the service starts
            // all the same, its overviews right but slower (counted from the demands), and the next start tries again.
            Log.RecountPostponed(logger, hours, e.ErrorCode.ToString());
        }
    }

    private async Task RecountIfChangedAsync(int hours, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        // Most starts find the limit unchanged: a plain read, no lock that settling demands would wait behind.
        if (await connection.ExecuteScalarAsync<int?>(new CommandDefinition(
                "SELECT response_limit_hours FROM stats_settings WHERE id = 1", cancellationToken: ct)) == hours)
        {
            return;
        }
        // A start waits at most LockWaitSeconds for the settings row (RunAsync starts without the recount after that).
        await connection.ExecuteAsync(new CommandDefinition($"SET SESSION innodb_lock_wait_timeout = {LockWaitSeconds}", cancellationToken: ct));
        try
        {
            // Read committed: the recount reads the demands without locking them. The settings row is locked first, so a
            // demand changed meanwhile is either committed before the recount reads (its trigger held the row shared) or
            // counted by its trigger after the commit, against the new limit.
            await using var tx = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, ct);
            var kept = await connection.ExecuteScalarAsync<int?>(new CommandDefinition(
                "SELECT response_limit_hours FROM stats_settings WHERE id = 1 FOR UPDATE", transaction: tx, cancellationToken: ct));
            if (kept == hours)
            {
                await tx.CommitAsync(ct);
                return;
            }
            var watch = Stopwatch.StartNew();
            await connection.ExecuteAsync(new CommandDefinition(RecountSql, new { hours }, tx, commandTimeout: 600, cancellationToken: ct));
            await tx.CommitAsync(ct);
            Log.Recounted(logger, kept, hours, watch.ElapsedMilliseconds);
        }
        finally
        {
            await connection.ExecuteAsync(new CommandDefinition("SET SESSION innodb_lock_wait_timeout = DEFAULT", cancellationToken: CancellationToken.None));
        }
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "Stats: the kept demand counts were judged against {Kept} hours; counted again against {Hours} hours in {Milliseconds} ms.")]
        public static partial void Recounted(ILogger logger, int? kept, int hours, long milliseconds);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Stats: the kept demand counts could not be counted again against {Hours} hours ({Error}); overviews count the response from the demands until a start succeeds.")]
        public static partial void RecountPostponed(ILogger logger, int hours, string error);
    }
}
