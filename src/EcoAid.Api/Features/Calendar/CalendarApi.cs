using System.Data.Common;
using Dapper;
using EcoAid.Api.Infrastructure;
using EcoAid.Api.Infrastructure.Auth;
using EcoAid.Api.Infrastructure.Http;
using EcoAid.Api.Infrastructure.Validation;
using Microsoft.AspNetCore.Http.HttpResults;
using MySqlConnector;

namespace EcoAid.Api.Features.Calendar;

/// <summary>
/// The holiday and make-up-workday table deadlines are counted against. It is national, shared by every branch, so only
/// city administrators change it.
/// </summary>
public static class CalendarApi
{
    internal static IEndpointRouteBuilder MapCalendarEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/calendar").WithTags("Calendar").AddEndpointFilter<ValidationFilter>();
        group.MapGet("/", ListCalendarDays).RequireAuthorization(Policies.User).WithName(nameof(ListCalendarDays))
            .WithSummary("节假日与调休表").WithDescription("列出某年的法定节假日（工作日放假）和调休上班日（周末上班）。其余日子周一至周五为工作日。");
        group.MapPut("/{day}", SetCalendarDay).RequireAuthorization(Policies.CityAdmin).WithName(nameof(SetCalendarDay)).WithSummary("设置某天为节假日或调休上班日");
        group.MapPost("/import", ImportCalendarYear).RequireAuthorization(Policies.CityAdmin).WithName(nameof(ImportCalendarYear))
            .WithSummary("导入一年的节假日安排").WithDescription("按国务院办公厅当年的通知整年导入：apply=false（默认）只预览与现有数据的差异，apply=true 以导入内容替换该年全部安排并记录通知出处。");
        group.MapPost("/import/xlsx", ImportCalendarWorkbook).Produces<CalendarImportResult>(200).Answers(422).RequireAuthorization(Policies.CityAdmin).DisableAntiforgery().WithName(nameof(ImportCalendarWorkbook))
            .WithSummary("用 xlsx 导入一年的节假日安排").WithDescription(
                "multipart/form-data：file（xlsx，第一行表头“日期、类型、名称”，类型填“放假”或“调休上班”），year、noticeTitle、documentNo（可选）、publishedOn、apply。" +
                "与 JSON 导入相同：apply=false（默认）只预览差异，apply=true 替换该年全部安排。");
        // No Accepts<IFormFile>() here: routing would answer 415 to a wrong content type before authorization answers 403.
        group.MapDelete("/{day}", DeleteCalendarDay).Produces(204).RequireAuthorization(Policies.CityAdmin).WithName(nameof(DeleteCalendarDay)).WithSummary("恢复某天的默认安排");
        return routes;
    }

    public sealed record CalendarDayRequest(string Kind, string Name) : IValidatable
    {
        public void Validate(ValidationErrors errors)
        {
            errors.OneOf("kind", Kind, ["holiday", "workday"]);
            errors.Required("name", Name, 50);
        }
    }

    public sealed record CalendarDayResponse(DateOnly Day, string Kind, string Name);

    /// <summary>One year's schedule as the State Council's notice gives it: every holiday day and every make-up workday.</summary>
    public sealed record CalendarImportRequest(int Year, string NoticeTitle, string? DocumentNo, DateOnly? PublishedOn, CalendarImportDay[] Days, bool? Apply)
        : IValidatable
    {
        public void Validate(ValidationErrors errors)
        {
            if (Year is < 2000 or > 2100)
            {
                errors.Add("year", "年份须在 2000 到 2100 之间。");
            }
            errors.Required("noticeTitle", NoticeTitle, 100);
            errors.MaxLength("documentNo", DocumentNo, 50);
            if (PublishedOn is null)
            {
                errors.Add("publishedOn", "请填写通知的发布日期。");
            }
            if (Days is null || Days.Length == 0)
            {
                errors.Add("days", "请至少给出一天。");
                return;
            }
            if (Days.Length > 366)
            {
                errors.Add("days", "一年最多 366 天。");
            }
            for (var i = 0; i < Days.Length; i++)
            {
                var d = Days[i];
                if (d.Day.Year != Year)
                {
                    errors.Add($"days[{i}].day", $"{d.Day:yyyy-MM-dd} 不在 {Year} 年。");
                }
                if (d.Kind is not ("holiday" or "workday"))
                {
                    errors.Add($"days[{i}].kind", "类型须为 holiday（放假）或 workday（调休上班）。");
                }
                else if (d.Kind == "workday" && d.Day.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday))
                {
                    errors.Add($"days[{i}].kind", $"{d.Day:yyyy-MM-dd} 不是周末，不能设为调休上班日。");
                }
                errors.Required($"days[{i}].name", d.Name, 50);
            }
            if (Days.GroupBy(d => d.Day).FirstOrDefault(g => g.Count() > 1) is { } twice)
            {
                errors.Add("days", $"{twice.Key:yyyy-MM-dd} 出现了不止一次。");
            }
        }
    }

    public sealed record CalendarImportDay(DateOnly Day, string Kind, string Name);

    /// <summary>What an import changes (or changed): days added, days whose kind or name changes, days removed.</summary>
    public sealed record CalendarImportResult(int Year, bool Applied, IReadOnlyList<CalendarDayResponse> Added, IReadOnlyList<CalendarDayResponse> Changed,
        IReadOnlyList<CalendarDayResponse> Removed, int Unchanged);

    static Task<Ok<CalendarImportResult>> ImportCalendarYear(CalendarImportRequest request, MySqlDataSource db, TimeProvider clock, CancellationToken ct) =>
        ImportAsync(request, db, clock, ct);

    /// <summary>The largest workbook accepted: a year's schedule is a few dozen rows.</summary>
    public const long MaxWorkbookBytes = 1024 * 1024;

    private static readonly Supervision.SupervisionOptions WorkbookLimits = new() { MaxUploadBytes = MaxWorkbookBytes, MaxUnpackedBytes = 10 * 1024 * 1024, MaxRows = 366 };

    /// <summary>The same import from a workbook: one row a day (日期, 类型, 名称), checked like the JSON body, then preview or apply.</summary>
    static async Task<IResult> ImportCalendarWorkbook(HttpRequest request, MySqlDataSource db, TimeProvider clock, CancellationToken ct)
    {
        if (!request.HasFormContentType)
        {
            return Problems.Create(StatusCodes.Status415UnsupportedMediaType, "request.unsupported_media_type", "不支持的内容类型",
                "请以 multipart/form-data 上传，文件字段名为 file。");
        }
        if (request.ContentLength > MaxWorkbookBytes + 64 * 1024)
        {
            return WorkbookTooLarge();
        }
        IFormCollection form;
        try
        {
            form = await request.ReadFormAsync(new Microsoft.AspNetCore.Http.Features.FormOptions { MultipartBodyLengthLimit = MaxWorkbookBytes + 64 * 1024 }, ct);
        }
        catch (InvalidDataException e) when (e.Message.Contains("limit", StringComparison.OrdinalIgnoreCase))
        {
            return WorkbookTooLarge();
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            return Problems.BadRequest("request.invalid", "上传的内容不完整或格式不正确，请重新上传。");
        }
        var errors = new ValidationErrors();
        string? Field(string name) => form.TryGetValue(name, out var v) && v.Count > 0 && !string.IsNullOrWhiteSpace(v[0]) ? v[0]!.Trim() : null;
        if (!int.TryParse(Field("year"), out var year))
        {
            errors.Add("year", "请填写年份，如 2027。");
        }
        DateOnly? publishedOn = null;
        if (Field("publishedOn") is { } published)
        {
            if (DateOnly.TryParseExact(published, "yyyy-MM-dd", out var p))
            {
                publishedOn = p;
            }
            else
            {
                errors.Add("publishedOn", "日期格式应为 yyyy-MM-dd。");
            }
        }
        var apply = Field("apply") is { } a && (a.Equals("true", StringComparison.OrdinalIgnoreCase) || a == "1");
        var file = form.Files.GetFile("file");
        if (file is null || file.Length == 0)
        {
            errors.Add("file", "请选择要导入的 xlsx 文件。");
        }
        else if (file.Length > MaxWorkbookBytes)
        {
            return WorkbookTooLarge();
        }
        if (!errors.IsEmpty)
        {
            return Problems.Validation(errors.ToDictionary());
        }
        byte[] bytes;
        await using (var stream = file!.OpenReadStream())
        {
            using var buffer = new MemoryStream();
            await stream.CopyToAsync(buffer, ct);
            bytes = buffer.ToArray();
        }
        var (table, refusal) = Supervision.ListFile.Read(bytes, WorkbookLimits);
        if (refusal is not null)
        {
            // The workbook checks are the supervision list's; the codes speak of the calendar.
            var code = refusal.Code.Replace("supervision.", "calendar.", StringComparison.Ordinal);
            var detail = code switch
            {
                "calendar.too_many_rows" => "一年最多 366 天，每天一行。",
                "calendar.empty" => "工作表第一行应为表头（日期、类型、名称），其下每行一天。",
                _ => refusal.Detail,
            };
            return Problems.Create(StatusCodes.Status422UnprocessableEntity, code, refusal.Title, detail);
        }
        var days = ReadDays(table!, errors);
        if (!errors.IsEmpty)
        {
            return Problems.Validation(errors.ToDictionary());
        }
        var import = new CalendarImportRequest(year, Field("noticeTitle") ?? "", Field("documentNo"), publishedOn, days, apply);
        import.Validate(errors);
        if (!errors.IsEmpty)
        {
            return Problems.Validation(errors.ToDictionary());
        }
        return await ImportAsync(import, db, clock, ct);
    }

    private static IResult WorkbookTooLarge() =>
        Problems.Create(StatusCodes.Status413PayloadTooLarge, "calendar.file_too_large", "文件过大", $"节假日安排文件不能超过 {MaxWorkbookBytes / 1024} KB。");

    /// <summary>The rows as days; a row that cannot be read is named by its row number in the sheet (the header is row 1).</summary>
    private static CalendarImportDay[] ReadDays(Supervision.ListTable table, ValidationErrors errors)
    {
        int Column(params string[] names) => table.Headers.ToList().FindIndex(h => names.Contains(h, StringComparer.OrdinalIgnoreCase));
        var (dayAt, kindAt, nameAt) = (Column("日期", "day"), Column("类型", "kind"), Column("名称", "name"));
        if (dayAt < 0 || kindAt < 0 || nameAt < 0)
        {
            errors.Add("file", "第一行应为表头：日期、类型、名称。");
            return [];
        }
        var days = new List<CalendarImportDay>();
        for (var i = 0; i < table.Rows.Count; i++)
        {
            var row = table.Rows[i];
            string Cell(int at) => at < row.Count ? row[at] : "";
            if (row.All(string.IsNullOrWhiteSpace))
            {
                continue;
            }
            var line = i + 2;
            if (!DateOnly.TryParseExact(Cell(dayAt), "yyyy-MM-dd", out var day))
            {
                errors.Add($"rows[{line}].日期", $"第 {line} 行：日期“{Cell(dayAt)}”应为 yyyy-MM-dd 或 Excel 日期。");
                continue;
            }
            var kind = Cell(kindAt) switch
            {
                "放假" or "holiday" => "holiday",
                "调休上班" or "上班" or "workday" => "workday",
                _ => null,
            };
            if (kind is null)
            {
                errors.Add($"rows[{line}].类型", $"第 {line} 行：类型应为“放假”或“调休上班”。");
                continue;
            }
            days.Add(new CalendarImportDay(day, kind, Cell(nameAt)));
        }
        if (days.Count == 0 && errors.IsEmpty)
        {
            errors.Add("file", "表头下面没有任何一天。");
        }
        return [.. days];
    }

    private static async Task<Ok<CalendarImportResult>> ImportAsync(CalendarImportRequest request, MySqlDataSource db, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var from = new DateTime(request.Year, 1, 1);
        var to = new DateTime(request.Year, 12, 31);
        var existing = (await connection.QueryAsync<(DateTime Day, string Kind, string Name)>(new CommandDefinition(
            "SELECT day, kind, name FROM calendar_days WHERE day BETWEEN @from AND @to FOR UPDATE", new { from, to }, tx, cancellationToken: ct)))
            .ToDictionary(r => DateOnly.FromDateTime(r.Day), r => new CalendarDayResponse(DateOnly.FromDateTime(r.Day), r.Kind, r.Name));
        var incoming = request.Days.Select(d => new CalendarDayResponse(d.Day, d.Kind, d.Name.Trim())).OrderBy(d => d.Day).ToList();
        var added = incoming.Where(d => !existing.ContainsKey(d.Day)).ToList();
        var changed = incoming.Where(d => existing.TryGetValue(d.Day, out var old) && old != d).ToList();
        var removed = existing.Values.Where(d => incoming.All(i => i.Day != d.Day)).OrderBy(d => d.Day).ToList();
        var apply = request.Apply == true;
        if (apply)
        {
            await connection.ExecuteAsync(new CommandDefinition("DELETE FROM calendar_days WHERE day BETWEEN @from AND @to", new { from, to }, tx, cancellationToken: ct));
            await connection.ExecuteAsync(new CommandDefinition("INSERT INTO calendar_days (day, kind, name, updated_at) VALUES (@day, @Kind, @Name, @now)",
                incoming.Select(d => new { day = d.Day.ToDateTime(TimeOnly.MinValue), d.Kind, d.Name, now }), tx, cancellationToken: ct));
            await connection.ExecuteAsync(new CommandDefinition("""
                INSERT INTO calendar_notices (year, title, document_no, published_on, imported_at) VALUES (@Year, @title, @DocumentNo, @published, @now)
                ON DUPLICATE KEY UPDATE title = VALUES(title), document_no = VALUES(document_no), published_on = VALUES(published_on), imported_at = VALUES(imported_at)
                """, new { request.Year, title = request.NoticeTitle.Trim(), request.DocumentNo, published = request.PublishedOn!.Value.ToDateTime(TimeOnly.MinValue), now },
                tx, cancellationToken: ct));
        }
        await tx.CommitAsync(ct);
        return TypedResults.Ok(new CalendarImportResult(request.Year, apply, added, changed, removed, incoming.Count - added.Count - changed.Count));
    }

    static async Task<Results<Ok<IReadOnlyList<CalendarDayResponse>>, ValidationProblem>> ListCalendarDays(int? year, MySqlDataSource db, TimeProvider clock, CancellationToken ct)
    {
        var y = year ?? WorkingCalendar.Today(clock.GetUtcNow()).Year;
        if (y is < 2000 or > 2100)
        {
            return Problems.Validation("year", "年份须在 2000 到 2100 之间。");
        }
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<(DateTime Day, string Kind, string Name)>(new CommandDefinition(
            "SELECT day, kind, name FROM calendar_days WHERE day BETWEEN @from AND @to ORDER BY day",
            new { from = new DateTime(y, 1, 1), to = new DateTime(y, 12, 31) }, cancellationToken: ct));
        return TypedResults.Ok<IReadOnlyList<CalendarDayResponse>>(rows.Select(r => new CalendarDayResponse(DateOnly.FromDateTime(r.Day), r.Kind, r.Name)).ToList());
    }

    static async Task<Results<Ok<CalendarDayResponse>, ValidationProblem>> SetCalendarDay(string day, CalendarDayRequest request, MySqlDataSource db, TimeProvider clock, CancellationToken ct)
    {
        if (!DateOnly.TryParseExact(day, "yyyy-MM-dd", out var date))
        {
            return Problems.Validation("day", "日期格式应为 yyyy-MM-dd。");
        }
        var weekend = date.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday;
        if (request.Kind == "workday" && !weekend)
        {
            return Problems.Validation("kind", "调休上班日只能设在周末。");
        }
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO calendar_days (day, kind, name, updated_at) VALUES (@day, @Kind, @Name, @now)
            ON DUPLICATE KEY UPDATE kind = VALUES(kind), name = VALUES(name), updated_at = VALUES(updated_at)
            """, new { day = date.ToDateTime(TimeOnly.MinValue), request.Kind, Name = request.Name.Trim(), now = clock.GetUtcNow().UtcDateTime }, cancellationToken: ct));
        return TypedResults.Ok(new CalendarDayResponse(date, request.Kind, request.Name.Trim()));
    }

    static async Task<Results<NoContent, ValidationProblem>> DeleteCalendarDay(string day, MySqlDataSource db, CancellationToken ct)
    {
        if (!DateOnly.TryParseExact(day, "yyyy-MM-dd", out var date))
        {
            return Problems.Validation("day", "日期格式应为 yyyy-MM-dd。");
        }
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM calendar_days WHERE day = @day",
            new { day = date.ToDateTime(TimeOnly.MinValue) }, cancellationToken: ct));
        return TypedResults.NoContent();
    }

    /// <summary>The calendar with the exceptions of the given window (a year either side of today covers every deadline we count).</summary>
    public static async Task<WorkingCalendar> LoadAsync(DbConnection connection, DbTransaction? tx, DateOnly around, CancellationToken ct)
    {
        var rows = await connection.QueryAsync<(DateTime Day, string Kind)>(new CommandDefinition(
            "SELECT day, kind FROM calendar_days WHERE day BETWEEN @from AND @to",
            new { from = around.AddYears(-1).ToDateTime(TimeOnly.MinValue), to = around.AddYears(2).ToDateTime(TimeOnly.MinValue) }, tx, cancellationToken: ct));
        return new WorkingCalendar(rows.ToDictionary(r => DateOnly.FromDateTime(r.Day), r => r.Kind == "workday" ? DayKind.Workday : DayKind.Holiday));
    }
}
