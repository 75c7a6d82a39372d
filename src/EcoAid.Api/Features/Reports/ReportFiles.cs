using System.Globalization;
using Dapper;
using EcoAid.Api.Features.Demands;
using EcoAid.Api.Features.Stats;
using EcoAid.Api.Infrastructure.Export;
using MySqlConnector;

namespace EcoAid.Api.Features.Reports;

/// <summary>One line of the report's list: the demand with its state and due date as of the report's moment.</summary>
/// <see cref="ResponsibleThen"/> is the 责任单位/责任人 the last claim, transfer or reassignment before that moment set (none when
/// the demand was not accepted yet). <see cref="ClosedEarlier"/> marks a demand collected before the month and closed in it.
internal sealed record ReportListRow(DemandRow Demand, string StatusThen, DateOnly? DueThen, string? AcceptedAs, bool OverdueThen,
    ResponsibleSnapshot? ResponsibleThen, bool ClosedEarlier = false);

/// <summary>The monthly report as files: the workbook (月报) and the Word 工作信息, both from the same figures.</summary>
internal static class ReportFiles
{
    /// <summary>
    /// The most demands the report's list shows in each of its two parts: collected in the month, and collected before
    /// it and closed (confirmed) in it. A county collects dozens a month, so its list is whole; a city's or a province's
    /// month lists the first of each part and says how many there are. Every demand, one by one, is on the console's
    /// 诉求清单 page, so the report stays a report at any volume.
    /// </summary>
    public const int ListPerPart = 50;

    private static readonly string[] StatusOrder =
        [DemandStatus.Closed, DemandStatus.Resolved, DemandStatus.Accepted, DemandStatus.Submitted, DemandStatus.PendingReview, DemandStatus.Returned,
            DemandStatus.Withdrawn];

    /// <summary>
    /// The list's rows: the month's first <see cref="ListPerPart"/> new demands in order of submission (one index range),
    /// then the first <see cref="ListPerPart"/> earlier demands closed in the month, in order of their closing; their
    /// state, due date and acceptance then from their own events, and only the columns the list shows. Two queries: the
    /// first picks at most three parts' worth of ids (MariaDB evaluates a CTE again wherever it is referenced, so the pick
    /// is not a CTE of the second), the second reads those demands. At most 150 rows are held.
    /// </summary>
    /// <remarks>
    /// The closed part's candidates are the month's first confirmations of the branches' earlier demands (twice the part's
    /// size, read in the order of the events' kind-and-time index); each is placed by its last confirmation before the
    /// moment and kept if it was still closed then. A demand outside the candidates was first confirmed after all of
    /// them, so it cannot close earlier than the kept ones unless the candidates hold fewer than <see cref="ListPerPart"/>
    /// demands still closed (reopened ones drop out, and one reopened and confirmed again takes two slots): only then
    /// would the part show fewer or other demands than it could. Its count on the sheet is the figures' own, so nothing is
    /// miscounted. Rows from before the timeline (closed without a confirmation event) are counted in the figures and not
    /// listed. In a database of many branches the index walks every branch's confirmations of the month until it has
    /// enough of these branches': bounded by a month's volume, not by the years kept.
    /// </remarks>
    public static async Task<List<ReportListRow>> ListRowsAsync(MySqlConnection connection, IReadOnlyList<long> ids, ReportFigures f, CancellationToken ct)
    {
        var asOf = f.AsOf.UtcDateTime;
        var monthStart = Periods.StartUtc(MonthOf(f));
        if (ids.Count == 0)
        {
            return [];
        }
        var picked = (await connection.QueryAsync<(long Id, bool ClosedEarlier)>(new CommandDefinition($"""
            (SELECT id, FALSE AS closed_earlier FROM demands
             WHERE branch_id IN @ids AND submitted_at >= @monthStart AND submitted_at < @asOf ORDER BY submitted_at, id LIMIT {ListPerPart})
            UNION ALL
            (SELECT ev.demand_id, TRUE FROM demand_events ev JOIN demands x ON x.id = ev.demand_id
             WHERE ev.kind = 'confirmed' AND ev.created_at >= @monthStart AND ev.created_at < @asOf AND x.branch_id IN @ids AND x.submitted_at < @monthStart
             ORDER BY ev.created_at, ev.id LIMIT {2 * ListPerPart})
            """, new { ids, asOf, monthStart }, cancellationToken: ct)))
            .GroupBy(x => x.Id).ToDictionary(g => g.Key, g => g.First().ClosedEarlier);
        if (picked.Count == 0)
        {
            return [];
        }
        var demandIds = picked.Keys.ToList();
        // The same rules as ReportFigureSource.AsOfDemands, for the picked demands only, each event found by a subquery of
        // its own: with CTEs over the id list, planning the query took longer than running it (about 12 ms at 150 ids).
        var lines = await connection.QueryAsync<ListLine>(new CommandDefinition($$"""
            SELECT d.id, d.closed_at_then, d.branch_id, d.number, e.name AS enterprise_name, d.category, d.source, d.submitted_at, d.title, d.description,
                   COALESCE({{ReportFigureSource.StatusOfEvent}}, d.status) AS status_then,
                   COALESCE(CAST(COALESCE(JSON_VALUE(de.details, '$.dueDate'), REGEXP_SUBSTR(de.text, '[0-9]{4}-[0-9]{2}-[0-9]{2}')) AS DATE),
                            CASE WHEN d.ls_id IS NULL THEN d.due_date END) AS due_then,
                   COALESCE(fa.kind, CASE WHEN d.ls_id IS NULL AND d.accepted_at < @asOf THEN IF(d.department_id IS NULL, 'claimed', 'transferred') END) AS accepted_as,
                   d.lr_id IS NOT NULL AS has_responsible, r.details AS responsible_details, COALESCE(d.lr_id = d.lr_latest_id, FALSE) AS responsible_latest,
                   d.department_id, dep.name AS department_name, m.name AS owner_name, d.responsible_unit, d.responsible_unit_kind,
                   d.responsible_person_kind, d.responsible_person_name, d.responsible_person_phone
            FROM (
                SELECT d.*,
                       (SELECT MAX(ev.id) FROM demand_events ev WHERE ev.demand_id = d.id AND ev.created_at < @asOf
                          AND ev.kind IN ('submitted', 'review_accepted', 'review_returned', 'claimed', 'transferred', 'reopened', 'resolved', 'confirmed',
                                          'returned', 'withdrawn')) AS ls_id,
                       (SELECT MAX(ev.id) FROM demand_events ev WHERE ev.demand_id = d.id AND ev.created_at < @asOf
                          AND ev.kind IN ('claimed', 'transferred', 'extension_approved', 'due_date_set')) AS ld_id,
                       (SELECT MIN(ev.id) FROM demand_events ev WHERE ev.demand_id = d.id AND ev.created_at < @asOf
                          AND ev.kind IN ('claimed', 'transferred')) AS fa_id,
                       (SELECT MAX(ev.id) FROM demand_events ev WHERE ev.demand_id = d.id AND ev.created_at < @asOf
                          AND ev.kind IN ('claimed', 'transferred', 'reassigned')) AS lr_id,
                       (SELECT MAX(ev.id) FROM demand_events ev WHERE ev.demand_id = d.id AND ev.kind IN ('claimed', 'transferred', 'reassigned')) AS lr_latest_id,
                       (SELECT MAX(ev.created_at) FROM demand_events ev WHERE ev.demand_id = d.id AND ev.created_at < @asOf AND ev.kind = 'confirmed')
                           AS closed_at_then
                FROM demands d WHERE d.id IN @demandIds) d
            JOIN enterprises e ON e.id = d.enterprise_id
            LEFT JOIN members m ON m.id = d.owner_member_id LEFT JOIN departments dep ON dep.id = d.department_id
            LEFT JOIN demand_events s ON s.id = d.ls_id LEFT JOIN demand_events de ON de.id = d.ld_id
            LEFT JOIN demand_events fa ON fa.id = d.fa_id LEFT JOIN demand_events r ON r.id = d.lr_id
            """, new { demandIds, asOf }, cancellationToken: ct));
        return lines
            .Select(l => (Line: l, ClosedEarlier: picked[l.Id]))
            .Where(x => !x.ClosedEarlier || x.Line.StatusThen == DemandStatus.Closed)
            .GroupBy(x => x.ClosedEarlier)
            .OrderBy(g => g.Key)
            .SelectMany(g => g.OrderBy(x => x.ClosedEarlier ? x.Line.ClosedAtThen : x.Line.SubmittedAt.UtcDateTime).ThenBy(x => x.Line.Id).Take(ListPerPart))
            .Select(x =>
            {
                var l = x.Line;
                var demand = new DemandRow
                {
                    Id = l.Id, BranchId = l.BranchId, Number = l.Number, EnterpriseName = l.EnterpriseName, Category = l.Category, Source = l.Source,
                    SubmittedAt = l.SubmittedAt, Title = l.Title, Description = l.Description, DepartmentId = l.DepartmentId, DepartmentName = l.DepartmentName,
                    OwnerName = l.OwnerName, ResponsibleUnit = l.ResponsibleUnit, ResponsibleUnitKind = l.ResponsibleUnitKind,
                    ResponsiblePersonKind = l.ResponsiblePersonKind, ResponsiblePersonName = l.ResponsiblePersonName, ResponsiblePersonPhone = l.ResponsiblePersonPhone,
                };
                var due = l.DueThen is { } d ? DateOnly.FromDateTime(d) : (DateOnly?)null;
                var responsible = l.HasResponsible
                    ? EventDetails.ReadResponsible(l.ResponsibleDetails) ?? (l.ResponsibleLatest ? DemandListColumns.Snapshot(demand) : null)
                    : null;
                return new ReportListRow(demand, l.StatusThen, due, l.AcceptedAs, l.StatusThen == DemandStatus.Accepted && due < f.AsOfDate, responsible,
                    x.ClosedEarlier);
            })
            .ToList();
    }

    private static DateOnly MonthOf(ReportFigures f) => DateOnly.ParseExact(f.Month + "-01", "yyyy-MM-dd", CultureInfo.InvariantCulture);

    private sealed class ListLine
    {
        public long Id { get; init; }
        public long BranchId { get; init; }
        public string Number { get; init; } = "";
        public string EnterpriseName { get; init; } = "";
        public string Category { get; init; } = "";
        public string Source { get; init; } = "";
        public DateTimeOffset SubmittedAt { get; init; }
        public string Title { get; init; } = "";
        public string Description { get; init; } = "";
        public string StatusThen { get; init; } = "";
        public DateTime? ClosedAtThen { get; init; }
        public DateTime? DueThen { get; init; }
        public string? AcceptedAs { get; init; }
        public bool HasResponsible { get; init; }
        public string? ResponsibleDetails { get; init; }
        public bool ResponsibleLatest { get; init; }
        public long? DepartmentId { get; init; }
        public string? DepartmentName { get; init; }
        public string? OwnerName { get; init; }
        public string? ResponsibleUnit { get; init; }
        public string? ResponsibleUnitKind { get; init; }
        public string? ResponsiblePersonKind { get; init; }
        public string? ResponsiblePersonName { get; init; }
        public string? ResponsiblePersonPhone { get; init; }
    }

    /// <summary>
    /// The same list computed the plain way, kept as the tests' oracle: every demand's state then from
    /// <see cref="ReportFigureSource.AsOfDemands"/>, the two parts picked and ordered here.
    /// </summary>
    public static async Task<List<ReportListRow>> LegacyListAsync(MySqlConnection connection, IReadOnlyList<long> ids, ReportFigures f, CancellationToken ct)
    {
        var asOf = f.AsOf.UtcDateTime;
        var monthStart = Periods.StartUtc(MonthOf(f));
        var all = (await connection.QueryAsync<(long Id, DateTime SubmittedAt, string StatusThen, DateTime? DueThen, string? AcceptedAs, DateTime? ClosedEventAt)>(
            new CommandDefinition($"""
            {ReportFigureSource.AsOfDemands}
            SELECT id, submitted_at, status_then, due_then, accepted_as, closed_event_at FROM asof
            """, new { ids, asOf }, cancellationToken: ct))).ToList();
        var then = all.Where(t => t.SubmittedAt >= monthStart).OrderBy(t => t.SubmittedAt).ThenBy(t => t.Id).Take(ListPerPart)
            .Select(t => (t, ClosedEarlier: false))
            .Concat(all.Where(t => t.SubmittedAt < monthStart && t.StatusThen == DemandStatus.Closed && t.ClosedEventAt >= monthStart)
                .OrderBy(t => t.ClosedEventAt).ThenBy(t => t.Id).Take(ListPerPart).Select(t => (t, ClosedEarlier: true)))
            .ToList();
        if (then.Count == 0)
        {
            return [];
        }
        var demandIds = then.Select(x => x.t.Id).ToList();
        var rows = (await connection.QueryAsync<DemandRow>(new CommandDefinition($"{DemandStore.Select} WHERE d.id IN @demandIds", new { demandIds },
            cancellationToken: ct))).ToDictionary(d => d.Id);
        var responsible = await ResponsibleThenAsync(connection, demandIds, asOf, rows, ct);
        return then.Select(x =>
        {
            var (t, closedEarlier) = x;
            var due = t.DueThen is { } d ? DateOnly.FromDateTime(d) : (DateOnly?)null;
            return new ReportListRow(rows[t.Id], t.StatusThen, due, t.AcceptedAs, t.StatusThen == DemandStatus.Accepted && due < f.AsOfDate,
                responsible.GetValueOrDefault(t.Id), closedEarlier);
        }).ToList();
    }

    /// <summary>
    /// 责任单位/责任人 as they stood at <paramref name="asOf"/>: what the last claim, transfer or reassignment before it
    /// recorded in its details. An event from before the details were recorded stands for the demand's present pair when
    /// nothing changed it since (the only case the old rows can answer).
    /// </summary>
    private static async Task<Dictionary<long, ResponsibleSnapshot>> ResponsibleThenAsync(MySqlConnection connection, List<long> demandIds, DateTime asOf,
        Dictionary<long, DemandRow> rows, CancellationToken ct)
    {
        var events = await connection.QueryAsync<(long DemandId, string? Details, bool Latest)>(new CommandDefinition("""
            SELECT ev.demand_id, ev.details,
                   ev.id = (SELECT MAX(l.id) FROM demand_events l WHERE l.demand_id = ev.demand_id AND l.kind IN ('claimed', 'transferred', 'reassigned')) AS latest
            FROM demand_events ev
            WHERE ev.id IN (SELECT MAX(x.id) FROM demand_events x
                            WHERE x.demand_id IN @demandIds AND x.created_at < @asOf AND x.kind IN ('claimed', 'transferred', 'reassigned')
                            GROUP BY x.demand_id)
            """, new { demandIds, asOf }, cancellationToken: ct));
        var result = new Dictionary<long, ResponsibleSnapshot>();
        foreach (var e in events)
        {
            if ((EventDetails.ReadResponsible(e.Details) ?? (e.Latest ? DemandListColumns.Snapshot(rows[e.DemandId]) : null)) is { } snapshot)
            {
                result[e.DemandId] = snapshot;
            }
        }
        return result;
    }

    public static string Percent(Rate r) => r.Value is { } v
        ? $"{(v * 100).ToString("0.#", CultureInfo.InvariantCulture)}%（{r.Numerator}/{r.Denominator}）"
        : "—（本月无数据）";

    private static string N(int n) => n.ToString(CultureInfo.InvariantCulture);

    public static string MonthName(ReportFigures f) => Periods.ChineseMonth(DateOnly.ParseExact(f.Month + "-01", "yyyy-MM-dd", CultureInfo.InvariantCulture));

    public static string Title(ReportFigures f) => $"{f.ScopeName}生态润百企工作月报（{MonthName(f)}）";

    /// <summary>"截至2024年11月30日，共收集 3 类 7 个问题，其中污染治理 5 个、环评审批 1 个、信用修复 1 个；已办结 3 个、……。"</summary>
    public static string RunningTotal(ReportFigures f)
    {
        var s = f.Total;
        var date = Periods.ChineseDate(f.AsOfDate);
        if (s.Collected == 0)
        {
            return $"截至{date}，尚未收集企业诉求问题。";
        }
        var categories = s.ByCategory.Where(c => c.Count > 0).OrderByDescending(c => c.Count).ToList();
        var statuses = StatusOrder.Select(code => s.ByStatus.Single(b => b.Code == code)).Where(b => b.Count > 0);
        return $"截至{date}，共收集 {categories.Count} 类 {s.Collected} 个问题，其中" +
            string.Join("、", categories.Select(c => $"{c.Name} {c.Count} 个")) + "；" +
            string.Join("、", statuses.Select(b => $"{b.Name} {b.Count} 个")) + "。" +
            $"支部认领 {s.Claimed} 个、移交相关科室 {s.Transferred} 个" + (s.Overdue > 0 ? $"，逾期未办结 {s.Overdue} 个。" : "，无逾期问题。");
    }

    public static string ThisMonth(ReportFigures f)
    {
        var s = f.Total;
        var sources = s.NewBySource.Where(c => c.Count > 0).ToList();
        var categories = s.NewByCategory.Where(c => c.Count > 0).ToList();
        var head = f.MonthComplete ? MonthName(f) : $"{MonthName(f)}（截至{f.AsOfDate.Day}日）";
        return $"{head}新收集问题 {s.NewThisMonth} 个" +
            (categories.Count > 0 ? "（" + string.Join("、", categories.Select(c => $"{c.Name} {c.Count} 个")) + "）" : "") +
            (sources.Count > 0 ? "，收集方式为" + string.Join("、", sources.Select(c => $"{c.Name} {c.Count} 个")) : "") +
            (s.Whistles > 0 ? $"，其中企业吹哨 {s.Whistles} 个" : "") +
            $"；认领 {s.ClaimedThisMonth} 个、移交 {s.TransferredThisMonth} 个，办结 {s.ClosedThisMonth} 个。" +
            $"送政策资料清单 {s.MaterialListsSent} 份（企业已阅 {s.MaterialListsRead} 份），回访督查 {s.Visits} 次（其中专家上门 {s.ExpertVisits} 次），召开会商会 {s.Meetings} 次。";
    }

    public static string RatesSentence(ReportFigures f)
    {
        var r = f.Total.Rates;
        return $"本月响应率 {Percent(r.Response)}，按期办结率 {Percent(r.OnTime)}，解决率 {Percent(r.Resolution)}，满意率 {Percent(r.Satisfaction)}。";
    }

    private static string Method(ReportFigures f) =>
        $"统计时点：{(f.MonthComplete ? "月末" : "生成时")}（北京时间 {Periods.ChineseDate(f.AsOfDate)}），各诉求的状态、完成时限均为该时点的情况，按办理记录推算。" +
        $"响应率：本月提交、已受理或已超过 {f.ResponseLimitHours} 小时响应时限的诉求中，{f.ResponseLimitHours} 小时内受理的比例；" +
        "按期办结率：本月办结中，在当时有效的完成时限当天或之前办结的比例；解决率：本月企业确认中确认“已解决”的比例；" +
        $"满意率：本月企业评价中 {Kpis.SatisfiedFrom} 分（基本满意）及以上的比例。责任单位、责任人为统计时点的安排。";

    public static IReadOnlyList<string> BranchTableHeader =>
        ["支部", "累计收集", "本月新收集", "认领", "移交", "已办结", "办理中", "逾期", "资料清单", "回访", "专家上门", "会商", "吹哨", "响应率", "按期办结率", "解决率", "满意率"];

    public static IEnumerable<IReadOnlyList<string?>> BranchTableRows(IEnumerable<ScopeFigures> rows) => rows.Select(b => (IReadOnlyList<string?>)
    [
        b.Name, N(b.Collected), N(b.NewThisMonth), N(b.Claimed), N(b.Transferred), N(b.Closed), N(b.InProgress), N(b.Overdue), N(b.MaterialListsSent),
        N(b.Visits), N(b.ExpertVisits), N(b.Meetings), N(b.Whistles), Percent(b.Rates.Response), Percent(b.Rates.OnTime), Percent(b.Rates.Resolution),
        Percent(b.Rates.Satisfaction),
    ]);

    /// <summary>
    /// The workbook, written to <paramref name="output"/> as <paramref name="list"/> is enumerated (the list is its last
    /// sheet). <paramref name="closedEarlier"/> is how many demands collected before the month were closed in it.
    /// </summary>
    public static void Workbook(Stream output, ReportFigures f, IReadOnlyList<CategoryStatusCount> byCategoryStatus, int closedEarlier,
        IEnumerable<ReportListRow> list, bool rollUp)
    {
        var lines = new[] { $"统计时点：截至{Periods.ChineseDate(f.AsOfDate)}" };
        var s = f.Total;
        IReadOnlyList<string?>[] report =
        [
            ["总体情况", RunningTotal(f)],
            ["本月情况", ThisMonth(f)],
            ["累计收集", N(s.Collected)], ["认领", N(s.Claimed)], ["移交", N(s.Transferred)], ["已办结", N(s.Closed)], ["办理中", N(s.InProgress)],
            ["逾期", N(s.Overdue)], ["本月新收集", N(s.NewThisMonth)], ["本月认领", N(s.ClaimedThisMonth)], ["本月移交", N(s.TransferredThisMonth)],
            ["本月办结", N(s.ClosedThisMonth)], ["资料清单（送达/已阅）", $"{s.MaterialListsSent}/{s.MaterialListsRead}"], ["回访督查", N(s.Visits)],
            ["专家上门", N(s.ExpertVisits)], ["会商", N(s.Meetings)], ["企业吹哨", N(s.Whistles)],
            ["响应率", Percent(s.Rates.Response)], ["按期办结率", Percent(s.Rates.OnTime)], ["解决率", Percent(s.Rates.Resolution)], ["满意率", Percent(s.Rates.Satisfaction)],
            ["统计口径", Method(f)],
        ];
        // From the aggregated counts: the table covers every demand collected by the moment, the list only the month's.
        var byCategory = s.ByCategory.Where(c => c.Count > 0).OrderByDescending(c => c.Count).Select(c =>
        {
            var statuses = byCategoryStatus.Where(x => x.Category == c.Code).GroupBy(x => x.Status).ToDictionary(g => g.Key, g => g.Sum(x => x.Count));
            return (IReadOnlyList<string?>)[c.Name, N(c.Count), .. StatusOrder.Select(st => N(statuses.GetValueOrDefault(st)))];
        }).Append(["合计", N(s.Collected), .. StatusOrder.Select(st => N(s.ByStatus.Single(b => b.Code == st).Count))]);
        var rows = list.Select((l, i) =>
        {
            var d = l.Demand;
            return (IReadOnlyList<string?>)
            [
                N(i + 1), .. rollUp ? [f.Branches.FirstOrDefault(b => b.BranchId == d.BranchId)?.Name] : Array.Empty<string?>(), d.Number, d.EnterpriseName,
                DemandCategories.Names.GetValueOrDefault(d.Category, d.Category), DemandSources.Names.GetValueOrDefault(d.Source, d.Source),
                Periods.DateOf(d.SubmittedAt).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), $"{d.Title}：{d.Description}",
                DemandListColumns.AcceptanceName(l.AcceptedAs), l.ResponsibleThen is { } r ? DemandListColumns.ResponsibleUnit(r) : null,
                l.ResponsibleThen is { } p ? DemandListColumns.ResponsiblePerson(p) : null,
                l.DueThen?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                DemandWorkflow.StatusName(l.StatusThen) + (l.OverdueThen ? "（已逾期）" : ""),
                l.ClosedEarlier ? "本月办结" : "本月新收集",
            ];
        });
        var cases = f.Cases.Select((c, i) => (IReadOnlyList<string?>)[N(i + 1), c.Number, c.EnterpriseName, c.Title, c.Problem, c.Measures, c.Outcome]);
        var title = Title(f);
        List<SheetSpec> sheets =
        [
            new("月报", title, lines, ["项目", "内容"], [24, 110], report),
            new("分类统计", title, lines, ["问题类别", "合计", .. StatusOrder.Select(DemandWorkflow.StatusName)], [16, 10, 10, 12, 10, 10, 10, 10, 10], byCategory),
        ];
        if (rollUp)
        {
            sheets.Add(new("各支部", title, lines, BranchTableHeader, [34, 10, 11, 8, 8, 8, 8, 8, 10, 8, 10, 8, 8, 16, 16, 16, 16], BranchTableRows(f.Branches)));
        }
        sheets.Add(new("典型案例", title, lines, ["序号", "编号", "企业名称", "诉求", "问题", "举措", "成效"], [6, 14, 24, 22, 36, 36, 36], cases));
        sheets.Add(new("诉求清单", title, [lines[0], ListNote(s.NewThisMonth, closedEarlier)],
            ["序号", .. rollUp ? ["支部"] : Array.Empty<string>(), "编号", "企业名称", "问题类别", "收集方式", "提交日期", "问题描述", "认领/移交", "责任单位", "责任人", "完成时限", "办理状态",
                "列入原因"],
            [6, .. rollUp ? [24.0] : Array.Empty<double>(), 14, 24, 11, 11, 12, 48, 10, 18, 12, 12, 14, 12], rows));
        Spreadsheet.Write(output, sheets);
    }

    /// <summary>
    /// "本表列出本月新收集的诉求 12 件，以及此前收集、本月办结的诉求 3 件。……", with the parts' limits when they bind. It
    /// points to the console's 诉求清单 page, which every reader of a report can open (its export is for the branch's
    /// commissioners and secretary).
    /// </summary>
    public static string ListNote(int newThisMonth, int closedEarlier)
    {
        static string Part(int count, string limited) => count > ListPerPart ? $" {N(count)} 件中{limited} {ListPerPart} 件" : $" {N(count)} 件";
        var listed = (newThisMonth, closedEarlier) switch
        {
            (0, 0) => "本月无新收集的诉求，此前收集的诉求本月无办结",
            (0, _) => $"本月无新收集的诉求；列出此前收集、本月办结的诉求{Part(closedEarlier, "最先办结的")}",
            (_, 0) => $"本表列出本月新收集的诉求{Part(newThisMonth, "最先收集的")}；此前收集的诉求本月无办结",
            _ => $"本表列出本月新收集的诉求{Part(newThisMonth, "最先收集的")}，以及此前收集、本月办结的诉求{Part(closedEarlier, "最先办结的")}",
        };
        return listed + "。全部诉求的逐件情况请在后台「诉求清单」页查询。";
    }

    /// <summary>The 工作信息: 基本情况 with the figures, tables and charts; 主要做法 and 下步打算 as a skeleton to edit; the month's typical cases.</summary>
    public static byte[] Document(ReportFigures f, IReadOnlyList<ChartImage> charts, bool rollUp)
    {
        var s = f.Total;
        var doc = new WordDocument()
            .Title($"{f.ScopeName}生态润百企工作信息")
            .Centred($"（{MonthName(f)}，截至{Periods.ChineseDate(f.AsOfDate)}）")
            .Heading("一、基本情况")
            .Paragraph(RunningTotal(f))
            .Paragraph(ThisMonth(f))
            .Paragraph(RatesSentence(f))
            .Table(["项目", "数量", "项目", "数量"],
            [
                ["累计收集问题", $"{s.Collected} 个", "本月新收集", $"{s.NewThisMonth} 个"],
                ["认领 / 移交", $"{s.Claimed} 个 / {s.Transferred} 个", "已办结 / 办理中", $"{s.Closed} 个 / {s.InProgress} 个"],
                ["逾期未办结", $"{s.Overdue} 个", "企业吹哨", $"{s.Whistles} 个"],
                ["资料清单（送达/已阅）", $"{s.MaterialListsSent} 份 / {s.MaterialListsRead} 份", "回访督查（专家上门）", $"{s.Visits} 次（{s.ExpertVisits} 次）"],
                ["会商", $"{s.Meetings} 次", "满意率", Percent(s.Rates.Satisfaction)],
            ], [2300, 2100, 2300, 2100]);
        string[] captions = ["图1 诉求问题分类", "图2 近十二个月诉求收集与办结", "图3 本月各项比率"];
        for (var i = 0; i < charts.Count; i++)
        {
            doc.Picture(charts[i].Png, charts[i].Width, charts[i].Height, 15, $"chart{i + 1}").Caption(captions[i]);
        }
        if (rollUp)
        {
            doc.Paragraph("各支部情况见下表。")
                .Table(["支部", "累计收集", "本月新收集", "已办结", "逾期", "响应率", "满意率"],
                    f.Branches.Select(b => (IReadOnlyList<string?>)[b.Name, N(b.Collected), N(b.NewThisMonth), N(b.Closed), N(b.Overdue), Percent(b.Rates.Response), Percent(b.Rates.Satisfaction)]),
                    [2400, 900, 1000, 900, 800, 1400, 1400]);
        }
        doc.Heading("二、主要做法")
            .Paragraph($"一是畅通诉求收集渠道。本月通过小程序、座谈会、走访等方式收集企业问题 {s.NewThisMonth} 个。（请补充具体做法）")
            .Paragraph($"二是压实办理责任。支部认领 {s.ClaimedThisMonth} 个、移交相关科室 {s.TransferredThisMonth} 个，明确工作目标、思路举措和完成时限，助企服务专员跟踪督办。（请补充）")
            .Paragraph($"三是送政策上门、回访问效。送政策资料清单 {s.MaterialListsSent} 份，回访督查 {s.Visits} 次，召开会商会 {s.Meetings} 次。（请补充）")
            .Heading("三、典型案例");
        if (f.Cases.Count == 0)
        {
            doc.Paragraph("本月暂无典型案例。");
        }
        string[] order = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"];
        for (var i = 0; i < f.Cases.Count; i++)
        {
            var c = f.Cases[i];
            doc.Paragraph($"（{(i < order.Length ? order[i] : N(i + 1))}）{c.EnterpriseName}：{c.Title}")
                .Paragraph($"问题：{c.Problem}")
                .Paragraph($"举措：{c.Measures}")
                .Paragraph($"成效：{c.Outcome}");
        }
        doc.Heading("四、下步打算")
            .Paragraph(s.Overdue > 0
                ? $"对逾期未办结的 {s.Overdue} 个问题逐一会商、挂牌督办，确保按期销号。（请补充）"
                : "持续跟踪在办问题，确保按期办结、企业满意。（请补充）")
            .Paragraph("（请填写下一步工作打算）");
        return doc.ToBytes();
    }
}
