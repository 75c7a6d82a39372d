using System.Data;
using System.Globalization;
using System.Text;
using Dapper;
using EcoAid.Api.Features.Calendar;
using EcoAid.Api.Features.Demands;
using EcoAid.Api.Features.Stats;
using MySqlConnector;

namespace EcoAid.Api.Features.Reports;

/// <summary>One scope's figures (a branch, or the roll-up of several) for a month, as they stood at the report's moment.</summary>
public sealed record ScopeFigures(long? BranchId, string Name,
    int Collected, IReadOnlyList<CountItem> ByCategory, IReadOnlyList<CountItem> BySource, IReadOnlyList<CountItem> ByStatus,
    int Claimed, int Transferred, int Closed, int InProgress, int Overdue,
    int NewThisMonth, IReadOnlyList<CountItem> NewByCategory, IReadOnlyList<CountItem> NewBySource, int ClaimedThisMonth, int TransferredThisMonth,
    int ClosedThisMonth, int MaterialListsSent, int MaterialListsRead, int Visits, int ExpertVisits, int Meetings, int Whistles, Rates Rates);

/// <summary>The demands of a report's scope with one category and one state as of the report's moment (the workbook's 分类统计).</summary>
internal sealed record CategoryStatusCount(string Category, string Status, int Count);

/// <summary>A report's figures with what only its files need, both from the same aggregated rows.</summary>
/// <remarks><see cref="ClosedEarlier"/>: demands collected before the month and closed in it (the second part of the workbook's list).</remarks>
internal sealed record ComputedReport(ReportFigures Figures, IReadOnlyList<CategoryStatusCount> ByCategoryStatus, int ClosedEarlier);

/// <summary>Demands collected and closed in one month, for the twelve-month chart.</summary>
public sealed record MonthPoint(string Month, int Collected, int Closed);

/// <summary>A typical case (典型案例) as the secretary wrote it: 问题 → 举措 → 成效.</summary>
public sealed record TypicalCaseItem(long DemandId, string Number, string EnterpriseName, string BranchName, string Title, string Problem, string Measures,
    string Outcome);

/// <summary>
/// A monthly report's figures. <see cref="AsOf"/> is the moment they describe: the end of the month (Asia/Shanghai), or
/// the moment of computing for the current month; <see cref="AsOfDate"/> is the day a reader sees ("截至…").
/// </summary>
public sealed record ReportFigures(string Scope, string ScopeName, string Month, DateTimeOffset AsOf, DateOnly AsOfDate, bool MonthComplete,
    int ResponseLimitHours, ScopeFigures Total, IReadOnlyList<ScopeFigures> Branches, IReadOnlyList<MonthPoint> Trend, IReadOnlyList<TypicalCaseItem> Cases);

/// <summary>
/// Computes a month's figures from the append-only timeline as it stood at a moment, never from a demand's state now:
/// a demand's state then is the one its last status event before the moment gave it, its due date the one its last
/// plan or deadline event set (the event's details, or the date its text states). Rows without any timeline (written
/// before events existed) fall back to their own columns. Counts are aggregated in SQL.
/// </summary>
internal static class ReportFigureSource
{
    // Which event leaves a demand in which state.
    internal const string StatusOfEvent = """
        CASE s.kind WHEN 'submitted' THEN IF(d.content_check IN ('risky', 'review'), 'pending_review', 'submitted')
                    WHEN 'review_accepted' THEN 'submitted' WHEN 'review_returned' THEN 'returned'
                    WHEN 'claimed' THEN 'accepted' WHEN 'transferred' THEN 'accepted' WHEN 'reopened' THEN 'accepted'
                    WHEN 'resolved' THEN 'resolved' WHEN 'confirmed' THEN 'closed' WHEN 'returned' THEN 'returned' WHEN 'withdrawn' THEN 'withdrawn' END
        """;

    /// <summary>
    /// Each demand of the branches submitted before <c>@asOf</c>, with its state, due date and first acceptance as of then.
    /// Used as a CTE by the aggregations and by the report's list.
    /// </summary>
    internal const string AsOfDemands = $$"""
        WITH last_status AS (
            SELECT ev.demand_id, MAX(ev.id) AS id FROM demand_events ev JOIN demands x ON x.id = ev.demand_id
            WHERE x.branch_id IN @ids AND x.submitted_at < @asOf AND ev.created_at < @asOf
              AND ev.kind IN ('submitted', 'review_accepted', 'review_returned', 'claimed', 'transferred', 'reopened', 'resolved', 'confirmed',
                              'returned', 'withdrawn')
            GROUP BY ev.demand_id),
        last_due AS (
            SELECT ev.demand_id, MAX(ev.id) AS id FROM demand_events ev JOIN demands x ON x.id = ev.demand_id
            WHERE x.branch_id IN @ids AND x.submitted_at < @asOf AND ev.created_at < @asOf
              AND ev.kind IN ('claimed', 'transferred', 'extension_approved', 'due_date_set')
            GROUP BY ev.demand_id),
        first_accept AS (
            SELECT ev.demand_id, MIN(ev.id) AS id FROM demand_events ev JOIN demands x ON x.id = ev.demand_id
            WHERE x.branch_id IN @ids AND x.submitted_at < @asOf AND ev.created_at < @asOf AND ev.kind IN ('claimed', 'transferred')
            GROUP BY ev.demand_id),
        closing AS (
            SELECT ev.demand_id, MAX(ev.created_at) AS at FROM demand_events ev JOIN demands x ON x.id = ev.demand_id
            WHERE x.branch_id IN @ids AND x.submitted_at < @asOf AND ev.created_at < @asOf AND ev.kind = 'confirmed'
            GROUP BY ev.demand_id),
        asof AS (
            SELECT d.id, d.branch_id, d.category, d.source, d.submitted_at,
                   COALESCE({{StatusOfEvent}}, d.status) AS status_then,
                   COALESCE(CAST(COALESCE(JSON_VALUE(de.details, '$.dueDate'), REGEXP_SUBSTR(de.text, '[0-9]{4}-[0-9]{2}-[0-9]{2}')) AS DATE),
                            CASE WHEN ls.id IS NULL THEN d.due_date END) AS due_then,
                   COALESCE(fa.kind, CASE WHEN ls.id IS NULL AND d.accepted_at < @asOf THEN IF(d.department_id IS NULL, 'claimed', 'transferred') END) AS accepted_as,
                   COALESCE(fa.created_at, CASE WHEN ls.id IS NULL AND d.accepted_at < @asOf THEN d.accepted_at END) AS accepted_at_then,
                   COALESCE(cl.at, CASE WHEN ls.id IS NULL AND d.status = 'closed' AND d.closed_at < @asOf THEN d.closed_at END) AS closed_at_then,
                   cl.at AS closed_event_at
            FROM demands d
            LEFT JOIN last_status ls ON ls.demand_id = d.id LEFT JOIN demand_events s ON s.id = ls.id
            LEFT JOIN last_due ld ON ld.demand_id = d.id LEFT JOIN demand_events de ON de.id = ld.id
            LEFT JOIN first_accept fai ON fai.demand_id = d.id LEFT JOIN demand_events fa ON fa.id = fai.id
            LEFT JOIN closing cl ON cl.demand_id = d.id
            WHERE d.branch_id IN @ids AND d.submitted_at < @asOf)
        """;

    /// <summary>
    /// The figures of <paramref name="month"/> for the branches. A finished month's demand states come from the kept
    /// per-branch snapshots (<see cref="ReportSnapshots"/>), computed on first need; the current month's, and everything
    /// when <paramref name="live"/> is set (the oracle the tests compare with), from the timeline at once.
    /// </summary>
    public static async Task<ComputedReport> ComputeAsync(MySqlConnection connection, string scope, string scopeName, IReadOnlyList<(long Id, string Name)> branches,
        DateOnly month, DateTimeOffset now, int responseLimitHours, CancellationToken ct, bool live = false)
    {
        var monthEnd = Periods.StartUtc(month.AddMonths(1));
        var complete = now.UtcDateTime >= monthEnd;
        // The current month includes what happened at this very instant (the column keeps microseconds).
        var asOf = complete ? monthEnd : now.UtcDateTime.AddTicks(10);
        var asOfDate = complete ? Periods.LastDayOfMonth(month) : WorkingCalendar.Today(now);
        var monthStart = Periods.StartUtc(month);
        var ids = branches.Select(b => b.Id).ToList();
        var p = new { ids, asOf, monthStart, first = month.ToDateTime(TimeOnly.MinValue), asOfDay = asOfDate.ToDateTime(TimeOnly.MinValue) };

        List<DemandCount> demandCounts;
        List<MonthPoint> trend;
        if (complete && !live)
        {
            (demandCounts, trend) = await ReportSnapshots.LoadAsync(connection, ids, month, asOf, ct);
        }
        else
        {
            demandCounts = await DemandCountsAsync(connection, ids, month, asOf, asOfDate, ct);
            trend = await TrendAsync(connection, ids, month, asOf, ct);
        }

        await using var more = await connection.QueryMultipleAsync(new CommandDefinition("""
            SELECT l.branch_id, COUNT(*) AS sent,
                   COALESCE(SUM(EXISTS (SELECT 1 FROM material_reads r WHERE r.list_id = l.id AND r.read_at < @asOf)), 0) AS read_count
            FROM material_lists l WHERE l.branch_id IN @ids AND l.sent_at >= @monthStart AND l.sent_at < @asOf GROUP BY l.branch_id;
            SELECT branch_id, COUNT(*) AS visits, COALESCE(SUM(kind = 'expert'), 0) AS expert
            FROM visits WHERE branch_id IN @ids AND visited_on BETWEEN @first AND @asOfDay AND created_at < @asOf GROUP BY branch_id;
            SELECT branch_id, COUNT(*) FROM meetings WHERE branch_id IN @ids AND month = @first AND created_at < @asOf GROUP BY branch_id;
            """, p, cancellationToken: ct));
        var materials = (await more.ReadAsync<(long BranchId, long Sent, long ReadCount)>()).ToDictionary(x => x.BranchId);
        var visits = (await more.ReadAsync<(long BranchId, long Visits, long Expert)>()).ToDictionary(x => x.BranchId);
        var meetings = (await more.ReadAsync<(long BranchId, long Count)>()).ToDictionary(x => x.BranchId, x => (int)x.Count);

        // The rates come from the month's demands and events up to the moment; an acceptance after it had not happened yet.
        // Aggregated per branch in the database. A finished month's events (resolutions, confirmations) are read from the
        // counts kept per Shanghai month (stats_event_counts, migration 0086), whose row for the month holds exactly the
        // events of [monthStart, monthEnd); counted from demand_events instead, they were most of the report's time at a
        // province's scale. The current month's (up to the moment) and the oracle's (live) are counted from the events.
        var limit = TimeSpan.FromHours(responseLimitHours);
        var asOfInstant = new DateTimeOffset(asOf, TimeSpan.Zero);
        var keptEvents = complete && !live;
        var rateCounts = (await StatsCounts.KeyedAsync(connection, ids, monthStart, asOf, asOfInstant, limit, asOf, [StatsCounts.ByBranch], ct,
                withEvents: !keptEvents))[StatsCounts.ByBranch]
            .ToDictionary(x => x.Key.Branch, x => x.Value.Rates);
        if (keptEvents)
        {
            foreach (var e in await StatsRollups.MonthEventsAsync(connection, ids, month, ct))
            {
                rateCounts[e.Key] = rateCounts.GetValueOrDefault(e.Key) + e.Value;
            }
        }

        ScopeFigures Fold(long? branchId, string name, Func<long, bool> includes)
        {
            var rows = demandCounts.Where(r => includes(r.BranchId)).ToList();
            int Sum(Func<DemandCount, bool> where) => (int)rows.Where(where).Sum(r => r.N);
            var rates = Kpis.RatesOf(RateCounts.Sum(rateCounts.Where(c => includes(c.Key)).Select(c => c.Value)));
            var newRows = rows.Where(r => r.NewThisMonth).ToList();
            return new ScopeFigures(branchId, name,
                Sum(_ => true), CountBy(DemandCategories.Names, rows, r => r.Category), CountBy(DemandSources.Names, rows, r => r.Source),
                CountBy(StatsApi.StatusNames, rows, r => r.Status),
                Sum(r => r.AcceptedAs == "claimed"), Sum(r => r.AcceptedAs == "transferred"), Sum(r => r.Status == DemandStatus.Closed),
                Sum(r => r.Status is DemandStatus.Accepted or DemandStatus.Resolved), Sum(r => r.Overdue),
                newRows.Sum(r => (int)r.N), CountBy(DemandCategories.Names, newRows, r => r.Category), CountBy(DemandSources.Names, newRows, r => r.Source),
                Sum(r => r.AcceptedThisMonth && r.AcceptedAs == "claimed"), Sum(r => r.AcceptedThisMonth && r.AcceptedAs == "transferred"),
                Sum(r => r.ClosedThisMonth),
                (int)materials.Where(m => includes(m.Key)).Sum(m => m.Value.Sent), (int)materials.Where(m => includes(m.Key)).Sum(m => m.Value.ReadCount),
                (int)visits.Where(v => includes(v.Key)).Sum(v => v.Value.Visits), (int)visits.Where(v => includes(v.Key)).Sum(v => v.Value.Expert),
                meetings.Where(m => includes(m.Key)).Sum(m => m.Value),
                newRows.Where(r => r.Source == "whistle").Sum(r => (int)r.N), rates);
        }

        var perBranch = branches.Select(b => Fold(b.Id, b.Name, id => id == b.Id)).ToList();
        var total = branches.Count == 1 ? perBranch[0] : Fold(null, scopeName, _ => true);
        var cases = await CasesAsync(connection, ids, monthStart, asOf, ct);
        var byCategoryStatus = demandCounts.GroupBy(r => (r.Category, r.Status))
            .Select(g => new CategoryStatusCount(g.Key.Category, g.Key.Status, (int)g.Sum(r => r.N))).ToList();
        return new ComputedReport(
            new ReportFigures(scope, scopeName, Periods.MonthText(month), asOfInstant, asOfDate, complete, responseLimitHours, total, perBranch, trend, cases),
            byCategoryStatus, (int)demandCounts.Where(r => !r.NewThisMonth && r.ClosedThisMonth).Sum(r => r.N));
    }

    /// <summary>The demands of the branches as of the moment, counted per branch and every value the figures tell apart.</summary>
    internal static async Task<List<DemandCount>> DemandCountsAsync(MySqlConnection connection, IReadOnlyList<long> ids, DateOnly month, DateTime asOf,
        DateOnly asOfDate, CancellationToken ct, IDbTransaction? tx = null) =>
        (await connection.QueryAsync<DemandCount>(new CommandDefinition($"""
            {AsOfDemands}
            SELECT branch_id, category, source, status_then AS status, accepted_as,
                   submitted_at >= @monthStart AS new_this_month,
                   COALESCE(accepted_at_then >= @monthStart, FALSE) AS accepted_this_month,
                   COALESCE(status_then = 'closed' AND closed_at_then >= @monthStart, FALSE) AS closed_this_month,
                   COALESCE(status_then = 'accepted' AND due_then < @asOfDay, FALSE) AS overdue,
                   COUNT(*) AS n
            FROM asof
            GROUP BY branch_id, category, source, status_then, accepted_as, new_this_month, accepted_this_month, closed_this_month, overdue
            """, new { ids, asOf, monthStart = Periods.StartUtc(month), asOfDay = asOfDate.ToDateTime(TimeOnly.MinValue) }, tx, cancellationToken: ct))).ToList();

    /// <summary>The twelve months ending with <paramref name="month"/>: collected and closed per month as of the moment, per branch.</summary>
    internal static async Task<Dictionary<long, (int[] Collected, int[] Closed)>> TrendByBranchAsync(MySqlConnection connection, IReadOnlyList<long> ids,
        DateOnly month, DateTime asOf, IDbTransaction tx, CancellationToken ct)
    {
        var (p, columns) = TrendColumns(ids, month, asOf);
        var rows = await connection.QueryAsync(new CommandDefinition($"{AsOfDemands} SELECT branch_id {columns} FROM asof GROUP BY branch_id", p, tx,
            cancellationToken: ct));
        return rows.Cast<IDictionary<string, object?>>().ToDictionary(r => Convert.ToInt64(r["branch_id"], CultureInfo.InvariantCulture), r => (
            Enumerable.Range(0, 12).Select(i => Convert.ToInt32(r[$"c{i}"], CultureInfo.InvariantCulture)).ToArray(),
            Enumerable.Range(0, 12).Select(i => Convert.ToInt32(r[$"d{i}"], CultureInfo.InvariantCulture)).ToArray()));
    }

    internal static List<MonthPoint> TrendPoints(DateOnly month, int[] collected, int[] closed) =>
        Enumerable.Range(0, 12).Select(i => new MonthPoint(Periods.MonthText(month.AddMonths(i - 11)), collected[i], closed[i])).ToList();

    private static (DynamicParameters, string) TrendColumns(IReadOnlyList<long> ids, DateOnly month, DateTime asOf)
    {
        var months = Enumerable.Range(0, 12).Select(i => month.AddMonths(i - 11)).ToList();
        var p = new DynamicParameters(new { ids, asOf });
        var columns = new StringBuilder();
        for (var i = 0; i < months.Count; i++)
        {
            p.Add($"b{i}", Periods.StartUtc(months[i]));
            p.Add($"e{i}", Periods.StartUtc(months[i].AddMonths(1)));
            columns.Append(CultureInfo.InvariantCulture, $"""
                , COALESCE(SUM(submitted_at >= @b{i} AND submitted_at < @e{i}), 0) AS c{i},
                  COALESCE(SUM(status_then = 'closed' AND closed_at_then >= @b{i} AND closed_at_then < @e{i}), 0) AS d{i}
                """);
        }
        return (p, columns.ToString());
    }

    /// <summary>Collected and closed per month over the twelve months ending with the report's, as of the moment: one row of sums.</summary>
    private static async Task<List<MonthPoint>> TrendAsync(MySqlConnection connection, IReadOnlyList<long> ids, DateOnly month, DateTime asOf, CancellationToken ct)
    {
        var (p, columns) = TrendColumns(ids, month, asOf);
        var row = (IDictionary<string, object?>)(await connection.QuerySingleAsync(new CommandDefinition(
            $"{AsOfDemands} SELECT COUNT(*) AS n {columns} FROM asof", p, cancellationToken: ct)));
        return TrendPoints(month, Enumerable.Range(0, 12).Select(i => Convert.ToInt32(row[$"c{i}"], CultureInfo.InvariantCulture)).ToArray(),
            Enumerable.Range(0, 12).Select(i => Convert.ToInt32(row[$"d{i}"], CultureInfo.InvariantCulture)).ToArray());
    }

    private static async Task<List<TypicalCaseItem>> CasesAsync(MySqlConnection connection, IReadOnlyList<long> ids, DateTime monthStart, DateTime asOf,
        CancellationToken ct) =>
        (await connection.QueryAsync<TypicalCaseItem>(new CommandDefinition("""
            SELECT t.demand_id, d.number, e.name AS enterprise_name, b.name AS branch_name, d.title, t.problem, t.measures, t.outcome
            FROM typical_cases t JOIN demands d ON d.id = t.demand_id JOIN enterprises e ON e.id = d.enterprise_id JOIN party_branches b ON b.id = d.branch_id
            WHERE d.branch_id IN @ids AND t.marked_at >= @monthStart AND t.marked_at < @asOf
            ORDER BY t.marked_at, t.demand_id
            """, new { ids, monthStart, asOf }, cancellationToken: ct))).ToList();

    private static List<CountItem> CountBy(IReadOnlyDictionary<string, string> names, IEnumerable<DemandCount> rows, Func<DemandCount, string> key)
    {
        var counts = rows.GroupBy(key).ToDictionary(g => g.Key, g => (int)g.Sum(r => r.N));
        return names.Select(n => new CountItem(n.Key, n.Value, counts.GetValueOrDefault(n.Key))).ToList();
    }

    internal sealed class DemandCount
    {
        public long BranchId { get; init; }
        public string Category { get; init; } = "";
        public string Source { get; init; } = "";
        public string Status { get; init; } = "";
        public string? AcceptedAs { get; init; }
        public bool NewThisMonth { get; init; }
        public bool AcceptedThisMonth { get; init; }
        public bool ClosedThisMonth { get; init; }
        public bool Overdue { get; init; }
        public long N { get; init; }
    }
}
