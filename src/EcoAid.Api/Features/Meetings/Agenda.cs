using System.Data.Common;
using Dapper;
using EcoAid.Api.Features.Demands;
using EcoAid.Api.Features.Stats;

namespace EcoAid.Api.Features.Meetings;

/// <summary>Why a line is on the agenda, in the order the meeting takes them.</summary>
public static class AgendaReasons
{
    public const string Overdue = "overdue";
    public const string DueSoon = "due_soon";
    public const string Reopened = "reopened";
    public const string LowRating = "low_rating";
    public const string Transferred = "transferred";
    public const string Whistle = "whistle";
    public const string NotVisited = "not_visited";

    public static readonly IReadOnlyDictionary<string, string> Names = new Dictionary<string, string>
    {
        [Overdue] = "逾期未办结",
        [DueSoon] = "临近完成时限",
        [Reopened] = "企业确认未解决（重办中）",
        [LowRating] = "企业评价 3 分及以下",
        [Transferred] = "移交科室办理中",
        [Whistle] = "新的企业吹哨事项",
        [NotVisited] = "本月尚未回访",
    };

    public static readonly IReadOnlyList<string> Order = [Overdue, DueSoon, Reopened, LowRating, Transferred, Whistle, NotVisited];

    /// <summary>The demand list that holds every line of a reason, where its filters can say it (see demands.md).</summary>
    public static string? ListLink(string reason) => reason switch
    {
        Overdue => "/api/demands?overdue=true",
        Reopened or DueSoon or Transferred => "/api/demands?status=accepted",
        _ => null,
    };
}

/// <summary>One generated agenda line: a demand (or, for <see cref="AgendaReasons.NotVisited"/>, an enterprise) and why.</summary>
internal sealed record AgendaLine(string Reason, long? DemandId, long EnterpriseId, DateOnly? DueDate, string Note);

/// <summary>
/// The monthly meeting's agenda, generated from the data at the moment <c>now</c> for month <c>M</c> of one branch.
/// "Today" is the Shanghai date of <c>now</c>; the window of "new" things runs from the previous meeting's generation
/// (or, with none before, from the first day of the month before M, 00:00 Shanghai) up to <c>now</c>, both ends included.
/// <list type="number">
/// <item><b>overdue</b>: accepted (being worked, not resolved) and due date before today.</item>
/// <item><b>due_soon</b>: accepted and due date from today to today + <c>Meetings:DueSoonDays</c> days, both included.</item>
/// <item><b>reopened</b>: accepted and reopened at least once (the enterprise said "not solved").</item>
/// <item><b>low_rating</b>: a confirmation in the window rated 3 or lower (any state now).</item>
/// <item><b>transferred</b>: accepted and transferred to a bureau department (waiting on that department).</item>
/// <item><b>whistle</b>: source <c>whistle</c> (企业吹哨) and submitted in the window (any state now).</item>
/// <item><b>not_visited</b>: an enterprise of the branch with no visit dated in month M.</item>
/// </list>
/// A demand may be on several lines, one per reason.
/// </summary>
internal static class Agenda
{
    public const int LowRatingAtMost = 3;

    /// <summary>
    /// The agenda's lines (at most <paramref name="limit"/> per reason, in each rule's order) and, per reason, how many more
    /// there were. Every rule is its own bounded query with its own count, so the work and the memory do not grow with
    /// the branch's history: only the window's ratings are read whole (one meeting interval's confirmations).
    /// </summary>
    public static async Task<(List<AgendaLine> Lines, Dictionary<string, int> Omitted)> BuildAsync(DbConnection connection, DbTransaction tx, long branchId,
        DateOnly month, DateTime windowStart, DateTimeOffset now, int dueSoonDays, int limit, CancellationToken ct)
    {
        var today = Periods.DateOf(now);
        var args = new
        {
            branchId, windowStart, now = now.UtcDateTime, monthStart = month.ToDateTime(TimeOnly.MinValue),
            monthEnd = Periods.LastDayOfMonth(month).ToDateTime(TimeOnly.MinValue),
            today = today.ToDateTime(TimeOnly.MinValue), soon = today.AddDays(dueSoonDays).ToDateTime(TimeOnly.MinValue), limit,
        };
        const string Accepted = "d.branch_id = @branchId AND d.status = 'accepted'";
        var rules = new (string Reason, string Where, string Order)[]
        {
            (AgendaReasons.Overdue, $"{Accepted} AND d.due_date < @today", "d.due_date, d.id"),
            (AgendaReasons.DueSoon, $"{Accepted} AND d.due_date BETWEEN @today AND @soon", "d.due_date, d.id"),
            (AgendaReasons.Reopened, $"{Accepted} AND d.reopen_count > 0", "d.id"),
            (AgendaReasons.Transferred, $"{Accepted} AND d.department_id IS NOT NULL", "d.accepted_at, d.id"),
            (AgendaReasons.Whistle, "d.branch_id = @branchId AND d.source = 'whistle' AND d.submitted_at BETWEEN @windowStart AND @now", "d.submitted_at, d.id"),
        };
        var sql = new System.Text.StringBuilder();
        foreach (var rule in rules)
        {
            sql.Append(System.Globalization.CultureInfo.InvariantCulture, $"{Select} WHERE {rule.Where} ORDER BY {rule.Order} LIMIT @limit;\n");
            sql.Append(System.Globalization.CultureInfo.InvariantCulture, $"SELECT COUNT(*) FROM demands d WHERE {rule.Where};\n");
        }
        sql.Append("""
            SELECT ev.demand_id, ev.kind, ev.details, ev.created_at, d.satisfaction AS row_satisfaction
            FROM demand_events ev JOIN demands d ON d.id = ev.demand_id
            WHERE d.branch_id = @branchId AND ev.kind IN ('confirmed', 'reopened') AND ev.created_at BETWEEN @windowStart AND @now
            ORDER BY ev.created_at, ev.id;
            SELECT e.id, e.name, m.name AS liaison_name FROM enterprises e LEFT JOIN members m ON m.id = e.liaison_member_id
            WHERE e.branch_id = @branchId
              AND NOT EXISTS (SELECT 1 FROM visits v WHERE v.enterprise_id = e.id AND v.visited_on BETWEEN @monthStart AND @monthEnd)
            ORDER BY e.name, e.id LIMIT @limit;
            SELECT COUNT(*) FROM enterprises e WHERE e.branch_id = @branchId
              AND NOT EXISTS (SELECT 1 FROM visits v WHERE v.enterprise_id = e.id AND v.visited_on BETWEEN @monthStart AND @monthEnd);
            """);
        await using var results = await connection.QueryMultipleAsync(new CommandDefinition(sql.ToString(), args, tx, cancellationToken: ct));
        var found = new Dictionary<string, (List<Row> Rows, long Count)>();
        foreach (var rule in rules)
        {
            found[rule.Reason] = ((await results.ReadAsync<Row>()).ToList(), await results.ReadSingleAsync<long>());
        }
        var ratings = (await results.ReadAsync<RatingRow>()).ToList();
        var notVisited = (await results.ReadAsync<(long Id, string Name, string? LiaisonName)>()).ToList();
        var notVisitedCount = await results.ReadSingleAsync<long>();

        var lines = new List<AgendaLine>();
        var omitted = new Dictionary<string, int>();
        void Omit(string reason, long total, int listed)
        {
            if (total > listed)
            {
                omitted[reason] = (int)Math.Min(int.MaxValue, total - listed);
            }
        }
        foreach (var d in found[AgendaReasons.Overdue].Rows)
        {
            lines.Add(Line(AgendaReasons.Overdue, d, $"已逾期 {today.DayNumber - d.Due!.Value.DayNumber} 天（完成时限 {d.Due:yyyy-MM-dd}），{d.Responsible}"));
        }
        foreach (var d in found[AgendaReasons.DueSoon].Rows)
        {
            var days = d.Due!.Value.DayNumber - today.DayNumber;
            lines.Add(Line(AgendaReasons.DueSoon, d, (days == 0 ? "今天到期" : $"{days} 天后到期") + $"（完成时限 {d.Due:yyyy-MM-dd}），{d.Responsible}"));
        }
        foreach (var d in found[AgendaReasons.Reopened].Rows)
        {
            lines.Add(Line(AgendaReasons.Reopened, d, $"企业确认未解决，已重办 {d.ReopenCount} 次" + (d.Due is { } due ? $"，完成时限 {due:yyyy-MM-dd}" : "") + $"，{d.Responsible}"));
        }
        var lowRated = ratings.Select(r => (r.DemandId, r.At, Rating: Rating(r))).Where(r => r.Rating is { Satisfaction: <= LowRatingAtMost })
            .GroupBy(r => r.DemandId).Select(g => g.First()).ToList();
        ratings.Clear();
        Omit(AgendaReasons.LowRating, lowRated.Count, Math.Min(lowRated.Count, limit));
        lowRated = lowRated.Take(limit).ToList();
        if (lowRated.Count > 0)
        {
            var rows = (await connection.QueryAsync<Row>(new CommandDefinition($"{Select} WHERE d.id IN @ids ORDER BY d.id",
                new { ids = lowRated.Select(r => r.DemandId).ToList() }, tx, cancellationToken: ct))).ToDictionary(r => r.Id);
            foreach (var r in lowRated)
            {
                lines.Add(Line(AgendaReasons.LowRating, rows[r.DemandId],
                    $"{Periods.DateOf(r.At):yyyy-MM-dd} 企业评价 {r.Rating!.Satisfaction} 分（{(r.Rating.Solved ? "确认已解决" : "确认未解决")}）"));
            }
        }
        foreach (var d in found[AgendaReasons.Transferred].Rows)
        {
            lines.Add(Line(AgendaReasons.Transferred, d, $"移交{d.DepartmentName}办理" + (d.Due is { } due ? $"，完成时限 {due:yyyy-MM-dd}" : "")));
        }
        foreach (var d in found[AgendaReasons.Whistle].Rows)
        {
            lines.Add(Line(AgendaReasons.Whistle, d, $"{Periods.DateOf(d.SubmittedAt):yyyy-MM-dd} 企业吹哨，当前状态：{DemandWorkflow.StatusName(d.Status)}"));
        }
        foreach (var e in notVisited)
        {
            lines.Add(new AgendaLine(AgendaReasons.NotVisited, null, e.Id, null,
                $"{Periods.ChineseMonth(month)}尚无回访记录，" + (e.LiaisonName is { } l ? $"包挂成员：{l}" : "未指定包挂成员")));
        }
        foreach (var (reason, (rows, count)) in found)
        {
            Omit(reason, count, rows.Count);
        }
        Omit(AgendaReasons.NotVisited, notVisitedCount, notVisited.Count);
        return (lines, omitted);
    }

    /// <summary>Writes the lines (numbered in order from 1) and the omitted counts in a few multi-row statements.</summary>
    public static async Task SaveAsync(DbConnection connection, DbTransaction tx, long meetingId, IReadOnlyList<AgendaLine> lines,
        IReadOnlyDictionary<string, int> omitted, CancellationToken ct)
    {
        const int PerStatement = 200;
        for (var start = 0; start < lines.Count; start += PerStatement)
        {
            var sql = new System.Text.StringBuilder("INSERT INTO meeting_agenda_items (meeting_id, seq, reason, demand_id, enterprise_id, due_date, note) VALUES ");
            var p = new DynamicParameters(new { meetingId });
            for (var i = start; i < Math.Min(lines.Count, start + PerStatement); i++)
            {
                var l = lines[i];
                sql.Append(System.Globalization.CultureInfo.InvariantCulture, $"{(i > start ? "," : "")}(@meetingId, {i + 1}, @r{i}, @d{i}, @e{i}, @u{i}, @n{i})");
                p.Add($"r{i}", l.Reason);
                p.Add($"d{i}", l.DemandId);
                p.Add($"e{i}", l.EnterpriseId);
                p.Add($"u{i}", l.DueDate?.ToDateTime(TimeOnly.MinValue));
                p.Add($"n{i}", l.Note);
            }
            await connection.ExecuteAsync(new CommandDefinition(sql.ToString(), p, tx, cancellationToken: ct));
        }
        if (omitted.Count > 0)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO meeting_agenda_omitted (meeting_id, reason, omitted) VALUES "
                + string.Join(",", omitted.Select((o, i) => $"(@meetingId, @or{i}, {o.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)})")),
                new DynamicParameters(omitted.Select((o, i) => new KeyValuePair<string, object>($"or{i}", o.Key)).Append(new("meetingId", meetingId))),
                tx, cancellationToken: ct));
        }
    }

    /// <summary>A confirmation's rating: from its details, or — for events written before details existed — from the row.</summary>
    private static EventDetails.ConfirmationDetails? Rating(RatingRow r) =>
        EventDetails.ReadConfirmation(r.Details) is { } read ? read
        : r.Kind == "confirmed" ? new EventDetails.ConfirmationDetails(true, r.RowSatisfaction) // closing is final: the row still holds it
        : null;

    private static AgendaLine Line(string reason, Row d, string note) => new(reason, d.Id, d.EnterpriseId, d.Due, note);

    private const string Select = """
        SELECT d.id, d.enterprise_id, d.status, d.due_date, d.reopen_count, d.department_id, dep.name AS department_name, m.name AS owner_name,
               d.submitted_at, d.accepted_at
        FROM demands d LEFT JOIN departments dep ON dep.id = d.department_id LEFT JOIN members m ON m.id = d.owner_member_id
        """;

    private sealed class Row
    {
        public long Id { get; init; }
        public long EnterpriseId { get; init; }
        public string Status { get; init; } = "";
        public DateTime? DueDate { get; init; }
        public int ReopenCount { get; init; }
        public long? DepartmentId { get; init; }
        public string? DepartmentName { get; init; }
        public string? OwnerName { get; init; }
        public DateTimeOffset SubmittedAt { get; init; }
        public DateTimeOffset? AcceptedAt { get; init; }

        public DateOnly? Due => DueDate is { } d ? DateOnly.FromDateTime(d) : null;

        public string Responsible => OwnerName is { } o ? $"责任人：{o}" : DepartmentName is { } dep ? $"责任单位：{dep}" : "未指定责任人";
    }

    private sealed class RatingRow
    {
        public long DemandId { get; init; }
        public string Kind { get; init; } = "";
        public string? Details { get; init; }
        public DateTimeOffset CreatedAt { get; init; }
        public int? RowSatisfaction { get; init; }

        public DateTimeOffset At => CreatedAt;
    }
}
