using System.Globalization;
using Dapper;
using EcoAid.Api.Features.Calendar;
using EcoAid.Api.Features.Demands;
using EcoAid.Api.Infrastructure.Auth;
using EcoAid.Api.Infrastructure.Export;
using EcoAid.Api.Infrastructure.Http;
using MySqlConnector;

namespace EcoAid.Api.Features.Stats;

/// <summary>
/// The monthly report in the shape the branch reports upward: the running total up to the month's last day ("截至…共收集
/// X 类 Y 个问题，其中…"), the month itself with its rates, the counts by category and state, and the list (台账).
/// States are those at the moment of export.
/// </summary>
internal static class MonthlyReport
{
    /// <summary>The report's list stops here; the counts above it are always complete.</summary>
    public const int MaxListRows = 10000;

    // Statuses in the order a report reads them: done first.
    private static readonly string[] StatusOrder =
        [DemandStatus.Closed, DemandStatus.Resolved, DemandStatus.Accepted, DemandStatus.Submitted, DemandStatus.Returned, DemandStatus.Withdrawn];

    public static async Task<IResult> ExportAsync(CurrentUser user, MySqlDataSource db, TimeProvider clock, StatsOptions options, string? monthText,
        string? format, long? branchId, CancellationToken ct)
    {
        if (format is not (null or "xlsx"))
        {
            return Problems.Validation("format", "format 只支持 xlsx。");
        }
        var now = clock.GetUtcNow();
        var month = Periods.MonthOf(WorkingCalendar.Today(now));
        if (monthText is not null && !Periods.TryParseMonth(monthText, out month))
        {
            return Problems.Validation("month", "月份格式应为 yyyy-MM。");
        }
        var lastDay = Periods.LastDayOfMonth(month);
        var endUtc = Periods.StartUtc(lastDay.AddDays(1));

        await using var connection = await db.OpenConnectionAsync(ct);
        var (branches, problem) = await StatsApi.ScopeAsync(connection, user, branchId, ct);
        if (problem is not null)
        {
            return problem;
        }
        var ids = branches.Select(b => b.Id).ToList();
        var rollUp = branches.Count != 1;
        var scopeName = rollUp
            ? (await connection.ExecuteScalarAsync<string?>(new CommandDefinition("SELECT name FROM cities WHERE id = @CityId", new { user.CityId }, cancellationToken: ct)) ?? "全市")
              + $"（{branches.Count} 个支部）"
            : branches[0].Name;

        var counts = (await connection.QueryAsync<(string Category, string Status, long Count)>(new CommandDefinition("""
            SELECT category, status, COUNT(*) FROM demands WHERE branch_id IN @ids AND submitted_at < @endUtc GROUP BY category, status
            """, new { ids, endUtc }, cancellationToken: ct))).ToList();
        var list = (await connection.QueryAsync<DemandRow>(new CommandDefinition($"""
            {DemandStore.Select} WHERE d.branch_id IN @ids AND d.submitted_at < @endUtc ORDER BY d.submitted_at, d.id LIMIT {MaxListRows}
            """, new { ids, endUtc }, cancellationToken: ct))).ToList();
        var branchNames = branches.ToDictionary(b => b.Id, b => b.Name);
        var limit = TimeSpan.FromHours(options.ResponseLimitHours);
        var facts = await StatsFacts.LoadAsync(connection, ids, Periods.StartUtc(month), endUtc, ct);
        var summary = StatsApi.Summarise(facts, limit, now);

        var categories = counts.GroupBy(c => c.Category).Select(g => (Category: g.Key, Total: (int)g.Sum(c => c.Count),
                ByStatus: g.ToDictionary(c => c.Status, c => (int)c.Count)))
            .OrderByDescending(c => c.Total).ThenBy(c => DemandCategories.Names.Keys.ToList().IndexOf(c.Category)).ToList();
        var statusTotals = StatusOrder.Select(s => (Status: s, Count: (int)counts.Where(c => c.Status == s).Sum(c => c.Count))).ToList();

        IReadOnlyList<string?>[] report =
        [
            ["标题", $"{scopeName}生态润百企工作月报（{Periods.ChineseMonth(month)}）"],
            ["总体情况", RunningTotal(lastDay, categories.Select(c => (c.Category, c.Total)).ToList(), statusTotals)],
            ["本月情况", ThisMonth(month, summary)],
            ["响应率", Percent(summary.Rates.Response)],
            ["按期办结率", Percent(summary.Rates.OnTime)],
            ["解决率", Percent(summary.Rates.Resolution)],
            ["满意率", Percent(summary.Rates.Satisfaction)],
            ["统计口径", $"北京时间自然月。响应率：本月提交、已受理或已超过 {options.ResponseLimitHours} 小时响应时限的诉求中，{options.ResponseLimitHours} 小时内受理的比例；" +
                "按期办结率：本月办结中，在当时有效的完成时限（含已批准的延期）当天或之前办结的比例；解决率：本月企业确认中确认“已解决”的比例；" +
                $"满意率：本月企业评价中 {Kpis.SatisfiedFrom} 分（基本满意）及以上的比例。"],
            ["说明", $"状态为导出时（{TimeZoneInfo.ConvertTime(now, WorkingCalendar.Shanghai):yyyy-MM-dd HH:mm}）的状态。" +
                (list.Count == MaxListRows ? $"诉求清单只列出前 {MaxListRows} 条，计数为全部。" : "")],
        ];
        var byCategory = categories.Select(c => (IReadOnlyList<string?>)
            [DemandCategories.Names.GetValueOrDefault(c.Category, c.Category), Number(c.Total), .. StatusOrder.Select(s => Number(c.ByStatus.GetValueOrDefault(s)))])
            .Append(["合计", Number(categories.Sum(c => c.Total)), .. statusTotals.Select(s => Number(s.Count))]);
        var rows = list.Select((d, i) => (IReadOnlyList<string?>)
        [
            Number(i + 1), branchNames.GetValueOrDefault(d.BranchId), d.Number, d.EnterpriseName, DemandCategories.Names.GetValueOrDefault(d.Category, d.Category),
            DemandSources.Names.GetValueOrDefault(d.Source, d.Source), $"{d.Title}：{d.Description}", d.ResponsibleUnit ?? d.DepartmentName,
            d.ResponsiblePersonLabel, d.Due?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            DemandWorkflow.StatusName(d.Status) + (d.IsOverdue(now) ? "（已逾期）" : ""),
            d.Status is DemandStatus.Closed or DemandStatus.Resolved ? d.Resolution : d.ClosingReason,
            d.Satisfaction is { } s ? Number(s) : null,
        ]);
        var bytes = XlsxWriter.Write(
        [
            new XlsxSheet("月报", ["项目", "内容"], report),
            new XlsxSheet("分类统计", ["问题类别", "合计", .. StatusOrder.Select(DemandWorkflow.StatusName)], byCategory),
            new XlsxSheet("诉求清单", ["序号", "支部", "编号", "企业名称", "问题类别", "收集方式", "问题描述", "责任单位", "责任人", "完成时限", "办理状态", "办理结果", "满意度"], rows),
        ]);
        return Results.File(bytes, XlsxWriter.ContentType, $"monthly-report-{Periods.MonthText(month)}.xlsx");
    }

    /// <summary>"截至2024年11月30日，共收集 3 类 7 个问题，其中污染治理 5 个、环评审批 1 个、信用修复 1 个；已办结 3 个、……。"</summary>
    internal static string RunningTotal(DateOnly lastDay, IReadOnlyList<(string Category, int Count)> categories, IReadOnlyList<(string Status, int Count)> statuses)
    {
        var total = categories.Sum(c => c.Count);
        if (total == 0)
        {
            return $"截至{Periods.ChineseDate(lastDay)}，尚未收集企业诉求问题。";
        }
        return $"截至{Periods.ChineseDate(lastDay)}，共收集 {categories.Count} 类 {total} 个问题，其中" +
            string.Join("、", categories.Select(c => $"{DemandCategories.Names.GetValueOrDefault(c.Category, c.Category)} {c.Count} 个")) + "；" +
            string.Join("、", statuses.Where(s => s.Count > 0).Select(s => $"{DemandWorkflow.StatusName(s.Status)} {s.Count} 个")) + "。";
    }

    internal static string ThisMonth(DateOnly month, StatsSummary s)
    {
        var newOnes = s.ByCategory.Where(c => c.Count > 0).ToList();
        return $"{Periods.ChineseMonth(month)}新收集 {s.Submitted} 个问题" +
            (newOnes.Count > 0 ? "（" + string.Join("、", newOnes.Select(c => $"{c.Name} {c.Count} 个")) + "）" : "") +
            $"，办结 {s.Resolutions} 次，企业确认 {s.Confirmations} 次，回访企业 {s.Visits} 次。";
    }

    internal static string Percent(Rate r) => r.Value is { } v
        ? $"{(v * 100).ToString("0.#", CultureInfo.InvariantCulture)}%（{r.Numerator}/{r.Denominator}）"
        : "—（本月无数据）";

    private static string Number(int n) => n.ToString(CultureInfo.InvariantCulture);
}
