using System.Data;
using System.Text.Json;
using Dapper;
using EcoAid.Api.Features.Stats;
using MySqlConnector;

namespace EcoAid.Api.Features.Reports;

/// <summary>
/// The demand states of a finished month, kept per branch in <c>report_month_snapshots</c> (see migration 0090): the
/// aggregated rows <see cref="ReportFigureSource"/> folds and the twelve-month trend, exactly as the timeline gives them
/// at the month's end. Events are written at the moment they happen and neither events nor demands are deleted, so once
/// the month is over those rows do not change; what could still change them is checked on every read:
/// <list type="bullet">
/// <item>a demand event or a demand written since the snapshot (id above its watermark) dated before the month's end
/// (a seed, an import, a test back-dating its data);</item>
/// <item>the demands whose state then reads their present columns: those without any status event before the month's
/// end (rows from before the timeline) and those whose last status event then was the submission while their content
/// check can still move (pending, risky, review). Their ids are kept with a fingerprint of those columns.</item>
/// </list>
/// A snapshot that fails either check is computed again. A branch with more than <see cref="MaxVolatile"/> such
/// demands is not kept (computed every time, as before).
/// </summary>
internal static class ReportSnapshots
{
    public const int MaxVolatile = 2000;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private sealed class SnapshotRow
    {
        public long BranchId { get; init; }
        public long LastEventId { get; init; }
        public long LastDemandId { get; init; }
        public string VolatileIds { get; init; } = "[]";
        public string VolatileCheck { get; init; } = "";
        public string Counts { get; init; } = "[]";
        public string Trend { get; init; } = "";
    }

    private sealed record TrendData(int[] Collected, int[] Closed);

    // The columns of a demand its state then can read when the timeline does not decide it.
    private const string Fingerprint = """
        SELECT CONCAT(COUNT(*), ':', COALESCE(SUM(CRC32(CONCAT_WS('|', id, version, content_check, status, COALESCE(due_date, '-'),
                      COALESCE(accepted_at, '-'), COALESCE(closed_at, '-'), COALESCE(department_id, '-')))), 0))
        FROM demands WHERE id IN @ids
        """;

    public static async Task<(List<ReportFigureSource.DemandCount> Counts, List<MonthPoint> Trend)> LoadAsync(MySqlConnection connection,
        IReadOnlyList<long> ids, DateOnly month, DateTime asOf, CancellationToken ct)
    {
        var first = month.ToDateTime(TimeOnly.MinValue);
        var (lastEvent, lastDemand) = await connection.QuerySingleAsync<(long, long)>(new CommandDefinition(
            "SELECT (SELECT COALESCE(MAX(id), 0) FROM demand_events), (SELECT COALESCE(MAX(id), 0) FROM demands)", cancellationToken: ct));
        var kept = ids.Count == 0 ? [] : (await connection.QueryAsync<SnapshotRow>(new CommandDefinition("""
            SELECT branch_id, last_event_id, last_demand_id, volatile_ids, volatile_check, counts, trend
            FROM report_month_snapshots WHERE month = @first AND branch_id IN @ids
            """, new { first, ids }, cancellationToken: ct))).ToList();
        var valid = new List<SnapshotRow>();
        if (kept.Count > 0)
        {
            // Anything written since the oldest watermark and dated before the month's end: every kept row of the month goes.
            var backDated = await connection.ExecuteScalarAsync<bool>(new CommandDefinition("""
                SELECT EXISTS (SELECT 1 FROM demand_events WHERE id > @fromEvent AND id <= @lastEvent AND created_at < @asOf)
                    OR EXISTS (SELECT 1 FROM demands WHERE id > @fromDemand AND id <= @lastDemand AND submitted_at < @asOf)
                """, new { fromEvent = kept.Min(k => k.LastEventId), lastEvent, fromDemand = kept.Min(k => k.LastDemandId), lastDemand, asOf },
                cancellationToken: ct));
            if (!backDated)
            {
                foreach (var k in kept)
                {
                    var volatileIds = JsonSerializer.Deserialize<long[]>(k.VolatileIds, Json)!;
                    if (volatileIds.Length == 0 || await connection.ExecuteScalarAsync<string>(new CommandDefinition(Fingerprint, new { ids = volatileIds },
                            cancellationToken: ct)) == k.VolatileCheck)
                    {
                        valid.Add(k);
                    }
                }
                // Checked up to now: the next read looks only at what is written after.
                var advanced = valid.Where(v => v.LastEventId < lastEvent || v.LastDemandId < lastDemand).Select(v => v.BranchId).ToList();
                if (advanced.Count > 0)
                {
                    await connection.ExecuteAsync(new CommandDefinition("""
                        UPDATE report_month_snapshots SET last_event_id = GREATEST(last_event_id, @lastEvent), last_demand_id = GREATEST(last_demand_id, @lastDemand)
                        WHERE month = @first AND branch_id IN @advanced
                        """, new { lastEvent, lastDemand, first, advanced }, cancellationToken: ct));
                }
            }
        }

        var counts = new List<ReportFigureSource.DemandCount>();
        var collected = new int[12];
        var closed = new int[12];
        void Add(IEnumerable<ReportFigureSource.DemandCount> c, TrendData t)
        {
            counts.AddRange(c);
            for (var i = 0; i < 12; i++)
            {
                collected[i] += t.Collected[i];
                closed[i] += t.Closed[i];
            }
        }
        foreach (var v in valid)
        {
            Add(JsonSerializer.Deserialize<List<ReportFigureSource.DemandCount>>(v.Counts, Json)!, JsonSerializer.Deserialize<TrendData>(v.Trend, Json)!);
        }
        var missing = ids.Except(valid.Select(v => v.BranchId)).ToList();
        if (missing.Count > 0)
        {
            foreach (var (c, t) in await ComputeAndKeepAsync(connection, missing, month, asOf, ct))
            {
                Add(c, t);
            }
        }
        return (counts, ReportFigureSource.TrendPoints(month, collected, closed));
    }

    /// <summary>Computes the branches' month from the timeline in one consistent read, keeps each branch's rows, and returns them.</summary>
    private static async Task<List<(List<ReportFigureSource.DemandCount>, TrendData)>> ComputeAndKeepAsync(MySqlConnection connection,
        List<long> ids, DateOnly month, DateTime asOf, CancellationToken ct)
    {
        var first = month.ToDateTime(TimeOnly.MinValue);
        List<ReportFigureSource.DemandCount> counts;
        Dictionary<long, (int[] Collected, int[] Closed)> trend;
        Dictionary<long, List<long>> volatileIds;
        Dictionary<long, string> checks = [];
        long lastEvent, lastDemand;
        // One snapshot of the database for the watermarks, the counts and the fingerprints (REPEATABLE READ): a write
        // that lands meanwhile is above the watermarks or moves a fingerprint, and is seen by the next read.
        await using (var tx = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct))
        {
            (lastEvent, lastDemand) = await connection.QuerySingleAsync<(long, long)>(new CommandDefinition(
                "SELECT (SELECT COALESCE(MAX(id), 0) FROM demand_events), (SELECT COALESCE(MAX(id), 0) FROM demands)", transaction: tx, cancellationToken: ct));
            counts = await ReportFigureSource.DemandCountsAsync(connection, ids, month, asOf, Periods.LastDayOfMonth(month), ct, tx);
            trend = await ReportFigureSource.TrendByBranchAsync(connection, ids, month, asOf, tx, ct);
            volatileIds = (await connection.QueryAsync<(long BranchId, long Id)>(new CommandDefinition($"""
                {ReportFigureSource.AsOfDemands}
                SELECT a.branch_id, a.id FROM asof a JOIN demands d ON d.id = a.id
                LEFT JOIN last_status ls ON ls.demand_id = a.id LEFT JOIN demand_events s ON s.id = ls.id
                WHERE ls.id IS NULL OR (s.kind = 'submitted' AND d.content_check IN ('pending', 'risky', 'review'))
                ORDER BY a.id
                """, new { ids, asOf }, tx, cancellationToken: ct))).GroupBy(x => x.BranchId).ToDictionary(g => g.Key, g => g.Select(x => x.Id).ToList());
            foreach (var (branch, list) in volatileIds.Where(v => v.Value.Count is > 0 and <= MaxVolatile))
            {
                checks[branch] = await connection.ExecuteScalarAsync<string>(new CommandDefinition(Fingerprint, new { ids = list }, tx, cancellationToken: ct)) ?? "";
            }
            await tx.CommitAsync(ct);
        }

        var result = new List<(List<ReportFigureSource.DemandCount>, TrendData)>();
        foreach (var branch in ids)
        {
            var branchCounts = counts.Where(c => c.BranchId == branch).ToList();
            var t = trend.TryGetValue(branch, out var bt) ? new TrendData(bt.Collected, bt.Closed) : new TrendData(new int[12], new int[12]);
            result.Add((branchCounts, t));
            var branchVolatile = volatileIds.GetValueOrDefault(branch) ?? [];
            if (branchVolatile.Count > MaxVolatile)
            {
                continue;
            }
            await connection.ExecuteAsync(new CommandDefinition("""
                INSERT INTO report_month_snapshots (branch_id, month, last_event_id, last_demand_id, volatile_ids, volatile_check, counts, trend, computed_at)
                VALUES (@branch, @first, @lastEvent, @lastDemand, @volatileIds, @check, @counts, @trend, UTC_TIMESTAMP(6))
                ON DUPLICATE KEY UPDATE last_event_id = VALUES(last_event_id), last_demand_id = VALUES(last_demand_id), volatile_ids = VALUES(volatile_ids),
                    volatile_check = VALUES(volatile_check), counts = VALUES(counts), trend = VALUES(trend), computed_at = VALUES(computed_at)
                """, new
            {
                branch, first, lastEvent, lastDemand, volatileIds = JsonSerializer.Serialize(branchVolatile, Json), check = checks.GetValueOrDefault(branch, ""),
                counts = JsonSerializer.Serialize(branchCounts, Json), trend = JsonSerializer.Serialize(t, Json),
            }, cancellationToken: ct));
        }
        return result;
    }
}
