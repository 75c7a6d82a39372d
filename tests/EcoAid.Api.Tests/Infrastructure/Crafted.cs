using Dapper;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;
using EcoAid.Api.Tests.Infrastructure;

namespace EcoAid.Api.Tests.Infrastructure;

/// <summary>
/// Rows at exact instants, written straight into the database (as <see cref="World"/> does) so that tests can put
/// things on either side of a boundary; everything is then read back through HTTP.
/// </summary>
public sealed class Crafted(EcoAidApp app)
{
    private long? userId;

    /// <summary>An instant given in Shanghai wall-clock time.</summary>
    public static DateTimeOffset Shanghai(int year, int month, int day, int hour = 0, int minute = 0, int second = 0) =>
        new(year, month, day, hour, minute, second, TimeSpan.FromHours(8));

    private async Task<long> UserAsync()
    {
        if (userId is { } id)
        {
            return id;
        }
        await using var db = await app.OpenDatabaseAsync();
        userId = await db.ExecuteScalarAsync<long>("INSERT INTO users (openid, display_name, created_at) VALUES (@openId, '造数用户', @now); SELECT LAST_INSERT_ID();",
            new { openId = World.Unique("crafted_"), now = app.Clock.GetUtcNow().UtcDateTime });
        return userId.Value;
    }

    public async Task<long> DemandAsync(long branchId, long enterpriseId, DateTimeOffset submittedAt, string status = "submitted",
        string category = "pollution_control", string source = "mini_program", DateTimeOffset? acceptedAt = null, DateOnly? due = null,
        long? ownerMemberId = null, long? departmentId = null, int reopenCount = 0, int? satisfaction = null, string title = "造数诉求")
    {
        var submitter = await UserAsync();
        await using var db = await app.OpenDatabaseAsync();
        return await db.ExecuteScalarAsync<long>("""
            INSERT INTO demands (branch_id, enterprise_id, number, category, source, title, description, status, content_check, owner_member_id,
                                 department_id, due_date, reopen_count, satisfaction, submitted_by, submitted_at, accepted_at, updated_at)
            VALUES (@branchId, @enterpriseId, @number, @category, @source, @title, '为测试边界直接写入的诉求。', @status, 'passed', @ownerMemberId,
                    @departmentId, @due, @reopenCount, @satisfaction, @submitter, @submitted, @accepted, @submitted);
            SELECT LAST_INSERT_ID();
            """, new
        {
            branchId, enterpriseId, number = World.Unique("T"), category, source, title, status, ownerMemberId, departmentId,
            due = due?.ToDateTime(TimeOnly.MinValue), reopenCount, satisfaction, submitter, submitted = submittedAt.UtcDateTime, accepted = acceptedAt?.UtcDateTime,
        });
    }

    public async Task EventAsync(long demandId, string kind, DateTimeOffset at, string? details = null, string text = "造数事件")
    {
        await using var db = await app.OpenDatabaseAsync();
        await db.ExecuteAsync("""
            INSERT INTO demand_events (demand_id, actor_user_id, kind, visibility, text, details, created_at)
            VALUES (@demandId, NULL, @kind, 'public', @text, @details, @at)
            """, new { demandId, kind, details, text, at = at.UtcDateTime });
    }

    public static string Confirmation(bool solved, int satisfaction) => $$"""{"solved":{{(solved ? "true" : "false")}},"satisfaction":{{satisfaction}}}""";

    public static string Resolution(string dueDate) => $$"""{"dueDate":"{{dueDate}}"}""";

    public async Task<long> VisitAsync(long branchId, long enterpriseId, DateOnly on, params long[] memberIds)
    {
        var recorder = await UserAsync();
        await using var db = await app.OpenDatabaseAsync();
        var visitId = await db.ExecuteScalarAsync<long>("""
            INSERT INTO visits (branch_id, enterprise_id, visited_on, kind, findings, recorded_by, created_at)
            VALUES (@branchId, @enterpriseId, @on, 'follow_up', '造数回访', @recorder, @now); SELECT LAST_INSERT_ID();
            """, new { branchId, enterpriseId, on = on.ToDateTime(TimeOnly.MinValue), recorder, now = app.Clock.GetUtcNow().UtcDateTime });
        foreach (var memberId in memberIds)
        {
            await db.ExecuteAsync("INSERT INTO visit_members (visit_id, member_id) VALUES (@visitId, @memberId)", new { visitId, memberId });
        }
        return visitId;
    }

    public async Task<long> MeetingAsync(long branchId, DateOnly month, DateTimeOffset generatedAt)
    {
        var creator = await UserAsync();
        await using var db = await app.OpenDatabaseAsync();
        return await db.ExecuteScalarAsync<long>("""
            INSERT INTO meetings (branch_id, month, window_start, generated_at, created_by, created_at)
            VALUES (@branchId, @month, @generated, @generated, @creator, @generated); SELECT LAST_INSERT_ID();
            """, new { branchId, month = month.ToDateTime(TimeOnly.MinValue), generated = generatedAt.UtcDateTime, creator });
    }
}

/// <summary>
/// Reads an .xlsx the service wrote, with the Open XML SDK: per sheet, the table from its header row on (the row the
/// frozen pane sits under), as rows of cell texts. <see cref="Open"/> gives the rest: title block and print setup.
/// </summary>
public static class Xlsx
{
    public sealed record SheetRead(string Name, IReadOnlyList<string> TitleBlock, List<List<string>> Table, Worksheet Worksheet, string? PrintTitles);

    public static List<List<List<string>>> Read(byte[] bytes) => Open(bytes).Select(s => s.Table).ToList();

    public static List<SheetRead> Open(byte[] bytes)
    {
        using var document = SpreadsheetDocument.Open(new MemoryStream(bytes), false);
        var workbook = document.WorkbookPart!;
        var names = workbook.Workbook.DefinedNames?.Elements<DefinedName>().ToList() ?? [];
        return workbook.Workbook.Sheets!.Elements<Sheet>().Select((sheet, index) =>
        {
            var worksheet = ((WorksheetPart)workbook.GetPartById(sheet.Id!)).Worksheet;
            var pane = worksheet.Descendants<Pane>().Single();
            var headerRow = (int)pane.VerticalSplit!.Value;
            var rows = worksheet.Descendants<Row>().Select(r => (Index: (int)r.RowIndex!.Value, Cells: r.Elements<Cell>().Select(c => c.InnerText).ToList())).ToList();
            var printTitles = names.FirstOrDefault(n => n.Name == "_xlnm.Print_Titles" && n.LocalSheetId?.Value == index)?.Text;
            return new SheetRead(sheet.Name!, rows.Where(r => r.Index < headerRow).Select(r => r.Cells[0]).ToList(),
                rows.Where(r => r.Index >= headerRow).Select(r => r.Cells).ToList(), (Worksheet)worksheet.CloneNode(true), printTitles);
        }).ToList();
    }
}
