using System.Data.Common;
using Dapper;
using EcoAid.Api.Features.Demands;

namespace EcoAid.Api.Features.Stats;

/// <summary>The overview's counts of a period: by status, category and source; by enterprise; by owner.</summary>
internal sealed record OverviewCounts(List<SubmittedGroup> Groups, Dictionary<(long Branch, long Key), KeyedCounts> ByEnterprise,
    Dictionary<(long Branch, long Key), KeyedCounts> ByOwner);

/// <summary>
/// The same counts as <see cref="StatsCounts"/> (which stays as their definition and test oracle), read from the counts
/// kept per Shanghai day and month (migration 0086: <c>stats_demand_counts</c>, <c>stats_demand_groups</c>,
/// <c>stats_event_counts</c>, kept by triggers) plus a small live part: the period's whole months from the monthly rows,
/// its other days from the daily rows (at most two partial months), and the inbox — demands not yet accepted and still
/// waiting (pending_review, submitted) — from <c>demands</c> itself, since their response is judged at the moment of
/// asking. A two-year period is a few thousand rows however many demands it holds.
/// </summary>
internal static class StatsRollups
{
    /// <summary><c>response_hours</c> of a demand that was never accepted.</summary>
    public const int NotAccepted = 32767;

    /// <summary>Statuses of the inbox: a demand in one of them and not accepted is counted live, not in the kept counts.</summary>
    private const string Waiting = $"'{DemandStatus.PendingReview}', '{DemandStatus.Submitted}'";

    /// <summary>
    /// <paramref name="start"/>–<paramref name="end"/> (Shanghai dates, inclusive) as the whole months inside it
    /// (first days; none when <c>FirstMonth &gt; LastMonth</c>) and up to two ranges of days outside them.
    /// </summary>
    internal static (DateOnly FirstMonth, DateOnly LastMonth, (DateOnly From, DateOnly To) Head, (DateOnly From, DateOnly To) Tail) Split(DateOnly start,
        DateOnly end)
    {
        (DateOnly, DateOnly) none = (DateOnly.MaxValue, DateOnly.MinValue);
        var firstMonth = start.Day == 1 ? start : Periods.MonthOf(start).AddMonths(1);
        var lastMonth = Periods.LastDayOfMonth(Periods.MonthOf(end)) == end ? Periods.MonthOf(end) : Periods.MonthOf(end).AddMonths(-1);
        if (firstMonth > lastMonth)
        {
            return (DateOnly.MaxValue, DateOnly.MinValue, (start, end), none);
        }
        return (firstMonth, lastMonth, start < firstMonth ? (start, firstMonth.AddDays(-1)) : none,
            Periods.LastDayOfMonth(lastMonth) < end ? (Periods.LastDayOfMonth(lastMonth).AddDays(1), end) : none);
    }

    private const string InRollup = """
        r.branch_id IN @ids AND ((r.grain = 'm' AND r.period BETWEEN @firstMonth AND @lastMonth)
                                 OR (r.grain = 'd' AND (r.period BETWEEN @headFrom AND @headTo OR r.period BETWEEN @tailFrom AND @tailTo)))
        """;

    private const string Live = "d.branch_id IN @ids AND d.submitted_at >= @fromUtc AND d.submitted_at < @toUtc AND d.accepted_at IS NULL";

    /// <summary>
    /// The counts of the Shanghai days <paramref name="start"/>–<paramref name="end"/> for <paramref name="ids"/>, the
    /// response judged at <paramref name="now"/> with the limit <paramref name="limit"/> (whole hours, 1–720): equal to
    /// <see cref="StatsCounts.SubmittedGroupsAsync"/> and <see cref="StatsCounts.KeyedAsync"/> by enterprise and by owner
    /// (the groups' response counts are carried by the enterprise counts instead).
    /// </summary>
    public static async Task<OverviewCounts> OverviewAsync(DbConnection connection, IReadOnlyList<long> ids, DateOnly start, DateOnly end,
        DateTimeOffset now, TimeSpan limit, CancellationToken ct)
    {
        var result = new OverviewCounts([], [], []);
        if (ids.Count == 0)
        {
            return result;
        }
        var limitHours = (int)limit.TotalHours;
        if (limitHours * TimeSpan.TicksPerHour != limit.Ticks || limitHours is < 1 or > 720)
        {
            throw new ArgumentOutOfRangeException(nameof(limit), "The response limit is kept in whole hours from 1 to 720.");
        }
        var (firstMonth, lastMonth, head, tail) = Split(start, end);
        var fromUtc = Periods.StartUtc(start);
        var toUtc = Periods.StartUtc(end.AddDays(1));
        var dueBy = (now - limit).UtcDateTime;
        using var reader = await connection.QueryMultipleAsync(new CommandDefinition($"""
            SELECT r.branch_id, r.status, r.category, r.source, SUM(r.demands) AS submitted
            FROM stats_demand_groups r WHERE {InRollup}
            GROUP BY r.branch_id, r.status, r.category, r.source;
            SELECT r.branch_id, r.enterprise_id, r.owner_member_id, SUM(r.demands) AS submitted, SUM(r.closed) AS closed, SUM(r.demands) AS response_due,
                   SUM(CASE WHEN r.response_hours <= @limitHours THEN r.demands ELSE 0 END) AS response_met
            FROM stats_demand_counts r WHERE {InRollup}
            GROUP BY r.branch_id, r.enterprise_id, r.owner_member_id;
            SELECT r.branch_id, r.enterprise_id, r.owner_member_id, SUM(r.resolutions) AS resolutions, SUM(r.resolved_on_time) AS resolved_on_time,
                   SUM(r.confirmations) AS confirmations, SUM(r.solved) AS solved, SUM(r.rated) AS rated, SUM(r.satisfied) AS satisfied
            FROM stats_event_counts r WHERE {InRollup}
            GROUP BY r.branch_id, r.enterprise_id, r.owner_member_id;
            SELECT d.branch_id, d.enterprise_id, COALESCE(d.owner_member_id, 0) AS owner_member_id, d.status, d.category, d.source, COUNT(*) AS submitted,
                   SUM(CASE WHEN d.status = 'closed' THEN 1 ELSE 0 END) AS closed,
                   SUM(CASE WHEN {Kpis.Sql.ResponseDue("(d.accepted_at)")} THEN 1 ELSE 0 END) AS response_due,
                   SUM(CASE WHEN {Kpis.Sql.ResponseMet("(d.accepted_at)")} THEN 1 ELSE 0 END) AS response_met
            FROM demands d WHERE {Live} AND d.status IN ({Waiting})
            GROUP BY d.branch_id, d.enterprise_id, d.owner_member_id, d.status, d.category, d.source;
            SELECT d.branch_id, d.enterprise_id, COALESCE(d.owner_member_id, 0) AS owner_member_id, COUNT(*) AS not_due
            FROM demands d WHERE {Live} AND d.submitted_at > @dueBy AND d.status NOT IN ({Waiting})
            GROUP BY d.branch_id, d.enterprise_id, d.owner_member_id;
            """, new
        {
            ids, firstMonth = Date(firstMonth), lastMonth = Date(lastMonth), headFrom = Date(head.From), headTo = Date(head.To), tailFrom = Date(tail.From),
            tailTo = Date(tail.To), limitHours, fromUtc, toUtc, dueBy, limitSeconds = (long)limit.TotalSeconds,
        }, cancellationToken: ct));

        var groups = new Dictionary<(long, string, string, string), int>();
        foreach (var g in await reader.ReadAsync<GroupRow>())
        {
            groups[(g.BranchId, g.Status, g.Category, g.Source)] = (int)g.Submitted;
        }
        // Per branch, enterprise and owner (0: none); the enterprise and owner counts are its sums.
        var cells = new Dictionary<(long Branch, long Enterprise, long Owner), KeyedCounts>();
        void Add(long branch, long enterprise, long owner, int submitted, int closed, RateCounts rates) =>
            Merge(cells, (branch, enterprise, owner), new KeyedCounts(branch, enterprise, submitted, closed, rates));
        foreach (var c in await reader.ReadAsync<CellRow>())
        {
            Add(c.BranchId, c.EnterpriseId, c.OwnerMemberId, (int)c.Submitted, (int)c.Closed, new RateCounts((int)c.ResponseDue, (int)c.ResponseMet, 0, 0, 0, 0, 0, 0));
        }
        foreach (var e in await reader.ReadAsync<EventRow>())
        {
            Add(e.BranchId, e.EnterpriseId, e.OwnerMemberId, 0, 0, new RateCounts(0, 0, (int)e.Resolutions, (int)e.ResolvedOnTime, (int)e.Confirmations,
                (int)e.Solved, (int)e.Rated, (int)e.Satisfied));
        }
        foreach (var l in await reader.ReadAsync<LiveRow>())
        {
            var key = (l.BranchId, l.Status, l.Category, l.Source);
            groups[key] = groups.GetValueOrDefault(key) + (int)l.Submitted;
            Add(l.BranchId, l.EnterpriseId, l.OwnerMemberId, (int)l.Submitted, (int)l.Closed, new RateCounts((int)l.ResponseDue, (int)l.ResponseMet, 0, 0, 0, 0, 0, 0));
        }
        // Settled demands never accepted are kept as due; those submitted less than the limit ago are not due yet.
        foreach (var n in await reader.ReadAsync<NotDueRow>())
        {
            Add(n.BranchId, n.EnterpriseId, n.OwnerMemberId, 0, 0, new RateCounts(-(int)n.NotDue, 0, 0, 0, 0, 0, 0, 0));
        }

        result.Groups.AddRange(groups.Select(g => new SubmittedGroup(g.Key.Item1, g.Key.Item2, g.Key.Item3, g.Key.Item4, g.Value, default)));
        foreach (var ((branch, enterprise, owner), c) in cells)
        {
            Merge(result.ByEnterprise, (branch, enterprise), c);
            if (owner != 0)
            {
                Merge(result.ByOwner, (branch, owner), c with { Key = owner });
            }
        }
        return result;
    }

    /// <summary>Adds <paramref name="c"/> to the counts under <paramref name="key"/> (kept as given when there are none yet).</summary>
    private static void Merge<TKey>(Dictionary<TKey, KeyedCounts> into, TKey key, KeyedCounts c) where TKey : notnull =>
        into[key] = into.TryGetValue(key, out var had)
            ? had with { Submitted = had.Submitted + c.Submitted, Closed = had.Closed + c.Closed, Rates = had.Rates + c.Rates }
            : c;

    private static DateTime Date(DateOnly day) => day.ToDateTime(TimeOnly.MinValue);

    private sealed class GroupRow
    {
        public long BranchId { get; init; }
        public string Status { get; init; } = "";
        public string Category { get; init; } = "";
        public string Source { get; init; } = "";
        public decimal Submitted { get; init; }
    }

    private sealed class CellRow
    {
        public long BranchId { get; init; }
        public long EnterpriseId { get; init; }
        public long OwnerMemberId { get; init; }
        public decimal Submitted { get; init; }
        public decimal Closed { get; init; }
        public decimal ResponseDue { get; init; }
        public decimal ResponseMet { get; init; }
    }

    private sealed class EventRow
    {
        public long BranchId { get; init; }
        public long EnterpriseId { get; init; }
        public long OwnerMemberId { get; init; }
        public decimal Resolutions { get; init; }
        public decimal ResolvedOnTime { get; init; }
        public decimal Confirmations { get; init; }
        public decimal Solved { get; init; }
        public decimal Rated { get; init; }
        public decimal Satisfied { get; init; }
    }

    private sealed class LiveRow
    {
        public long BranchId { get; init; }
        public long EnterpriseId { get; init; }
        public long OwnerMemberId { get; init; }
        public string Status { get; init; } = "";
        public string Category { get; init; } = "";
        public string Source { get; init; } = "";
        public long Submitted { get; init; }
        public decimal Closed { get; init; }
        public decimal ResponseDue { get; init; }
        public decimal ResponseMet { get; init; }
    }

    private sealed class NotDueRow
    {
        public long BranchId { get; init; }
        public long EnterpriseId { get; init; }
        public long OwnerMemberId { get; init; }
        public long NotDue { get; init; }
    }
}
