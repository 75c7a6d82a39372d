using System.Text;
using Dapper;
using EcoAid.Api.Infrastructure;
using EcoAid.Api.Infrastructure.Auth;
using EcoAid.Api.Infrastructure.Export;
using EcoAid.Api.Infrastructure.Http;
using MySqlConnector;

namespace EcoAid.Api.Features.Demands;

/// <summary>The demand list (企业诉求问题清单) in the columns the bureau keeps it in, as xlsx or csv.</summary>
public static class DemandExportApi
{
    public static RouteGroupBuilder MapDemandExport(this RouteGroupBuilder group)
    {
        group.MapGet("/export", ExportDemands).ProducesFile(Infrastructure.Export.Spreadsheet.ContentType, "text/csv").Answers(429)
            .RequireAuthorization(DemandPolicies.Manager).WithName(nameof(ExportDemands))
            .WithSummary("导出诉求清单").WithDescription("format=xlsx（默认）或 csv；可按 status、category 筛选。xlsx 带表头（支部、“生态润百企 企业诉求问题清单”、填报日期），列宽、边框、自动换行、" +
                "冻结表头，A4 横向打印且每页重复表头。列：序号、编号、企业名称、包挂成员、问题类别、收集方式、提交日期、问题描述、工作目标、思路举措、认领/移交、责任单位、责任人、完成时限、办理状态、办理结果。");
        return group;
    }

    private static readonly string[] Header =
        ["序号", "编号", "企业名称", "包挂成员", "问题类别", "收集方式", "提交日期", "问题描述", "工作目标", "思路举措", "认领/移交", "责任单位", "责任人", "完成时限", "办理状态", "办理结果"];

    // Character widths for the printed list (landscape A4, fitted to the page width).
    private static readonly double[] Widths = [5, 11, 16, 8, 9, 9, 11, 30, 18, 24, 7, 14, 9, 11, 11, 22];

    /// <summary>A demand as the list prints it: the workflow's row and the name of the enterprise's liaison (包挂成员).</summary>
    private sealed class ExportRow : DemandRow
    {
        public string? LiaisonName { get; init; }
    }

    /// <summary>
    /// Every demand in reach, oldest first, with no limit: the rows are read one at a time from the database and written
    /// into a temporary file (<see cref="TemporaryFile"/>) that is then sent, so a branch with 100,000 demands exports all
    /// of them without holding the list in memory; the audit event records how many rows went out.
    /// </summary>
    static async Task<IResult> ExportDemands(CurrentUser user, MySqlDataSource db, TimeProvider clock, ExportGate gate, string? format, string? status,
        string? category, CancellationToken ct)
    {
        format ??= "xlsx";
        if (format is not ("xlsx" or "csv"))
        {
            return Problems.Validation("format", "format 只支持 xlsx 或 csv。");
        }
        // Held while the rows are read and the file written; released when this returns, before the file is sent.
        using var permit = gate.Enter();
        if (!permit.IsAcquired)
        {
            return ExportGate.Busy();
        }
        var p = DemandStore.ReachParameters(user);
        var filters = new List<string> { DemandStore.ReachClause(user) };
        if (status is not null) { filters.Add("d.status = @status"); p.Add("status", status); }
        if (category is not null) { filters.Add("d.category = @category"); p.Add("category", category); }
        var sql = $"""
            SELECT x.*, lm.name AS liaison_name
            FROM ({DemandStore.Select} WHERE {string.Join(" AND ", filters)}) x
            LEFT JOIN members lm ON lm.id = x.liaison_member_id
            ORDER BY x.submitted_at, x.id
            """;
        var now = clock.GetUtcNow();
        var today = Calendar.WorkingCalendar.Today(now);
        var stamp = today.ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture);
        await using var connection = await db.OpenConnectionAsync(ct);
        var file = TemporaryFile.Create("ecoaid-demands", format);
        try
        {
            var written = 0;
            IReadOnlyList<string?> Row(ExportRow d)
            {
                ct.ThrowIfCancellationRequested(); // the synchronous read below does not watch the token itself
                return Cells(d, ++written, now);
            }
            if (format == "csv")
            {
                await using (var csv = new StreamWriter(file, new UTF8Encoding(encoderShouldEmitUTF8Identifier: true), 64 * 1024, leaveOpen: true))
                {
                    // The BOM (from the encoding) makes Excel read the Chinese as UTF-8.
                    await csv.WriteAsync(CsvLine(Header));
                    await foreach (var d in connection.QueryUnbufferedAsync<ExportRow>(sql, p).WithCancellation(ct))
                    {
                        await csv.WriteAsync(CsvLine(Row(d)));
                    }
                }
            }
            else
            {
                var branchNames = (await connection.QueryAsync<string>(new CommandDefinition(
                    "SELECT name FROM party_branches WHERE id IN @ids ORDER BY id", new { ids = user.BranchIds }, cancellationToken: ct))).ToList();
                // The Open XML SDK's writer pulls the rows synchronously, so they are read with Dapper's synchronous,
                // unbuffered query: one row in memory at a time, this request's thread busy for the export's seconds.
                var sheet = new SheetSpec("企业诉求问题清单", "生态润百企 企业诉求问题清单",
                    [$"填报单位：{string.Join("、", branchNames)}", $"填报日期：{today.Year}年{today.Month}月{today.Day}日"], Header, Widths,
                    connection.Query<ExportRow>(sql, p, buffered: false).Select(Row));
                Spreadsheet.Write(file, [sheet]);
            }
            file.Position = 0;
            await Audit.AuditTrail.RecordAsync(connection, null, Audit.AuditEvent.By(user, Audit.AuditKinds.Export, "demand_list", null,
                new { format, status, category, rows = written }), now, ct);
            return format == "csv"
                ? Results.File(file, "text/csv; charset=utf-8", $"demands-{stamp}.csv")
                : Results.File(file, Spreadsheet.ContentType, $"demands-{stamp}.xlsx");
        }
        catch
        {
            await file.DisposeAsync();
            throw;
        }
    }

    private static IReadOnlyList<string?> Cells(ExportRow d, int serial, DateTimeOffset now) =>
    [
        serial.ToString(System.Globalization.CultureInfo.InvariantCulture), d.Number, d.EnterpriseName, d.LiaisonName,
        DemandCategories.Names.GetValueOrDefault(d.Category, d.Category), DemandSources.Names.GetValueOrDefault(d.Source, d.Source),
        Calendar.WorkingCalendar.Today(d.SubmittedAt).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
        $"{d.Title}：{d.Description}", d.Objective,
        string.Join("\n", d.MeasureList.Select((m, n) => $"{n + 1}. {m}")), DemandListColumns.Acceptance(d), DemandListColumns.ResponsibleUnit(d),
        DemandListColumns.ResponsiblePerson(d), d.Due?.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
        StatusText(d, now), ResultText(d),
    ];

    private static string StatusText(DemandRow d, DateTimeOffset now) => (d.Status, d.IsOverdue(now)) switch
    {
        (DemandStatus.Accepted, true) => "办理中（已逾期）",
        (DemandStatus.PendingReview, _) => "待审核",
        (DemandStatus.Submitted, _) => "待受理",
        (DemandStatus.Accepted, _) => d.ReopenCount > 0 ? "重办中" : "办理中",
        (DemandStatus.Resolved, _) => "待企业确认",
        (DemandStatus.Closed, _) => "已办结",
        (DemandStatus.Returned, _) => "已退回",
        (DemandStatus.Withdrawn, _) => "已撤回",
        _ => d.Status,
    };

    private static string? ResultText(DemandRow d) => d.Status switch
    {
        DemandStatus.Closed => $"{d.Resolution}（企业满意度 {d.Satisfaction} 分）",
        DemandStatus.Resolved => d.Resolution,
        DemandStatus.Returned or DemandStatus.Withdrawn => d.ClosingReason,
        _ => null,
    };

    // Quote every cell, and defuse leading = + - @ so a spreadsheet never runs a cell as a formula.
    private static string CsvLine(IReadOnlyList<string?> cells) => string.Join(',', cells.Select(Csv)) + "\r\n";

    private static string Csv(string? value)
    {
        var text = value ?? "";
        if (text.Length > 0 && text[0] is '=' or '+' or '-' or '@')
        {
            text = "'" + text;
        }
        return $"\"{text.Replace("\"", "\"\"")}\"";
    }
}
