using EcoAid.Api.Features.Organisation;
using System.Data.Common;
using Dapper;
using EcoAid.Api.Features.Calendar;
using EcoAid.Api.Features.Stats;

namespace EcoAid.Api.Features.Whistle;

public sealed class WhistleOptions
{
    /// <summary>Working hours within which the branch must 报到 on a 吹哨 demand.</summary>
    public int ReportInHours { get; set; } = 4;

    /// <summary>Office hours (Asia/Shanghai) on working days; only they count on the clock.</summary>
    public TimeOnly WorkdayStart { get; set; } = new(8, 30);

    public TimeOnly WorkdayEnd { get; set; } = new(17, 30);

    /// <summary>Working minutes before the deadline at which the commissioners and the liaison are reminded.</summary>
    public int RemindBeforeMinutes { get; set; } = 60;
}

/// <summary>
/// The 报到 clock of a 吹哨 demand: it starts when the demand is submitted; the branch has reported in (报到) at the first
/// public answer on the timeline — acceptance, a 报到 note, a public progress entry, or a return with reasons. The
/// deadline is <see cref="WhistleOptions.ReportInHours"/> working hours later. Nothing is stored: the clock is read from
/// the demand and its timeline, so it cannot drift from them.
/// </summary>
public static class WhistleClock
{
    /// <summary>Timeline events that count as the branch's public answer.</summary>
    public const string ReportInKinds = "'claimed', 'transferred', 'reported_in', 'returned', 'progress', 'onsite', 'expert'";

    public sealed class Row
    {
        public long Id { get; init; }
        public long BranchId { get; init; }
        public long EnterpriseId { get; init; }
        public string Number { get; init; } = "";
        public string Title { get; init; } = "";
        public string Status { get; init; } = "";
        public string EnterpriseName { get; init; } = "";
        public long? LiaisonMemberId { get; init; }
        public DateTimeOffset SubmittedAt { get; init; }
        public DateTimeOffset? ReportedInAt { get; init; }
        public string? ReportedInBy { get; init; }
    }

    /// <summary>The 吹哨 demands matching <paramref name="where"/> (on <c>d</c>), with their first public answer.</summary>
    public static async Task<List<Row>> LoadAsync(DbConnection connection, string where, object parameters, CancellationToken ct) =>
        (await connection.QueryAsync<Row>(new CommandDefinition($"""
            SELECT d.id AS Id, d.branch_id AS BranchId, d.enterprise_id AS EnterpriseId, d.number AS Number, d.title AS Title, d.status AS Status,
                   e.name AS EnterpriseName, e.liaison_member_id AS LiaisonMemberId, d.submitted_at AS SubmittedAt,
                   first.created_at AS ReportedInAt, {PersonNames.Name} AS ReportedInBy
            FROM demands d
            JOIN enterprises e ON e.id = d.enterprise_id
            LEFT JOIN demand_events first ON first.id = (
                SELECT MIN(ev.id) FROM demand_events ev
                WHERE ev.demand_id = d.id AND ev.visibility = 'public' AND ev.kind IN ({ReportInKinds}))
            LEFT JOIN users u ON u.id = first.actor_user_id
            WHERE d.source = 'whistle' AND {where}
            ORDER BY d.id
            """, parameters, cancellationToken: ct))).ToList();

    public static async Task<WorkingHours> HoursAsync(DbConnection connection, WhistleOptions options, DateTimeOffset now, CancellationToken ct) =>
        new(await CalendarApi.LoadAsync(connection, null, WorkingCalendar.Today(now), ct), options.WorkdayStart, options.WorkdayEnd);

    public static DateTimeOffset DeadlineOf(Row row, WorkingHours hours, WhistleOptions options) =>
        hours.Add(row.SubmittedAt, TimeSpan.FromHours(options.ReportInHours));

    /// <summary>waiting (clock running), on_time, late (reported in after the deadline), missed (deadline passed, no 报到).</summary>
    public static string StateOf(Row row, DateTimeOffset deadline, DateTimeOffset now) =>
        row.ReportedInAt is { } at ? (at <= deadline ? "on_time" : "late") : now > deadline ? "missed" : "waiting";

    /// <summary>The 吹哨 figures of branches for demands submitted in [from, to) (UTC).</summary>
    public static async Task<WhistleStats> StatsAsync(DbConnection connection, IReadOnlyList<long> branchIds, DateTime from, DateTime to, WhistleOptions options,
        DateTimeOffset now, CancellationToken ct)
    {
        var rows = await LoadAsync(connection, "d.branch_id IN @branchIds AND d.submitted_at >= @from AND d.submitted_at < @to", new { branchIds, from, to }, ct);
        return Figures(rows, await HoursAsync(connection, options, now, ct), options, now);
    }

    /// <summary>
    /// 报到及时率: of the 吹哨 demands submitted in the period whose clock has run out (deadline passed) or that were
    /// reported in, the share reported in by the deadline. Time to 报到 is working time, over those reported in.
    /// </summary>
    public static WhistleStats Figures(IReadOnlyList<Row> rows, WorkingHours hours, WhistleOptions options, DateTimeOffset now)
    {
        var decided = 0;
        var onTime = 0;
        var minutes = new List<double>();
        foreach (var row in rows)
        {
            var deadline = DeadlineOf(row, hours, options);
            if (row.ReportedInAt is { } at)
            {
                decided++;
                if (at <= deadline)
                {
                    onTime++;
                }
                minutes.Add(Math.Round(hours.Between(row.SubmittedAt, at).TotalMinutes, 1));
            }
            else if (now > deadline)
            {
                decided++;
            }
        }
        minutes.Sort();
        double? median = minutes.Count == 0 ? null
            : minutes.Count % 2 == 1 ? minutes[minutes.Count / 2] : Math.Round((minutes[minutes.Count / 2 - 1] + minutes[minutes.Count / 2]) / 2, 1);
        return new WhistleStats(rows.Count, Rate.Of(onTime, decided), options.ReportInHours, median,
            minutes.Count == 0 ? null : Math.Round(minutes.Average(), 1), rows.Count(r => r.ReportedInAt is null && now <= DeadlineOf(r, hours, options)));
    }
}

/// <summary>
/// 吹哨 figures of a period: how many were raised, 报到及时率 (numerator/denominator as defined in
/// <see cref="WhistleClock.Figures"/>), the limit in working hours, the median and mean working minutes to 报到, and how many
/// clocks are still running.
/// </summary>
public sealed record WhistleStats(int Count, Rate ReportInOnTime, int ReportInHours, double? MedianMinutesToReportIn, double? AverageMinutesToReportIn,
    int Waiting);
