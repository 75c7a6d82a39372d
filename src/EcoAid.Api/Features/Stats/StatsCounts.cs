using System.Data.Common;
using Dapper;

namespace EcoAid.Api.Features.Stats;

/// <summary>The demands submitted in a period with one status, category and source, in one branch.</summary>
internal sealed record SubmittedGroup(long BranchId, string Status, string Category, string Source, int Count, RateCounts Rates);

/// <summary>The demands submitted in a period and the events in it, for one key (an enterprise, a member, a branch) of a branch.</summary>
internal sealed record KeyedCounts(long BranchId, long Key, int Submitted, int Closed, RateCounts Rates);

/// <summary>
/// Counts for the statistics, aggregated in the database: each query returns one row per group (branch, enterprise,
/// member, or status × category × source), never one per demand or event, so a period of years costs the service no
/// more memory than a day. The rules deciding what each count holds are <see cref="Kpis.Sql"/>.
/// </summary>
internal static class StatsCounts
{
    /// <summary>Keys (columns of the demand) the counts can be grouped by, within a branch.</summary>
    public const string ByBranch = "branch_id";
    public const string ByEnterprise = "enterprise_id";
    /// <summary>The member who owns the demand now: a demand handed over takes its history to the new owner.</summary>
    public const string ByOwner = "owner_member_id";

    private const string InPeriod = "d.branch_id IN @ids AND d.submitted_at >= @fromUtc AND d.submitted_at < @toUtc";

    private static string Accepted(bool bounded) => bounded ? "(CASE WHEN d.accepted_at < @acceptedBefore THEN d.accepted_at END)" : "(d.accepted_at)";

    private static string Flag(string condition) => $"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END)";

    private static string SubmittedBy(string key, bool bounded) => $"""
        SELECT d.branch_id, d.{key} AS group_key, COUNT(*) AS submitted, {Flag("d.status = 'closed'")} AS closed,
               {Flag(Kpis.Sql.ResponseDue(Accepted(bounded)))} AS response_due, {Flag(Kpis.Sql.ResponseMet(Accepted(bounded)))} AS response_met
        FROM demands d WHERE {InPeriod}
        GROUP BY d.branch_id, d.{key};
        """;

    private static string EventsBy(string key) => $"""
        SELECT e.branch_id, e.group_key,
               {Flag("e.kind = 'resolved'")} AS resolutions, {Flag("e.kind = 'resolved' AND (e.due IS NULL OR e.day <= e.due)")} AS resolved_on_time,
               {Flag("e.kind <> 'resolved'")} AS confirmations, {Flag("e.kind <> 'resolved' AND e.solved")} AS solved,
               {Flag("e.kind <> 'resolved' AND e.rating IS NOT NULL")} AS rated, {Flag($"e.kind <> 'resolved' AND e.rating >= {Kpis.SatisfiedFrom}")} AS satisfied
        FROM (SELECT d.branch_id, d.{key} AS group_key, ev.kind, {Kpis.Sql.ShanghaiDay} AS day,
                     CASE WHEN ev.kind = 'resolved' THEN {Kpis.Sql.DueThen} END AS due,
                     CASE WHEN ev.kind <> 'resolved' THEN {Kpis.Sql.Solved} END AS solved,
                     CASE WHEN ev.kind <> 'resolved' THEN {Kpis.Sql.Rating} END AS rating
              FROM demand_events ev JOIN demands d ON d.id = ev.demand_id
              WHERE ev.kind IN ('resolved', 'confirmed', 'reopened') AND ev.created_at >= @fromUtc AND ev.created_at < @toUtc AND d.branch_id IN @ids) e
        GROUP BY e.branch_id, e.group_key;
        """;

    private static object Parameters(IReadOnlyList<long> ids, DateTime fromUtc, DateTime toUtc, DateTimeOffset now, TimeSpan limit, DateTime? acceptedBefore) =>
        new { ids, fromUtc, toUtc, dueBy = (now - limit).UtcDateTime, limitSeconds = (long)limit.TotalSeconds, acceptedBefore };

    /// <summary>
    /// The counts of <c>[fromUtc, toUtc)</c> per branch and key, for each of <paramref name="keys"/> (<see cref="ByBranch"/>,
    /// <see cref="ByEnterprise"/>, <see cref="ByOwner"/>);
    /// the response rule is judged at <paramref name="now"/>, and an acceptance at or after <paramref name="acceptedBefore"/>
    /// (when given) has not happened yet. A group with no demands and no events has no entry.
    /// </summary>
    /// <param name="withEvents">false: the demands' counts only (the caller has the events' from elsewhere).</param>
    public static async Task<Dictionary<string, Dictionary<(long Branch, long Key), KeyedCounts>>> KeyedAsync(DbConnection connection, IReadOnlyList<long> ids,
        DateTime fromUtc, DateTime toUtc, DateTimeOffset now, TimeSpan limit, DateTime? acceptedBefore, IReadOnlyList<string> keys, CancellationToken ct,
        bool withEvents = true)
    {
        if (keys.FirstOrDefault(k => k is not (ByBranch or ByEnterprise or ByOwner)) is { } unknown)
        {
            throw new ArgumentException($"Not a key the counts can be grouped by: {unknown}", nameof(keys));
        }
        var result = keys.ToDictionary(k => k, _ => new Dictionary<(long, long), KeyedCounts>());
        if (ids.Count == 0)
        {
            return result;
        }
        var sql = string.Concat(keys.Select(k => SubmittedBy(k, acceptedBefore is not null) + (withEvents ? EventsBy(k) : "")));
        await using var reader = await connection.QueryMultipleAsync(new CommandDefinition(sql,
            Parameters(ids, fromUtc, toUtc, now, limit, acceptedBefore), cancellationToken: ct));
        foreach (var key in keys)
        {
            var groups = result[key];
            foreach (var s in await reader.ReadAsync<SubmittedRow>())
            {
                // Demands without an owner have no member to count them under.
                if (s.GroupKey is { } k)
                {
                    groups[(s.BranchId, k)] = new KeyedCounts(s.BranchId, k, (int)s.Submitted, (int)s.Closed,
                        new RateCounts((int)s.ResponseDue, (int)s.ResponseMet, 0, 0, 0, 0, 0, 0));
                }
            }
            foreach (var e in withEvents ? await reader.ReadAsync<EventRow>() : [])
            {
                if (e.GroupKey is { } k)
                {
                    var events = new RateCounts(0, 0, (int)e.Resolutions, (int)e.ResolvedOnTime, (int)e.Confirmations, (int)e.Solved, (int)e.Rated, (int)e.Satisfied);
                    groups[(e.BranchId, k)] = groups.TryGetValue((e.BranchId, k), out var had)
                        ? had with { Rates = had.Rates + events }
                        : new KeyedCounts(e.BranchId, k, 0, 0, events);
                }
            }
        }
        return result;
    }

    /// <summary>The demands submitted in the period per branch, status, category and source, with their response counts.</summary>
    public static async Task<List<SubmittedGroup>> SubmittedGroupsAsync(DbConnection connection, IReadOnlyList<long> ids, DateTime fromUtc, DateTime toUtc,
        DateTimeOffset now, TimeSpan limit, CancellationToken ct)
    {
        if (ids.Count == 0)
        {
            return [];
        }
        var rows = await connection.QueryAsync<GroupRow>(new CommandDefinition($"""
            SELECT d.branch_id, d.status, d.category, d.source, COUNT(*) AS submitted,
                   {Flag(Kpis.Sql.ResponseDue(Accepted(false)))} AS response_due, {Flag(Kpis.Sql.ResponseMet(Accepted(false)))} AS response_met
            FROM demands d WHERE {InPeriod}
            GROUP BY d.branch_id, d.status, d.category, d.source
            """, Parameters(ids, fromUtc, toUtc, now, limit, null), cancellationToken: ct));
        return rows.Select(r => new SubmittedGroup(r.BranchId, r.Status, r.Category, r.Source, (int)r.Submitted,
            new RateCounts((int)r.ResponseDue, (int)r.ResponseMet, 0, 0, 0, 0, 0, 0))).ToList();
    }

    /// <summary>Visits on the Shanghai days <paramref name="from"/>–<paramref name="to"/> per branch and enterprise, and per branch and member who joined.</summary>
    public static async Task<(Dictionary<(long Branch, long Enterprise), int> ByEnterprise, Dictionary<(long Branch, long Member), int> ByMember)> VisitsAsync(
        DbConnection connection, IReadOnlyList<long> ids, DateOnly from, DateOnly to, CancellationToken ct)
    {
        if (ids.Count == 0)
        {
            return ([], []);
        }
        await using var reader = await connection.QueryMultipleAsync(new CommandDefinition("""
            SELECT v.branch_id, v.enterprise_id, COUNT(*) FROM visits v
            WHERE v.branch_id IN @ids AND v.visited_on BETWEEN @from AND @to GROUP BY v.branch_id, v.enterprise_id;
            SELECT v.branch_id, vm.member_id, COUNT(*) FROM visits v JOIN visit_members vm ON vm.visit_id = v.id
            WHERE v.branch_id IN @ids AND v.visited_on BETWEEN @from AND @to GROUP BY v.branch_id, vm.member_id;
            """, new { ids, from = from.ToDateTime(TimeOnly.MinValue), to = to.ToDateTime(TimeOnly.MinValue) }, cancellationToken: ct));
        var byEnterprise = (await reader.ReadAsync<(long Branch, long Key, long Count)>()).ToDictionary(x => (x.Branch, x.Key), x => (int)x.Count);
        var byMember = (await reader.ReadAsync<(long Branch, long Key, long Count)>()).ToDictionary(x => (x.Branch, x.Key), x => (int)x.Count);
        return (byEnterprise, byMember);
    }

    private sealed class SubmittedRow
    {
        public long BranchId { get; init; }
        public long? GroupKey { get; init; }
        public long Submitted { get; init; }
        public long Closed { get; init; }
        public long ResponseDue { get; init; }
        public long ResponseMet { get; init; }
    }

    private sealed class GroupRow
    {
        public long BranchId { get; init; }
        public string Status { get; init; } = "";
        public string Category { get; init; } = "";
        public string Source { get; init; } = "";
        public long Submitted { get; init; }
        public long ResponseDue { get; init; }
        public long ResponseMet { get; init; }
    }

    private sealed class EventRow
    {
        public long BranchId { get; init; }
        public long? GroupKey { get; init; }
        public long Resolutions { get; init; }
        public long ResolvedOnTime { get; init; }
        public long Confirmations { get; init; }
        public long Solved { get; init; }
        public long Rated { get; init; }
        public long Satisfied { get; init; }
    }
}
