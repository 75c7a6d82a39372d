using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Dapper;
using EcoAid.Api.Features.Calendar;
using Microsoft.Extensions.Options;
using MySqlConnector;

namespace EcoAid.Api.Features.PolicyLibrary;

/// <summary>
/// Views and scans, counted in memory per document and Asia/Shanghai day (and source, for scans) so that a cached read
/// costs an increment, and added to the database in one short transaction every
/// <see cref="PolicyOptions.CounterFlushInterval"/> — and when the instance stops. A failed flush keeps its counts for
/// the next one.
/// </summary>
public sealed partial class PolicyCounters(MySqlDataSource db, TimeProvider clock, ILogger<PolicyCounters> logger)
{
    private readonly ConcurrentDictionary<(long PolicyId, DateOnly Day), StrongBox<long>> views = new();
    private readonly ConcurrentDictionary<(long PolicyId, string Source, DateOnly Day), StrongBox<long>> scans = new();
    private readonly SemaphoreSlim flushing = new(1, 1);

    public void CountView(long policyId) =>
        Interlocked.Increment(ref views.GetOrAdd((policyId, WorkingCalendar.Today(clock.GetUtcNow())), static _ => new StrongBox<long>()).Value);

    public void CountScan(long policyId, string source) =>
        Interlocked.Increment(ref scans.GetOrAdd((policyId, source, WorkingCalendar.Today(clock.GetUtcNow())), static _ => new StrongBox<long>()).Value);

    /// <summary>Adds what was counted since the last flush to the database. Tests and the stats endpoint call it directly.</summary>
    public async Task FlushAsync(CancellationToken ct)
    {
        await flushing.WaitAsync(ct);
        try
        {
            var today = WorkingCalendar.Today(clock.GetUtcNow());
            var viewRows = Take(views, today).Select(e => new { e.Key.PolicyId, Day = e.Key.Day.ToDateTime(TimeOnly.MinValue), Count = e.Count }).ToList();
            var scanRows = Take(scans, today).Select(e => new { e.Key.PolicyId, e.Key.Source, Day = e.Key.Day.ToDateTime(TimeOnly.MinValue), Count = e.Count }).ToList();
            if (viewRows.Count == 0 && scanRows.Count == 0)
            {
                return;
            }
            try
            {
                await using var connection = await db.OpenConnectionAsync(ct);
                await using var tx = await connection.BeginTransactionAsync(ct);
                await connection.ExecuteAsync(new CommandDefinition("""
                    INSERT INTO policy_daily_views (policy_id, day, views) VALUES (@PolicyId, @Day, @Count)
                    ON DUPLICATE KEY UPDATE views = views + @Count
                    """, viewRows, tx, cancellationToken: ct));
                await connection.ExecuteAsync(new CommandDefinition("""
                    INSERT INTO policy_daily_scans (policy_id, source, day, scans) VALUES (@PolicyId, @Source, @Day, @Count)
                    ON DUPLICATE KEY UPDATE scans = scans + @Count
                    """, scanRows, tx, cancellationToken: ct));
                await tx.CommitAsync(ct);
            }
            catch (Exception e) when (e is MySqlException or OperationCanceledException or TimeoutException)
            {
                // Put the counts back; the next flush tries again.
                foreach (var row in viewRows)
                {
                    Interlocked.Add(ref views.GetOrAdd((row.PolicyId, DateOnly.FromDateTime(row.Day)), static _ => new StrongBox<long>()).Value, row.Count);
                }
                foreach (var row in scanRows)
                {
                    Interlocked.Add(ref scans.GetOrAdd((row.PolicyId, row.Source, DateOnly.FromDateTime(row.Day)), static _ => new StrongBox<long>()).Value, row.Count);
                }
                Log.FlushFailed(logger, e, viewRows.Count + scanRows.Count);
                if (e is OperationCanceledException)
                {
                    throw;
                }
            }
        }
        finally
        {
            flushing.Release();
        }
    }

    /// <summary>Takes every non-zero count (leaving zero behind, so an increment racing with this is kept for next time).</summary>
    private static List<(TKey Key, long Count)> Take<TKey>(ConcurrentDictionary<TKey, StrongBox<long>> counters, DateOnly today) where TKey : notnull
    {
        var taken = new List<(TKey, long)>();
        foreach (var (key, box) in counters)
        {
            var count = Interlocked.Exchange(ref box.Value, 0);
            if (count > 0)
            {
                taken.Add((key, count));
            }
            else if (DayOf(key) < today.AddDays(-1))
            {
                // Long idle: nobody is still incrementing a day before yesterday.
                counters.TryRemove(key, out _);
            }
        }
        return taken;
    }

    private static DateOnly DayOf<TKey>(TKey key) => key switch
    {
        ValueTuple<long, DateOnly> v => v.Item2,
        ValueTuple<long, string, DateOnly> s => s.Item3,
        _ => DateOnly.MaxValue,
    };

    private static partial class Log
    {
        [LoggerMessage(EventId = 6001, Level = LogLevel.Warning, Message = "Could not add {Rows} counter rows to the database; keeping them for the next flush")]
        public static partial void FlushFailed(ILogger logger, Exception exception, int rows);
    }
}

/// <summary>
/// Flushes <see cref="PolicyCounters"/> on a timer, and once more on the way down. The timer runs on wall-clock time
/// on purpose: the counts carry the (injected) clock's day already, and a seconds-long periodic timer on a test's fake
/// clock would fire once per period of every jump — hundreds of thousands of callbacks for a jump of a few weeks.
/// </summary>
public sealed class PolicyCounterFlusher(PolicyCounters counters, IOptions<PolicyOptions> options) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.CounterFlushInterval, TimeProvider.System);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await counters.FlushAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            await counters.FlushAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
        }
    }
}
