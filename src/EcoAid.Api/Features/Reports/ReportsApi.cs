using EcoAid.Api.Features.Organisation;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Dapper;
using EcoAid.Api.Features.Audit;
using EcoAid.Api.Features.Calendar;
using EcoAid.Api.Features.Demands;
using EcoAid.Api.Features.Stats;
using EcoAid.Api.Infrastructure;
using EcoAid.Api.Infrastructure.Auth;
using EcoAid.Api.Infrastructure.Export;
using EcoAid.Api.Infrastructure.Http;
using EcoAid.Api.Infrastructure.Validation;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using MySqlConnector;

namespace EcoAid.Api.Features.Reports;

public sealed record IssueReportRequest(string Month, long? BranchId) : IValidatable
{
    public void Validate(ValidationErrors errors)
    {
        if (!Periods.TryParseMonth(Month, out _))
        {
            errors.Add("month", "月份格式应为 yyyy-MM。");
        }
    }
}

public sealed record TypicalCaseRequest(string Problem, string Measures, string Outcome) : IValidatable
{
    public void Validate(ValidationErrors errors)
    {
        errors.Required("problem", Problem, 1000);
        errors.Required("measures", Measures, 1000);
        errors.Required("outcome", Outcome, 1000);
    }
}

public sealed record ReportFileInfo(string Format, string FileName, string Sha256, long SizeBytes, string Url);

public sealed record ReportIssuer(long UserId, string Name);

public sealed record ReportSummary(long Id, string Scope, long? BranchId, string ScopeName, string Month, DateTimeOffset AsOf, DateOnly AsOfDate,
    DateTimeOffset IssuedAt, ReportIssuer IssuedBy, IReadOnlyList<ReportFileInfo> Files);

public sealed record ReportDetail(long Id, string Scope, long? BranchId, string ScopeName, string Month, DateTimeOffset AsOf, DateOnly AsOfDate,
    DateTimeOffset IssuedAt, ReportIssuer IssuedBy, IReadOnlyList<ReportFileInfo> Files, ReportFigures Figures);

public sealed record TypicalCaseResponse(long DemandId, string Problem, string Measures, string Outcome, DateTimeOffset MarkedAt);

/// <summary>One row of the city's table of branches, with the month's figures side by side.</summary>
public sealed record BranchTable(string Month, DateOnly AsOfDate, string Sort, string Order, IReadOnlyList<ScopeFigures> Branches);

public static class ReportPolicies
{
    /// <summary>Who issues reports: the branch secretary (their branch) and city administrators (the city, or one of its branches).</summary>
    public const string Issuer = "report-issuer";

    /// <summary>The city's table of branches: city viewers and administrators.</summary>
    public const string City = "report-city";
}

/// <summary>
/// Monthly reports computed as of a moment, issued (stored with their files) and downloaded byte-identical; the charts;
/// the city's table of branches; typical cases.
/// </summary>
public static class ReportsApi
{
    internal static IServiceCollection AddReportPolicies(this IServiceCollection services)
    {
        services.AddAuthorizationBuilder()
            .AddPolicy(ReportPolicies.Issuer, p => p.RequireRole(Roles.Secretary, Roles.CityAdmin))
            .AddPolicy(ReportPolicies.City, p => p.RequireRole(Roles.CityViewer, Roles.CityAdmin));
        return services;
    }

    internal static IEndpointRouteBuilder MapReportEndpoints(this IEndpointRouteBuilder routes)
    {
        var stats = routes.MapGroup("/api/stats").WithTags("Statistics").AddEndpointFilter<ValidationFilter>();
        stats.MapGet("/monthly-report", ExportMonthlyReport).Produces<ReportFigures>(200).ProducesFile(Infrastructure.Export.Spreadsheet.ContentType, Infrastructure.Export.WordDocument.ContentType).RequireAuthorization(StatsPolicies.Reader).WithName(nameof(ExportMonthlyReport))
            .WithSummary("生成月报（不留存）").WithDescription("month=yyyy-MM（默认本月），format=xlsx（默认）、docx（工作信息）或 json（数据）。按月末（北京时间）时点的办理记录推算；" +
                "本月按生成时点，标“截至今天”。市局不带 branchId 时为全市汇总，含各支部对比表。要留存并上报请用 POST /api/reports。");
        stats.MapGet("/charts/{kind}", GetChart).ProducesFile("image/png").RequireAuthorization(StatsPolicies.Reader).WithName(nameof(GetChart))
            .WithSummary("统计图（PNG）").WithDescription("kind：categories（诉求分类）、months（近十二个月收集与办结）、rates（本月各项比率）。month、branchId 同月报。" +
                "服务器未安装中文字体时 503 report.chart_font_missing。");
        stats.MapGet("/branches", GetBranchTable).RequireAuthorization(ReportPolicies.City).WithName(nameof(GetBranchTable))
            .WithSummary("各支部对比表").WithDescription("市局查看、管理员：本市每个支部的当月数据并列，可排序。sort：name、collected、newThisMonth、closed、overdue、" +
                "response、onTime、resolution、satisfaction（默认 collected）；order：desc（默认）或 asc。比率按值排序，无数据的排最后。");

        var reports = routes.MapGroup("/api/reports").WithTags("Reports").AddEndpointFilter<ValidationFilter>();
        reports.MapPost("/", IssueReport).Produces<ReportDetail>(201).WithIdempotency().RequireAuthorization(ReportPolicies.Issuer).WithName(nameof(IssueReport))
            .WithSummary("签发月报").WithDescription("支部书记签发本支部某月月报；市局管理员不带 branchId 签发全市月报，带 branchId 签发该支部月报。按该月月末（本月为此刻）时点计算，" +
                "留存数据、xlsx 与 docx 文件及其 SHA-256、签发人和时间；以后下载与签发时逐字节相同。同一月份可再次签发，各自留存。支持 Idempotency-Key。");
        reports.MapGet("/", ListReports).RequireAuthorization(StatsPolicies.Reader).WithName(nameof(ListReports))
            .WithSummary("已签发的月报").WithDescription("范围内已签发的月报，新的在前；可按 month、branchId 筛选，分页。");
        reports.MapGet("/{id:long}", GetReport).RequireAuthorization(StatsPolicies.Reader).WithName(nameof(GetReport))
            .WithSummary("月报详情").WithDescription("签发时留存的数据（figures）与文件列表。范围外 404。");
        reports.MapGet("/{id:long}/files/{format}", DownloadReportFile).ProducesFile(Infrastructure.Export.Spreadsheet.ContentType, Infrastructure.Export.WordDocument.ContentType).RequireAuthorization(StatsPolicies.Reader).WithName(nameof(DownloadReportFile))
            .WithSummary("下载月报文件").WithDescription("format：xlsx 或 docx。与签发时逐字节相同；ETag 为文件的 SHA-256。");

        var cases = routes.MapGroup("/api/demands/{id:long}/typical-case").WithTags("Reports").AddEndpointFilter<ValidationFilter>();
        cases.MapPut("/", MarkTypicalCase).RequireAuthorization(ReportPolicies.Issuer).WithName(nameof(MarkTypicalCase))
            .WithSummary("标为典型案例").WithDescription("支部书记把本支部的诉求标为典型案例并写明问题、举措、成效（各不超过 1000 字）；再次提交即修改。当月签发的月报收录当月标记的案例。");
        cases.MapDelete("/", UnmarkTypicalCase).Produces(204).RequireAuthorization(ReportPolicies.Issuer).WithName(nameof(UnmarkTypicalCase))
            .WithSummary("取消典型案例");
        return routes;
    }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The month asked for (default: this month), refused when it has not begun.</summary>
    private static ValidationProblem? ParseMonth(string? text, DateTimeOffset now, out DateOnly month)
    {
        var thisMonth = Periods.MonthOf(WorkingCalendar.Today(now));
        month = thisMonth;
        if (text is not null && !Periods.TryParseMonth(text, out month))
        {
            return Problems.Validation("month", "月份格式应为 yyyy-MM。");
        }
        return month > thisMonth ? Problems.Validation("month", "不能统计尚未开始的月份。") : null;
    }

    /// <summary>A report's scope: one branch, or (city users without branchId) every branch of their city.</summary>
    private static async Task<(string Scope, string Name, List<(long Id, string Name)> Branches, IResult? Problem)> ScopeAsync(MySqlConnection connection,
        CurrentUser user, long? branchId, CancellationToken ct)
    {
        var (branches, problem) = await StatsApi.ScopeAsync(connection, user, branchId, ct);
        if (problem is not null)
        {
            return ("", "", [], problem);
        }
        if (branches.Count == 1 && (branchId is not null || !user.IsAnyOf(Roles.CityViewer, Roles.CityAdmin)))
        {
            return ("branch", branches[0].Name, branches, null);
        }
        var city = await connection.ExecuteScalarAsync<string?>(new CommandDefinition("SELECT name FROM cities WHERE id = @CityId", new { user.CityId }, cancellationToken: ct));
        return ("city", city ?? "全市", branches, null);
    }

    private static string FileName(ReportFigures f, string format) => $"monthly-report-{f.Month}{(f.Scope == "city" ? "-city" : "")}.{format}";

    private static List<ChartImage> Charts(ReportFigures f, ChartFont font) => [.. ReportCharts.Kinds.Select(k => ReportCharts.Render(k, f, font))];

    private static ProblemHttpResult FontMissing(ChartFontMissingException e) =>
        Problems.Create(StatusCodes.Status503ServiceUnavailable, "report.chart_font_missing", "暂时无法生成统计图", e.Message);

    /// <summary>Reports:LiveFigures computes every month from the timeline at once, the list as it was before it was streamed (the tests' oracle).</summary>
    private static bool Live(IConfiguration configuration) => configuration.GetValue<bool>("Reports:LiveFigures");

    static async Task<IResult> ExportMonthlyReport(CurrentUser user, MySqlDataSource db, TimeProvider clock, IOptions<StatsOptions> options, ChartFont font,
        IConfiguration configuration, string? month, string? format, long? branchId, CancellationToken ct)
    {
        format ??= "xlsx";
        if (format is not ("xlsx" or "docx" or "json"))
        {
            return Problems.Validation("format", "format 只支持 xlsx、docx 或 json。");
        }
        var now = clock.GetUtcNow();
        if (ParseMonth(month, now, out var first) is { } bad)
        {
            return bad;
        }
        var live = Live(configuration);
        await using var connection = await db.OpenConnectionAsync(ct);
        var (scope, name, branches, problem) = await ScopeAsync(connection, user, branchId, ct);
        if (problem is not null)
        {
            return problem;
        }
        var computed = await ReportFigureSource.ComputeAsync(connection, scope, name, branches, first, now, options.Value.ResponseLimitHours, ct, live);
        var figures = computed.Figures;
        // Downloads of the report's data are audited like exports, in the branch they describe (the city's for a roll-up).
        var audited = AuditEvent.By(user, AuditKinds.ReportDownloaded, "monthly_report", null,
            new { month = figures.Month, format, scope, branchId = scope == "branch" ? branches[0].Id : (long?)null });
        if (scope == "branch")
        {
            audited = audited with { BranchId = branches[0].Id };
        }
        if (format == "json")
        {
            await AuditTrail.RecordAsync(connection, null, audited, now, ct);
            return TypedResults.Ok(figures);
        }
        if (format == "xlsx")
        {
            // Written row by row into a file that deletes itself once sent: the workbook is not held in memory (the list is
            // at most 2 × ReportFiles.ListPerPart rows).
            var file = TemporaryFile.Create("ecoaid-report", "xlsx");
            try
            {
                await WorkbookAsync(file, connection, computed, branches, live, ct);
                file.Position = 0;
                await AuditTrail.RecordAsync(connection, null, audited, now, ct);
                return Results.File(file, Spreadsheet.ContentType, FileName(figures, format));
            }
            catch
            {
                await file.DisposeAsync();
                throw;
            }
        }
        try
        {
            var bytes = ReportFiles.Document(figures, Charts(figures, font), figures.Scope == "city");
            await AuditTrail.RecordAsync(connection, null, audited, now, ct);
            return Results.File(bytes, WordDocument.ContentType, FileName(figures, format));
        }
        catch (ChartFontMissingException e)
        {
            return FontMissing(e);
        }
    }

    private static async Task WorkbookAsync(Stream output, MySqlConnection connection, ComputedReport computed, List<(long Id, string Name)> branches,
        bool live, CancellationToken ct)
    {
        var f = computed.Figures;
        List<long> ids = [.. branches.Select(b => b.Id)];
        var list = live ? await ReportFiles.LegacyListAsync(connection, ids, f, ct) : await ReportFiles.ListRowsAsync(connection, ids, f, ct);
        ReportFiles.Workbook(output, f, computed.ByCategoryStatus, computed.ClosedEarlier, list, f.Scope == "city");
    }

    private static async Task<(byte[] Bytes, string ContentType)> FileAsync(MySqlConnection connection, ComputedReport computed,
        List<(long Id, string Name)> branches, string format, ChartFont font, bool live, CancellationToken ct)
    {
        var f = computed.Figures;
        if (format == "docx")
        {
            return (ReportFiles.Document(f, Charts(f, font), f.Scope == "city"), WordDocument.ContentType);
        }
        using var buffer = new MemoryStream();
        await WorkbookAsync(buffer, connection, computed, branches, live, ct);
        return (buffer.ToArray(), Spreadsheet.ContentType);
    }

    static async Task<IResult> GetChart(string kind, CurrentUser user, MySqlDataSource db, TimeProvider clock, IOptions<StatsOptions> options, ChartFont font,
        string? month, long? branchId, CancellationToken ct)
    {
        if (!ReportCharts.Kinds.Contains(kind))
        {
            return Problems.NotFound("没有这种统计图。");
        }
        var now = clock.GetUtcNow();
        if (ParseMonth(month, now, out var first) is { } bad)
        {
            return bad;
        }
        await using var connection = await db.OpenConnectionAsync(ct);
        var (scope, name, branches, problem) = await ScopeAsync(connection, user, branchId, ct);
        if (problem is not null)
        {
            return problem;
        }
        var figures = (await ReportFigureSource.ComputeAsync(connection, scope, name, branches, first, now, options.Value.ResponseLimitHours, ct)).Figures;
        try
        {
            return Results.File(ReportCharts.Render(kind, figures, font).Png, "image/png");
        }
        catch (ChartFontMissingException e)
        {
            return FontMissing(e);
        }
    }

    static async Task<Results<Ok<BranchTable>, ValidationProblem>> GetBranchTable(CurrentUser user, MySqlDataSource db, TimeProvider clock,
        IOptions<StatsOptions> options, string? month, string? sort, string? order, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        if (ParseMonth(month, now, out var first) is { } bad)
        {
            return bad;
        }
        sort ??= "collected";
        order ??= "desc";
        Func<ScopeFigures, IComparable?>? key = sort switch
        {
            "name" => b => b.Name, "collected" => b => b.Collected, "newThisMonth" => b => b.NewThisMonth, "closed" => b => b.Closed,
            "overdue" => b => b.Overdue, "response" => b => b.Rates.Response.Value, "onTime" => b => b.Rates.OnTime.Value,
            "resolution" => b => b.Rates.Resolution.Value, "satisfaction" => b => b.Rates.Satisfaction.Value, _ => null,
        };
        if (key is null)
        {
            return Problems.Validation("sort", "取值必须是以下之一：name、collected、newThisMonth、closed、overdue、response、onTime、resolution、satisfaction。");
        }
        if (order is not ("asc" or "desc"))
        {
            return Problems.Validation("order", "取值必须是 asc 或 desc。");
        }
        await using var connection = await db.OpenConnectionAsync(ct);
        var (_, name, branches, _) = await ScopeAsync(connection, user, null, ct);
        var figures = (await ReportFigureSource.ComputeAsync(connection, "city", name, branches, first, now, options.Value.ResponseLimitHours, ct)).Figures;
        // Rates without data go last whichever way the table is sorted.
        var withValue = figures.Branches.Where(b => key(b) is not null);
        var sorted = (order == "asc" ? withValue.OrderBy(key) : withValue.OrderByDescending(key)).ThenBy(b => b.BranchId)
            .Concat(figures.Branches.Where(b => key(b) is null)).ToList();
        return TypedResults.Ok(new BranchTable(figures.Month, figures.AsOfDate, sort, order, sorted));
    }

    static async Task<IResult> IssueReport(IssueReportRequest request, CurrentUser user, MySqlDataSource db, TimeProvider clock, IOptions<StatsOptions> options,
        ChartFont font, IConfiguration configuration, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        if (ParseMonth(request.Month, now, out var first) is { } bad)
        {
            return bad;
        }
        if (request.BranchId is null && !user.IsInRole(Roles.CityAdmin) && user.BranchIds.Count != 1)
        {
            return Problems.Validation("branchId", "请指定支部。");
        }
        await using var connection = await db.OpenConnectionAsync(ct);
        var (scope, name, branches, problem) = await ScopeAsync(connection, user, request.BranchId, ct);
        if (problem is not null)
        {
            return problem;
        }
        if (scope == "city" && !user.IsInRole(Roles.CityAdmin))
        {
            return Problems.Create(StatusCodes.Status403Forbidden, "report.not_issuer", "无权签发", "全市月报由市局管理员签发。");
        }
        var live = Live(configuration);
        var computed = await ReportFigureSource.ComputeAsync(connection, scope, name, branches, first, now, options.Value.ResponseLimitHours, ct, live);
        var figures = computed.Figures;
        var branchId = scope == "branch" ? branches[0].Id : (long?)null;
        List<(string Format, string FileName, byte[] Bytes)> files;
        try
        {
            files = [];
            foreach (var format in new[] { "xlsx", "docx" })
            {
                var (bytes, _) = await FileAsync(connection, computed, branches, format, font, live, ct);
                files.Add((format, FileName(figures, format), bytes));
            }
        }
        catch (ChartFontMissingException e)
        {
            return FontMissing(e);
        }

        await using var tx = await connection.BeginTransactionAsync(ct);
        var cityId = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT city_id FROM party_branches WHERE id = @id", new { id = branches[0].Id }, tx, cancellationToken: ct));
        var id = await connection.ExecuteScalarAsync<long>(new CommandDefinition("""
            INSERT INTO reports (scope, city_id, branch_id, month, as_of, figures, issued_by, issued_at)
            VALUES (@scope, @cityId, @branchId, @first, @asOf, @figures, @userId, @now); SELECT LAST_INSERT_ID();
            """, new
        {
            scope, cityId, branchId, first = first.ToDateTime(TimeOnly.MinValue), asOf = figures.AsOf.UtcDateTime,
            figures = JsonSerializer.Serialize(figures, Json), userId = user.Id, now = now.UtcDateTime,
        }, tx, cancellationToken: ct));
        foreach (var file in files)
        {
            await connection.ExecuteAsync(new CommandDefinition("""
                INSERT INTO report_files (report_id, format, file_name, content, sha256, size_bytes) VALUES (@id, @Format, @FileName, @Bytes, @sha, @size)
                """, new { id, file.Format, file.FileName, file.Bytes, sha = SHA256.HashData(file.Bytes), size = file.Bytes.LongLength }, tx, cancellationToken: ct));
        }
        await AuditTrail.RecordAsync(connection, tx, AuditEvent.By(user, AuditKinds.ReportIssued, "report", id,
            new { month = figures.Month, scope, branchId }) with { BranchId = branchId }, now, ct);
        await tx.CommitAsync(ct);
        var detail = (await LoadAsync(connection, user, id, ct))!;
        return TypedResults.Created($"/api/reports/{id}", detail);
    }

    private sealed class ReportRow
    {
        public long Id { get; init; }
        public string Scope { get; init; } = "";
        public long CityId { get; init; }
        public long? BranchId { get; init; }
        public string? BranchName { get; init; }
        public string? CityName { get; init; }
        public DateTime Month { get; init; }
        public DateTimeOffset AsOf { get; init; }
        public string Figures { get; init; } = "";
        public long IssuedBy { get; init; }
        public string IssuerName { get; init; } = "";
        public DateTimeOffset IssuedAt { get; init; }
    }

    private const string SelectReports = $$"""
        SELECT r.id, r.scope, r.city_id, r.branch_id, b.name AS branch_name, c.name AS city_name, r.month, r.as_of, {0} AS figures, r.issued_by,
               {{PersonNames.Name}} AS issuer_name, r.issued_at
        FROM reports r JOIN cities c ON c.id = r.city_id LEFT JOIN party_branches b ON b.id = r.branch_id JOIN users u ON u.id = r.issued_by
        """;

    /// <summary>Branch reports of the branches the user reaches; city reports to city users of that city.</summary>
    private static string ReachClause(CurrentUser user) =>
        user.IsAnyOf(Roles.CityViewer, Roles.CityAdmin)
            ? "((r.scope = 'branch' AND r.branch_id IN @branchIds) OR (r.scope = 'city' AND r.city_id = @cityId))"
            : "(r.scope = 'branch' AND r.branch_id IN @branchIds)";

    private static async Task<List<ReportFileInfo>> FilesAsync(MySqlConnection connection, IReadOnlyList<long> ids, CancellationToken ct) =>
        (await connection.QueryAsync<(long ReportId, string Format, string FileName, byte[] Sha256, long SizeBytes)>(new CommandDefinition(
            "SELECT report_id, format, file_name, sha256, size_bytes FROM report_files WHERE report_id IN @ids ORDER BY report_id, format",
            new { ids }, cancellationToken: ct)))
        .Select(f => new ReportFileInfo(f.Format, f.FileName, Convert.ToHexStringLower(f.Sha256), f.SizeBytes, $"/api/reports/{f.ReportId}/files/{f.Format}"))
        .ToList();

    private static async Task<ReportDetail?> LoadAsync(MySqlConnection connection, CurrentUser user, long id, CancellationToken ct)
    {
        var row = await connection.QuerySingleOrDefaultAsync<ReportRow>(new CommandDefinition(
            string.Format(CultureInfo.InvariantCulture, SelectReports, "r.figures") + $" WHERE r.id = @id AND {ReachClause(user)}",
            new { id, branchIds = user.BranchIds, cityId = user.CityId }, cancellationToken: ct));
        if (row is null)
        {
            return null;
        }
        var files = (await connection.QueryAsync<(string Format, string FileName, byte[] Sha256, long SizeBytes)>(new CommandDefinition(
            "SELECT format, file_name, sha256, size_bytes FROM report_files WHERE report_id = @id ORDER BY format", new { id }, cancellationToken: ct)))
            .Select(f => new ReportFileInfo(f.Format, f.FileName, Convert.ToHexStringLower(f.Sha256), f.SizeBytes, $"/api/reports/{id}/files/{f.Format}")).ToList();
        var figures = JsonSerializer.Deserialize<ReportFigures>(row.Figures, Json)!;
        return new ReportDetail(row.Id, row.Scope, row.BranchId, figures.ScopeName, figures.Month, row.AsOf, figures.AsOfDate, row.IssuedAt,
            new ReportIssuer(row.IssuedBy, row.IssuerName), files, figures);
    }

    static async Task<Results<Ok<PagedList<ReportSummary>>, ValidationProblem, ProblemHttpResult>> ListReports(CurrentUser user, MySqlDataSource db,
        string? month, long? branchId, int? page, int? pageSize, CancellationToken ct)
    {
        if (!Paging.TryCreate(page, pageSize, out var paging, out var errors))
        {
            return Problems.Validation(errors);
        }
        var filters = new List<string> { ReachClause(user) };
        var p = new DynamicParameters(new { branchIds = user.BranchIds, cityId = user.CityId, paging.PageSize, paging.Offset });
        if (month is not null)
        {
            if (!Periods.TryParseMonth(month, out var first))
            {
                return Problems.Validation("month", "月份格式应为 yyyy-MM。");
            }
            filters.Add("r.month = @first");
            p.Add("first", first.ToDateTime(TimeOnly.MinValue));
        }
        if (branchId is not null)
        {
            if (!user.Reaches(branchId.Value))
            {
                return Problems.NotFound("指定的支部不存在或不在您的范围内。");
            }
            filters.Add("r.branch_id = @branchId");
            p.Add("branchId", branchId);
        }
        var where = " WHERE " + string.Join(" AND ", filters);
        await using var connection = await db.OpenConnectionAsync(ct);
        var total = await connection.ExecuteScalarAsync<long>(new CommandDefinition($"SELECT COUNT(*) FROM reports r{where}", p, cancellationToken: ct));
        var rows = (await connection.QueryAsync<ReportRow>(new CommandDefinition(
            string.Format(CultureInfo.InvariantCulture, SelectReports, "''") + where + " ORDER BY r.issued_at DESC, r.id DESC LIMIT @PageSize OFFSET @Offset",
            p, cancellationToken: ct))).ToList();
        var files = rows.Count == 0 ? [] : (await FilesAsync(connection, [.. rows.Select(r => r.Id)], ct));
        var items = rows.Select(r => new ReportSummary(r.Id, r.Scope, r.BranchId, r.Scope == "city" ? r.CityName ?? "" : r.BranchName ?? "",
            Periods.MonthText(DateOnly.FromDateTime(r.Month)), r.AsOf, AsOfDate(r), r.IssuedAt, new ReportIssuer(r.IssuedBy, r.IssuerName),
            files.Where(f => f.Url.StartsWith($"/api/reports/{r.Id}/", StringComparison.Ordinal)).ToList())).ToList();
        return TypedResults.Ok(new PagedList<ReportSummary>(items, total, paging.Page, paging.PageSize));
    }

    /// <summary>The day a reader sees: the month's last day when the moment is its end, else the moment's day.</summary>
    private static DateOnly AsOfDate(ReportRow r)
    {
        var month = DateOnly.FromDateTime(r.Month);
        return r.AsOf.UtcDateTime >= Periods.StartUtc(month.AddMonths(1)) ? Periods.LastDayOfMonth(month) : WorkingCalendar.Today(r.AsOf);
    }

    static async Task<Results<Ok<ReportDetail>, ProblemHttpResult>> GetReport(long id, CurrentUser user, MySqlDataSource db, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await LoadAsync(connection, user, id, ct) is { } detail ? TypedResults.Ok(detail) : Problems.NotFound();
    }

    static async Task<IResult> DownloadReportFile(long id, string format, CurrentUser user, MySqlDataSource db, TimeProvider clock, HttpContext http,
        CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var file = await connection.QuerySingleOrDefaultAsync<(string FileName, byte[] Content, byte[] Sha256, long? BranchId)>(new CommandDefinition($"""
            SELECT f.file_name, f.content, f.sha256, r.branch_id FROM report_files f JOIN reports r ON r.id = f.report_id
            WHERE f.report_id = @id AND f.format = @format AND {ReachClause(user)}
            """, new { id, format, branchIds = user.BranchIds, cityId = user.CityId }, cancellationToken: ct));
        if (file.Content is null)
        {
            return Problems.NotFound();
        }
        await AuditTrail.RecordAsync(connection, null, AuditEvent.By(user, AuditKinds.ReportDownloaded, "report", id,
            new { format, branchId = file.BranchId }) with { BranchId = file.BranchId }, clock.GetUtcNow(), ct);
        var type = format == "docx" ? WordDocument.ContentType : Spreadsheet.ContentType;
        return Results.File(file.Content, type, file.FileName, entityTag: new Microsoft.Net.Http.Headers.EntityTagHeaderValue($"\"{Convert.ToHexStringLower(file.Sha256)}\""));
    }

    static async Task<Results<Ok<TypicalCaseResponse>, ValidationProblem, ProblemHttpResult>> MarkTypicalCase(long id, TypicalCaseRequest request, CurrentUser user,
        MySqlDataSource db, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(ct);
        if (!await InBranchAsync(connection, user, id, ct))
        {
            return Problems.NotFound();
        }
        // Re-marking edits the narrative; the case stays in the month it was first marked in.
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO typical_cases (demand_id, problem, measures, outcome, marked_by, marked_at) VALUES (@id, @Problem, @Measures, @Outcome, @userId, @now)
            ON DUPLICATE KEY UPDATE problem = VALUES(problem), measures = VALUES(measures), outcome = VALUES(outcome)
            """, new { id, Problem = request.Problem.Trim(), Measures = request.Measures.Trim(), Outcome = request.Outcome.Trim(), userId = user.Id, now = now.UtcDateTime },
            cancellationToken: ct));
        var saved = await connection.QuerySingleAsync<(string Problem, string Measures, string Outcome, DateTimeOffset MarkedAt)>(new CommandDefinition(
            "SELECT problem, measures, outcome, marked_at FROM typical_cases WHERE demand_id = @id", new { id }, cancellationToken: ct));
        return TypedResults.Ok(new TypicalCaseResponse(id, saved.Problem, saved.Measures, saved.Outcome, saved.MarkedAt));
    }

    static async Task<Results<NoContent, ProblemHttpResult>> UnmarkTypicalCase(long id, CurrentUser user, MySqlDataSource db, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        if (!await InBranchAsync(connection, user, id, ct))
        {
            return Problems.NotFound();
        }
        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM typical_cases WHERE demand_id = @id", new { id }, cancellationToken: ct));
        return TypedResults.NoContent();
    }

    private static async Task<bool> InBranchAsync(MySqlConnection connection, CurrentUser user, long demandId, CancellationToken ct) =>
        await connection.ExecuteScalarAsync<long?>(new CommandDefinition("SELECT branch_id FROM demands WHERE id = @demandId", new { demandId }, cancellationToken: ct))
            is { } branch && user.Reaches(branch);
}
