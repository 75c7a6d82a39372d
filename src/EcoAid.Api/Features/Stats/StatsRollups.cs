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
/// <c>stats_event_counts</c>, kept by triggers) plus a small live part: the period's months from the monthly rows, its
/// partial months (at most two) corrected with daily rows (<see cref="Split"/>), and the inbox — demands not yet accepted and still
/// waiting (pending_review, submitted) — from <c>demands</c> itself, since their response is judged at the moment of
/// asking. A two-year period is a few thousand rows however many demands it holds.
/// </summary>
internal static class StatsRollups
{
    /// <summary>Statuses of the inbox: a demand in one of them and not accepted is counted live, not in the kept counts.</summary>
    private const string Waiting = $"'{DemandStatus.PendingReview}', '{DemandStatus.Submitted}'";

    /// <summary>Shanghai days <see cref="From"/>–<see cref="To"/>, inclusive; empty when <c>From &gt; To</c>.</summary>
    internal readonly record struct DayRange(DateOnly From, DateOnly To)
    {
        public static readonly DayRange None = new(DateOnly.MaxValue, DateOnly.MinValue);

        public bool IsEmpty => From > To;
    }

    /// <summary>
    /// A period as kept rows: the monthly rows of <see cref="FirstMonth"/>–<see cref="LastMonth"/> (first days; none when
    /// <c>FirstMonth &gt; LastMonth</c>), plus the daily rows of <see cref="AddHead"/> and <see cref="AddTail"/>, minus the
    /// daily rows of <see cref="SubtractHead"/> and <see cref="SubtractTail"/>.
    /// </summary>
    internal readonly record struct RollupPlan(DateOnly FirstMonth, DateOnly LastMonth, DayRange AddHead, DayRange AddTail, DayRange SubtractHead,
        DayRange SubtractTail);

    /// <summary>
    /// <paramref name="start"/>–<paramref name="end"/> (Shanghai dates, inclusive) in the fewest kept rows: whole months
    /// from their monthly rows, and a month the period covers only in part either from the daily rows of the days it
    /// covers or, when it covers more than half, from its monthly row minus the daily rows of the days it leaves out
    /// (counts add up, so both give the same sums). A two-year period then reads about 24 monthly and 11 daily rows per
    /// key instead of 23 and 32.
    /// </summary>
    internal static RollupPlan Split(DateOnly start, DateOnly end)
    {
        var first = Periods.MonthOf(start);
        var last = Periods.MonthOf(end);
        var firstEnd = Periods.LastDayOfMonth(first);
        var lastEnd = Periods.LastDayOfMonth(last);
        DayRange Days(DateOnly from, DateOnly to) => from <= to ? new DayRange(from, to) : DayRange.None;
        // The days of a month before start and after end (none on its first and last day: no date outside DateOnly's range).
        DayRange Before(DateOnly month, DateOnly day) => day > month ? Days(month, day.AddDays(-1)) : DayRange.None;
        DayRange After(DateOnly day, DateOnly monthEnd) => day < monthEnd ? Days(day.AddDays(1), monthEnd) : DayRange.None;
        if (first == last)
        {
            var inside = end.DayNumber - start.DayNumber + 1;
            return firstEnd.DayNumber - first.DayNumber + 1 - inside < inside
                ? new RollupPlan(first, first, DayRange.None, DayRange.None, Before(first, start), After(end, firstEnd))
                : new RollupPlan(DateOnly.MaxValue, DateOnly.MinValue, Days(start, end), DayRange.None, DayRange.None, DayRange.None);
        }
        var plan = new RollupPlan(first, last, DayRange.None, DayRange.None, DayRange.None, DayRange.None);
        // Days before the period in its first month, and after it in its last: subtracted when fewer than those inside.
        if (start.Day - 1 < firstEnd.DayNumber - start.DayNumber + 1)
        {
            plan = plan with { SubtractHead = Before(first, start) };
        }
        else
        {
            plan = plan with { FirstMonth = first.AddMonths(1), AddHead = Days(start, firstEnd) };
        }
        if (lastEnd.DayNumber - end.DayNumber < end.Day)
        {
            plan = plan with { SubtractTail = After(end, lastEnd) };
        }
        else
        {
            plan = plan with { LastMonth = last.AddMonths(-1), AddTail = Days(last, end) };
        }
        return plan;
    }

    // The period bounds are date strings (see Date): keep them bare operands of = or BETWEEN with r.period, where both
    // servers compare them as dates; inside an expression or an IN list MySQL 8 would compare them as strings.
    private const string InRollup = """
        r.branch_id IN @ids AND ((r.grain = 'm' AND r.period BETWEEN @firstMonth AND @lastMonth)
                                 OR (r.grain = 'd' AND (r.period BETWEEN @addHeadFrom AND @addHeadTo OR r.period BETWEEN @addTailFrom AND @addTailTo
                                                        OR r.period BETWEEN @subHeadFrom AND @subHeadTo OR r.period BETWEEN @subTailFrom AND @subTailTo)))
        """;

    /// <summary>A kept row's sign in the period's sums: -1 for the days a partial month's monthly row brought in but the period leaves out.</summary>
    private const string Sign = """
        (CASE WHEN r.grain = 'd' AND (r.period BETWEEN @subHeadFrom AND @subHeadTo OR r.period BETWEEN @subTailFrom AND @subTailTo) THEN -1 ELSE 1 END)
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
        var plan = Split(start, end);
        var fromUtc = Periods.StartUtc(start);
        var toUtc = Periods.StartUtc(end.AddDays(1));
        var dueBy = (now - limit).UtcDateTime;
        // The inbox is read through the index on (branch, status, submitted_at): its two statuses' ranges are the inbox
        // itself. Left to choose, MariaDB prefers the covering ix_demands_branch_stats and reads every demand of the
        // period (about 40 ms at 100,000 demands over two years, against 1 ms).
        await using var reader = await connection.QueryMultipleAsync(new CommandDefinition($"""
            SELECT r.branch_id, r.status, r.category, r.source, SUM(r.demands * {Sign}) AS submitted
            FROM stats_demand_groups r WHERE {InRollup}
            GROUP BY r.branch_id, r.status, r.category, r.source
            HAVING submitted <> 0;
            SELECT r.branch_id, r.enterprise_id, r.owner_member_id, SUM(r.demands * {Sign}) AS submitted, SUM(r.closed * {Sign}) AS closed,
                   SUM(r.demands * {Sign}) AS response_due, SUM(r.response_met * {Sign}) AS response_met,
                   MAX((SELECT s.response_limit_hours FROM stats_settings s WHERE s.id = 1)) AS kept_limit
            FROM stats_demand_counts r WHERE {InRollup}
            GROUP BY r.branch_id, r.enterprise_id, r.owner_member_id
            HAVING submitted <> 0;
            SELECT r.branch_id, r.enterprise_id, r.owner_member_id, SUM(r.resolutions * {Sign}) AS resolutions,
                   SUM(r.resolved_on_time * {Sign}) AS resolved_on_time, SUM(r.confirmations * {Sign}) AS confirmations, SUM(r.solved * {Sign}) AS solved,
                   SUM(r.rated * {Sign}) AS rated, SUM(r.satisfied * {Sign}) AS satisfied
            FROM stats_event_counts r WHERE {InRollup}
            GROUP BY r.branch_id, r.enterprise_id, r.owner_member_id
            HAVING SUM(r.resolutions * {Sign}) <> 0 OR SUM(r.confirmations * {Sign}) <> 0;
            SELECT d.branch_id, d.enterprise_id, COALESCE(d.owner_member_id, 0) AS owner_member_id, d.status, d.category, d.source, COUNT(*) AS submitted,
                   SUM(CASE WHEN d.status = 'closed' THEN 1 ELSE 0 END) AS closed,
                   SUM(CASE WHEN {Kpis.Sql.ResponseDue("(d.accepted_at)")} THEN 1 ELSE 0 END) AS response_due,
                   SUM(CASE WHEN {Kpis.Sql.ResponseMet("(d.accepted_at)")} THEN 1 ELSE 0 END) AS response_met
            FROM demands d FORCE INDEX (ix_demands_branch_status) WHERE {Live} AND d.status IN ({Waiting})
            GROUP BY d.branch_id, d.enterprise_id, d.owner_member_id, d.status, d.category, d.source;
            SELECT d.branch_id, d.enterprise_id, COALESCE(d.owner_member_id, 0) AS owner_member_id, COUNT(*) AS not_due
            FROM demands d WHERE {Live} AND d.submitted_at > @dueBy AND d.status NOT IN ({Waiting})
            GROUP BY d.branch_id, d.enterprise_id, d.owner_member_id;
            """, new
        {
            ids, firstMonth = Date(plan.FirstMonth), lastMonth = Date(plan.LastMonth), addHeadFrom = Date(plan.AddHead.From), addHeadTo = Date(plan.AddHead.To),
            addTailFrom = Date(plan.AddTail.From), addTailTo = Date(plan.AddTail.To), subHeadFrom = Date(plan.SubtractHead.From),
            subHeadTo = Date(plan.SubtractHead.To), subTailFrom = Date(plan.SubtractTail.From), subTailTo = Date(plan.SubtractTail.To), fromUtc,
            toUtc, dueBy, limitSeconds = (long)limit.TotalSeconds,
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
        // The kept rows judged the response against the limit in stats_settings, read in the same statement; when that is not
        // this instance's limit (another instance recounted at its start, or this one's recount failed), the accepted demands
        // of the period are counted from the demands instead (StatsResponseLimit), in a statement of their own: an acceptance
        // committed between the two may be counted as met but not yet as due, as between the kept and the live parts.
        var keptOtherLimit = false;
        foreach (var c in await reader.ReadAsync<CellRow>())
        {
            keptOtherLimit |= c.KeptLimit != limitHours;
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

        if (keptOtherLimit)
        {
            await reader.DisposeAsync();
            // Only the kept rows count acceptances within the limit (the live parts are demands not accepted), so all of them go.
            foreach (var key in cells.Keys.ToList())
            {
                cells[key] = cells[key] with { Rates = cells[key].Rates with { ResponseMet = 0 } };
            }
            var accepted = await connection.QueryAsync<CellRow>(new CommandDefinition($"""
                SELECT d.branch_id, d.enterprise_id, COALESCE(d.owner_member_id, 0) AS owner_member_id,
                       SUM(CASE WHEN {Kpis.Sql.ResponseMet("(d.accepted_at)")} THEN 1 ELSE 0 END) AS response_met
                FROM demands d WHERE d.branch_id IN @ids AND d.submitted_at >= @fromUtc AND d.submitted_at < @toUtc AND d.accepted_at IS NOT NULL
                GROUP BY d.branch_id, d.enterprise_id, d.owner_member_id
                """, new { ids, fromUtc, toUtc, limitSeconds = (long)limit.TotalSeconds }, cancellationToken: ct));
            foreach (var a in accepted)
            {
                Add(a.BranchId, a.EnterpriseId, a.OwnerMemberId, 0, 0, new RateCounts(0, (int)a.ResponseMet, 0, 0, 0, 0, 0, 0));
            }
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

    /// <summary>
    /// The resolutions and confirmations of the Shanghai month <paramref name="month"/> per branch, from its kept monthly
    /// rows: equal to <see cref="StatsCounts.KeyedAsync"/>'s event counts for the month by branch (the response counts are 0).
    /// </summary>
    public static async Task<Dictionary<long, RateCounts>> MonthEventsAsync(DbConnection connection, IReadOnlyList<long> ids, DateOnly month,
        CancellationToken ct)
    {
        if (ids.Count == 0)
        {
            return [];
        }
        var rows = await connection.QueryAsync<EventRow>(new CommandDefinition("""
            SELECT r.branch_id, SUM(r.resolutions) AS resolutions, SUM(r.resolved_on_time) AS resolved_on_time, SUM(r.confirmations) AS confirmations,
                   SUM(r.solved) AS solved, SUM(r.rated) AS rated, SUM(r.satisfied) AS satisfied
            FROM stats_event_counts r WHERE r.branch_id IN @ids AND r.grain = 'm' AND r.period = @month
            GROUP BY r.branch_id
            """, new { ids, month = Date(Periods.MonthOf(month)) }, cancellationToken: ct));
        return rows.ToDictionary(e => e.BranchId, e => new RateCounts(0, 0, (int)e.Resolutions, (int)e.ResolvedOnTime, (int)e.Confirmations, (int)e.Solved,
            (int)e.Rated, (int)e.Satisfied));
    }

    /// <summary>Adds <paramref name="c"/> to the counts under <paramref name="key"/> (kept as given when there are none yet).</summary>
    private static void Merge<TKey>(Dictionary<TKey, KeyedCounts> into, TKey key, KeyedCounts c) where TKey : notnull =>
        into[key] = into.TryGetValue(key, out var had)
            ? had with { Submitted = had.Submitted + c.Submitted, Closed = had.Closed + c.Closed, Rates = had.Rates + c.Rates }
            : c;

    /// <summary>
    /// A kept row's period bound as a date literal ('2026-11-01'). MySqlConnector sends a DateTime or a DateOnly as
    /// <c>timestamp('…')</c>, and MariaDB then compares every row's DATE period as a datetime: the event counts of two years at
    /// 100,000 demands (1,600 rows) took 2.8 ms that way against 1.8 ms with the literal (same rows, same answer).
    /// </summary>
    private static string Date(DateOnly day) => day.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

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
        public int? KeptLimit { get; init; }
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
