using System.IO.Compression;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Dapper;
using EcoAid.Api.Tests.Infrastructure;

namespace EcoAid.Api.Tests.Visits;

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

    public async Task EventAsync(long demandId, string kind, DateTimeOffset at, string? details = null)
    {
        await using var db = await app.OpenDatabaseAsync();
        await db.ExecuteAsync("""
            INSERT INTO demand_events (demand_id, actor_user_id, kind, visibility, text, details, created_at)
            VALUES (@demandId, NULL, @kind, 'public', '造数事件', @details, @at)
            """, new { demandId, kind, details, at = at.UtcDateTime });
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

/// <summary>Reads the text cells of an .xlsx the service wrote: sheets → rows → cells.</summary>
public static class Xlsx
{
    public static List<List<List<string>>> Read(byte[] bytes)
    {
        using var zip = new ZipArchive(new MemoryStream(bytes));
        XNamespace ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
        var sheets = new List<List<List<string>>>();
        foreach (var entry in zip.Entries.Where(e => Regex.IsMatch(e.FullName, @"^xl/worksheets/sheet\d+\.xml$"))
                     .OrderBy(e => int.Parse(Regex.Match(e.FullName, @"\d+").Value)))
        {
            using var stream = entry.Open();
            var xml = XDocument.Load(stream);
            sheets.Add(xml.Descendants(ns + "row").Select(r => r.Elements(ns + "c").Select(c => string.Concat(c.Descendants(ns + "t").Select(t => t.Value))).ToList()).ToList());
        }
        return sheets;
    }
}
