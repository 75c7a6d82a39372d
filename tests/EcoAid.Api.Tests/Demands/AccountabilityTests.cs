using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using EcoAid.Api.Features.Calendar;
using EcoAid.Api.Tests.Infrastructure;
using EcoAid.Api.Tests.Notifications;

namespace EcoAid.Api.Tests.Demands;

/// <summary>责任单位 and 责任人, the enterprise told of new dates, review instead of refusal, allowedActions and the version check.</summary>
public class AccountabilityTests(EcoAidFixture fixture) : IClassFixture<EcoAidFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string[] Texts(JsonElement detail) =>
        detail.GetProperty("timeline").EnumerateArray().Select(e => e.GetProperty("text").GetString() ?? "").ToArray();

    private static async Task<string> ExportCsvAsync(DemandWorld w) => await w.Commissioner.GetStringAsync("/api/demands/export?format=csv", Ct);

    private static async Task<string> BranchNameAsync(DemandWorld w)
    {
        await using var db = await w.App.OpenDatabaseAsync();
        return await db.ExecuteScalarAsync<string>("SELECT name FROM party_branches WHERE id = @BranchId", new { w.BranchId }) ?? "";
    }

    /// <summary>The names of the owner member, the department and its liaison, who first gives their name (PATCH /api/me).</summary>
    private static async Task<(string Member, string Department, string Liaison)> NamesAsync(DemandWorld w)
    {
        var named = await DemandWorld.Expect(HttpStatusCode.OK, await w.DepartmentLiaison.PatchAsJsonAsync("/api/me", new { displayName = "孙静" }, Ct));
        Assert.Equal("孙静", named.GetProperty("displayName").GetString());
        await using var db = await w.App.OpenDatabaseAsync();
        var member = await db.ExecuteScalarAsync<string>("SELECT name FROM members WHERE id = @OwnerMemberId", new { w.OwnerMemberId });
        var department = await db.ExecuteScalarAsync<string>("SELECT name FROM departments WHERE id = @DepartmentId", new { w.DepartmentId });
        var liaison = await db.ExecuteScalarAsync<string>("SELECT display_name FROM users WHERE department_id = @DepartmentId", new { w.DepartmentId });
        return (member!, department!, liaison!);
    }

    [Fact]
    public async Task AClaimNamesTheBranchAsUnitAndTheMemberAsPerson()
    {
        await using var app = new EcoAidApp(fixture);
        var w = await DemandWorld.CreateAsync(app);
        var (member, _, _) = await NamesAsync(w);
        var branch = await BranchNameAsync(w);

        var detail = await DemandWorld.Expect(HttpStatusCode.OK, await w.Commissioner.PostAsJsonAsync($"/api/demands/{await w.SubmitAsync()}/accept", w.ClaimPlan(), Ct));

        var responsible = detail.GetProperty("responsible");
        Assert.Equal("branch", responsible.GetProperty("unitKind").GetString());
        Assert.Equal(branch, responsible.GetProperty("unitName").GetString());
        Assert.Equal(branch, detail.GetProperty("responsibleUnit").GetString());
        Assert.Equal("member", responsible.GetProperty("personKind").GetString());
        Assert.Equal(member, responsible.GetProperty("personName").GetString());
        Assert.Equal(w.OwnerMemberId, responsible.GetProperty("memberId").GetInt64());
        Assert.Contains(ExportLines(await ExportCsvAsync(w)), l => l.Contains($"\"{branch}\",\"{member}\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ATransferNamesTheDepartmentAndItsLiaisonInDetailTimelineAndExport()
    {
        await using var app = new EcoAidApp(fixture);
        var w = await DemandWorld.CreateAsync(app);
        var (_, department, liaison) = await NamesAsync(w);
        var liaisonUserId = await w.UserIdOfAsync(w.DepartmentLiaison);
        var id = await w.SubmitAsync();

        var detail = await DemandWorld.Expect(HttpStatusCode.OK, await w.Commissioner.PostAsJsonAsync($"/api/demands/{id}/accept", new
        {
            objective = "依法答复", measures = new[] { "法制科研究答复" }, departmentId = w.DepartmentId, liaisonUserId, dueInWorkingDays = 5,
        }, Ct));

        var responsible = detail.GetProperty("responsible");
        Assert.Equal("department", responsible.GetProperty("unitKind").GetString());
        Assert.Equal(department, responsible.GetProperty("unitName").GetString());
        Assert.Equal("department_contact", responsible.GetProperty("personKind").GetString());
        Assert.Equal(liaison, responsible.GetProperty("personName").GetString());
        Assert.Equal(liaisonUserId, responsible.GetProperty("userId").GetInt64());
        Assert.Contains(Texts(detail), t => t.StartsWith($"移交{department}（责任人 {liaison}）办理", StringComparison.Ordinal));
        Assert.Contains(ExportLines(await ExportCsvAsync(w)), l => l.Contains($"\"{department}\",\"{liaison}\"", StringComparison.Ordinal));

        // A liaison of another department cannot be named.
        var other = await w.SubmitAsync();
        var refused = await ProblemAssert.IsProblemAsync(await w.Commissioner.PostAsJsonAsync($"/api/demands/{other}/accept", new
        {
            objective = "依法答复", measures = new[] { "研究答复" }, departmentId = w.DepartmentId, liaisonUserId = await w.UserIdOfAsync(w.Staff), dueInWorkingDays = 5,
        }, Ct), HttpStatusCode.BadRequest, "validation.failed");
        Assert.True(refused.GetProperty("errors").TryGetProperty("liaisonUserId", out _));
    }

    [Fact]
    public async Task AMeetingReassignSetsBothUnitAndPerson()
    {
        await using var app = new EcoAidApp(fixture);
        var w = await DemandWorld.CreateAsync(app);
        var (_, department, liaison) = await NamesAsync(w);
        var id = await w.AcceptedAsync();
        var month = WorkingCalendar.Today(app.Clock.GetUtcNow()).ToString("yyyy-MM", System.Globalization.CultureInfo.InvariantCulture);
        var meeting = await DemandWorld.Expect(HttpStatusCode.Created, await w.Secretary.PostAsJsonAsync("/api/meetings", new { month }, Ct));

        await DemandWorld.Expect(HttpStatusCode.Created, await w.Secretary.PostAsJsonAsync($"/api/meetings/{meeting.GetProperty("id").GetInt64()}/decisions",
            new { demandId = id, kind = "reassign", text = "涉及执法程序，转法制科", departmentId = w.DepartmentId }, Ct));

        var detail = await w.DetailAsync(w.Commissioner, id);
        Assert.Equal(department, detail.GetProperty("responsibleUnit").GetString());
        Assert.Equal(liaison, detail.GetProperty("responsible").GetProperty("personName").GetString());
        Assert.Contains(ExportLines(await ExportCsvAsync(w)), l => l.Contains($"\"{department}\",\"{liaison}\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task EveryNewDateReachesTheEnterpriseAndTheOwnerInTheirOwnWords()
    {
        await using var app = new EcoAidApp(fixture);
        var w = await DemandWorld.CreateAsync(app);
        var staff = await w.UserIdOfAsync(w.Staff);

        var extended = await w.AcceptedAsync();
        var due = (await w.DetailAsync(w.Commissioner, extended)).GetProperty("dueDate").GetString()!;
        var later = DateOnly.Parse(due, System.Globalization.CultureInfo.InvariantCulture).AddDays(14);
        await DemandWorld.Expect(HttpStatusCode.OK, await w.Owner.PostAsJsonAsync($"/api/demands/{extended}/extension", new { dueDate = later, reason = "等待检测报告" }, Ct));
        await DemandWorld.Expect(HttpStatusCode.OK, await w.Commissioner.PostAsJsonAsync($"/api/demands/{extended}/extension/approve", new { }, Ct));
        Assert.Contains(("demand_due_changed", "user", staff), await w.OutboxAsync(extended));

        var reopened = await w.ResolvedAsync();
        await DemandWorld.Expect(HttpStatusCode.OK, await w.Staff.PostAsJsonAsync($"/api/demands/{reopened}/confirm", new { solved = false, satisfaction = 2 }, Ct));
        await DemandWorld.Expect(HttpStatusCode.OK, await w.Commissioner.PostAsJsonAsync($"/api/demands/{reopened}/due-date", new { dueInWorkingDays = 5 }, Ct));
        var outbox = await w.OutboxAsync(reopened);
        Assert.Contains(("demand_due_changed", "user", staff), outbox);
        Assert.Contains(("demand_due_date_set", "member", w.OwnerMemberId), outbox);

        // The enterprise's inbox says what changed and the new date.
        await app.DispatchAsync();
        var inbox = await DemandWorld.Expect(HttpStatusCode.OK, await w.Staff.GetAsync("/api/me/notifications", Ct));
        Assert.Contains(inbox.GetProperty("items").EnumerateArray(), i => i.GetProperty("kind").GetString() == "demand_due_changed"
            && i.GetProperty("title").GetString() == "诉求完成时限已调整");
    }

    [Theory]
    [InlineData("risky")]
    [InlineData("review")]
    public async Task AFlaggedDemandWaitsForAPersonAndComesOutThroughEitherDoor(string verdict)
    {
        await using var app = new EcoAidApp(fixture);
        var w = await DemandWorld.CreateAsync(app);
        var word = World.Unique("偷排");
        if (verdict == "risky") { app.Sandbox.RiskyWords[word] = 20006; } else { app.Sandbox.ReviewWords[word] = 21000; }

        async Task<long> SubmitFlaggedAsync()
        {
            var created = await DemandWorld.Expect(HttpStatusCode.Created, await w.Staff.PostAsJsonAsync("/api/demands",
                new { category = "petition", title = "反映周边企业夜间偷排", description = $"夜间{word}，请核查" }, Ct));
            Assert.Equal("pending_review", created.GetProperty("status").GetString());
            Assert.Equal("待审核", created.GetProperty("statusName").GetString());
            return created.GetProperty("id").GetInt64();
        }

        var id = await SubmitFlaggedAsync();
        var seen = await w.DetailAsync(w.Commissioner, id);
        Assert.Equal(verdict, seen.GetProperty("contentCheck").GetString());
        Assert.Equal(["reviewAccept", "reviewReturn"], seen.GetProperty("allowedActions").EnumerateArray().Select(a => a.GetString()!).ToArray());
        await w.DetailAsync(w.Secretary, id);
        Assert.Equal(["withdraw"], (await w.DetailAsync(w.Staff, id)).GetProperty("allowedActions").EnumerateArray().Select(a => a.GetString()!).ToArray());
        foreach (var outsider in new[] { w.Liaison, w.Owner, w.DepartmentLiaison })
        {
            Assert.Equal(HttpStatusCode.NotFound, (await outsider.GetAsync($"/api/demands/{id}", Ct)).StatusCode);
        }
        // Another contact of the same enterprise does not see it either.
        long cityId;
        await using (var db = await app.OpenDatabaseAsync())
        {
            cityId = await db.ExecuteScalarAsync<long>("SELECT city_id FROM party_branches WHERE id = @BranchId", new { w.BranchId });
        }
        var colleague = await new World(app).UserAsync("staff", cityId, w.BranchId, enterpriseId: w.EnterpriseId);
        Assert.Equal(HttpStatusCode.NotFound, (await colleague.GetAsync($"/api/demands/{id}", Ct)).StatusCode);
        Assert.DoesNotContain(await w.OutboxAsync(id), o => o.Kind == "demand_submitted");

        var accepted = await DemandWorld.Expect(HttpStatusCode.OK, await w.Commissioner.PostAsJsonAsync($"/api/demands/{id}/review/accept", new { }, Ct));
        Assert.Equal("submitted", accepted.GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.OK, (await w.Liaison.GetAsync($"/api/demands/{id}", Ct)).StatusCode);
        var staff = await w.UserIdOfAsync(w.Staff);
        Assert.Contains(("demand_reviewed", "user", staff), await w.OutboxAsync(id));
        Assert.Contains(("demand_submitted", "member", w.LiaisonMemberId), await w.OutboxAsync(id));

        var second = await SubmitFlaggedAsync();
        var returned = await DemandWorld.Expect(HttpStatusCode.OK, await w.Secretary.PostAsJsonAsync($"/api/demands/{second}/review/return",
            new { reason = "内容与本局职责无关，请向属地政府反映" }, Ct));
        Assert.Equal("returned", returned.GetProperty("status").GetString());
        Assert.Contains(("demand_reviewed", "user", staff), await w.OutboxAsync(second));
        await ProblemAssert.IsProblemAsync(await w.Commissioner.PostAsJsonAsync($"/api/demands/{second}/review/accept", new { }, Ct),
            HttpStatusCode.Conflict, "demand.invalid_transition");
    }

    [Fact]
    public async Task AnActionBasedOnAStaleVersionIsRefused()
    {
        await using var app = new EcoAidApp(fixture);
        var w = await DemandWorld.CreateAsync(app);
        var id = await w.AcceptedAsync();
        var detail = await w.DetailAsync(w.Owner, id);
        var version = detail.GetProperty("version").GetInt32();
        Assert.Contains("resolve", detail.GetProperty("allowedActions").EnumerateArray().Select(a => a.GetString()));
        Assert.DoesNotContain("accept", detail.GetProperty("allowedActions").EnumerateArray().Select(a => a.GetString()));

        await DemandWorld.Expect(HttpStatusCode.OK, await w.Commissioner.PostAsJsonAsync($"/api/demands/{id}/urge", new { text = "请加快" }, Ct));

        using var stale = new HttpRequestMessage(HttpMethod.Post, $"/api/demands/{id}/resolve") { Content = JsonContent.Create(new { summary = "已完成" }) };
        stale.Headers.IfMatch.Add(new EntityTagHeaderValue($"\"{version}\""));
        await ProblemAssert.IsProblemAsync(await w.Owner.SendAsync(stale, Ct), HttpStatusCode.Conflict, "demand.stale");

        using var fresh = new HttpRequestMessage(HttpMethod.Post, $"/api/demands/{id}/resolve") { Content = JsonContent.Create(new { summary = "已完成" }) };
        fresh.Headers.IfMatch.Add(new EntityTagHeaderValue($"\"{version + 1}\""));
        Assert.Equal("resolved", (await DemandWorld.Expect(HttpStatusCode.OK, await w.Owner.SendAsync(fresh, Ct))).GetProperty("status").GetString());

        var list = await DemandWorld.Expect(HttpStatusCode.OK, await w.Staff.GetAsync("/api/demands", Ct));
        var item = list.GetProperty("items").EnumerateArray().Single(i => i.GetProperty("id").GetInt64() == id);
        Assert.Equal(version + 2, item.GetProperty("version").GetInt32());
        Assert.Equal(["confirm", "withdraw"], item.GetProperty("allowedActions").EnumerateArray().Select(a => a.GetString()!).ToArray());
    }

    [Fact]
    public async Task ThePublishedHolidaysAreLoadedInEveryDatabase()
    {
        await using var app = new EcoAidApp(fixture);
        await using var db = await app.OpenDatabaseAsync();
        var calendar = await CalendarApi.LoadAsync(db, null, new DateOnly(2025, 2, 1), Ct);
        Assert.False(calendar.IsWorkingDay(new(2025, 1, 28)));
        Assert.False(calendar.IsWorkingDay(new(2025, 2, 4)));
        Assert.True(calendar.IsWorkingDay(new(2025, 1, 26)));  // Sunday, 调休
        Assert.True(calendar.IsWorkingDay(new(2025, 2, 8)));   // Saturday, 调休
        Assert.Equal(new DateOnly(2025, 2, 5), calendar.AddWorkingDays(new(2025, 1, 27), 1));
        var autumn = await CalendarApi.LoadAsync(db, null, new DateOnly(2025, 10, 1), Ct);
        Assert.True(autumn.IsWorkingDay(new(2025, 9, 28)));
        Assert.False(autumn.IsWorkingDay(new(2025, 10, 8)));
        Assert.True(autumn.IsWorkingDay(new(2025, 10, 11)));
        Assert.Equal(new DateOnly(2025, 10, 9), autumn.AddWorkingDays(new(2025, 9, 30), 1));
        Assert.Equal(new DateOnly(2025, 10, 11), autumn.AddWorkingDays(new(2025, 9, 30), 3)); // 9th, 10th, then the make-up Saturday
        Assert.Equal(3, await db.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM calendar_notices WHERE year BETWEEN 2024 AND 2026"));
    }

    [Fact]
    public async Task ACityAdminPreviewsAYearBeforeImportingIt()
    {
        await using var app = new EcoAidApp(fixture);
        var w = await DemandWorld.CreateAsync(app);
        long cityId;
        await using (var db = await app.OpenDatabaseAsync())
        {
            cityId = await db.ExecuteScalarAsync<long>("SELECT city_id FROM party_branches WHERE id = @BranchId", new { w.BranchId });
        }
        var admin = await new World(app).UserAsync("city_admin", cityId, w.BranchId);
        // A far year no other test counts working days in.
        object Body(bool apply, string name) => new
        {
            year = 2099, noticeTitle = "国务院办公厅关于2099年部分节假日安排的通知（测试）", publishedOn = "2098-11-01", apply,
            days = new object[]
            {
                new { day = "2099-01-01", kind = "holiday", name = "元旦" },
                new { day = "2099-01-02", kind = "holiday", name },
                new { day = "2099-01-03", kind = "workday", name = "元旦调休上班" },
            },
        };

        var preview = await DemandWorld.Expect(HttpStatusCode.OK, await admin.PostAsJsonAsync("/api/calendar/import", Body(false, "元旦"), Ct));
        Assert.False(preview.GetProperty("applied").GetBoolean());
        Assert.Equal(3, preview.GetProperty("added").GetArrayLength());
        Assert.Empty((await DemandWorld.Expect(HttpStatusCode.OK, await admin.GetAsync("/api/calendar?year=2099", Ct))).EnumerateArray());

        var applied = await DemandWorld.Expect(HttpStatusCode.OK, await admin.PostAsJsonAsync("/api/calendar/import", Body(true, "元旦"), Ct));
        Assert.True(applied.GetProperty("applied").GetBoolean());
        Assert.Equal(3, (await DemandWorld.Expect(HttpStatusCode.OK, await admin.GetAsync("/api/calendar?year=2099", Ct))).GetArrayLength());

        var again = await DemandWorld.Expect(HttpStatusCode.OK, await admin.PostAsJsonAsync("/api/calendar/import", Body(false, "元旦假期"), Ct));
        Assert.Equal(0, again.GetProperty("added").GetArrayLength());
        Assert.Equal("2099-01-02", again.GetProperty("changed")[0].GetProperty("day").GetString());
        Assert.Equal(2, again.GetProperty("unchanged").GetInt32());

        // 2099-01-05 is a Monday: not a weekend, so not a make-up workday.
        await ProblemAssert.IsProblemAsync(await admin.PostAsJsonAsync("/api/calendar/import", new
        {
            year = 2099, noticeTitle = "测试", publishedOn = "2098-11-01", days = new[] { new { day = "2099-01-05", kind = "workday", name = "调休" } },
        }, Ct), HttpStatusCode.BadRequest, "validation.failed");
        await ProblemAssert.IsProblemAsync(await w.Commissioner.PostAsJsonAsync("/api/calendar/import", Body(true, "元旦"), Ct), HttpStatusCode.Forbidden, "auth.forbidden");
    }

    [Fact]
    public async Task ACityAdminImportsAYearFromAWorkbookWithTheSamePreview()
    {
        await using var app = new EcoAidApp(fixture);
        var w = await DemandWorld.CreateAsync(app);
        long cityId;
        await using (var db = await app.OpenDatabaseAsync())
        {
            cityId = await db.ExecuteScalarAsync<long>("SELECT city_id FROM party_branches WHERE id = @BranchId", new { w.BranchId });
        }
        var admin = await new World(app).UserAsync("city_admin", cityId, w.BranchId);
        // 2098-01-04 is a Saturday; another far year no other test counts in.
        string[][] rows = [["2098-01-01", "放假", "元旦"], ["2098-01-02", "放假", "元旦"], ["2098-01-04", "调休上班", "元旦调休上班"]];
        MultipartFormDataContent Form(byte[] workbook, bool apply)
        {
            var form = ListXlsx.Form(workbook, "2098年节假日安排.xlsx");
            form.Add(new StringContent("2098"), "year");
            form.Add(new StringContent("国务院办公厅关于2098年部分节假日安排的通知（测试）"), "noticeTitle");
            form.Add(new StringContent("2097-11-01"), "publishedOn");
            form.Add(new StringContent(apply ? "true" : "false"), "apply");
            return form;
        }
        var workbook = ListXlsx.Build(["日期", "类型", "名称"], rows);

        var preview = await DemandWorld.Expect(HttpStatusCode.OK, await admin.PostAsync("/api/calendar/import/xlsx", Form(workbook, apply: false), Ct));
        Assert.False(preview.GetProperty("applied").GetBoolean());
        Assert.Equal(3, preview.GetProperty("added").GetArrayLength());
        Assert.Empty((await DemandWorld.Expect(HttpStatusCode.OK, await admin.GetAsync("/api/calendar?year=2098", Ct))).EnumerateArray());

        var applied = await DemandWorld.Expect(HttpStatusCode.OK, await admin.PostAsync("/api/calendar/import/xlsx", Form(workbook, apply: true), Ct));
        Assert.True(applied.GetProperty("applied").GetBoolean());
        var year = await DemandWorld.Expect(HttpStatusCode.OK, await admin.GetAsync("/api/calendar?year=2098", Ct));
        Assert.Equal(["2098-01-01:holiday", "2098-01-02:holiday", "2098-01-04:workday"],
            year.EnumerateArray().Select(d => $"{d.GetProperty("day").GetString()}:{d.GetProperty("kind").GetString()}").ToArray());
        await using (var db = await app.OpenDatabaseAsync())
        {
            Assert.Equal("国务院办公厅关于2098年部分节假日安排的通知（测试）",
                await db.ExecuteScalarAsync<string>("SELECT title FROM calendar_notices WHERE year = 2098"));
        }

        // A row that cannot be read is named by its row in the sheet, and nothing changes.
        var broken = ListXlsx.Build(["日期", "类型", "名称"], [["2098-01-01", "放假", "元旦"], ["2098-01-02", "休息", "元旦"]]);
        var refused = await ProblemAssert.IsProblemAsync(await admin.PostAsync("/api/calendar/import/xlsx", Form(broken, apply: true), Ct),
            HttpStatusCode.BadRequest, "validation.failed");
        Assert.Equal("第 3 行：类型应为“放假”或“调休上班”。", refused.GetProperty("errors").GetProperty("rows[3].类型")[0].GetString());
        Assert.Equal(3, (await DemandWorld.Expect(HttpStatusCode.OK, await admin.GetAsync("/api/calendar?year=2098", Ct))).GetArrayLength());
        await ProblemAssert.IsProblemAsync(await admin.PostAsync("/api/calendar/import/xlsx", Form("%PDF-1.7 不是表格"u8.ToArray(), apply: false), Ct),
            HttpStatusCode.UnprocessableEntity, "calendar.not_xlsx");
        await ProblemAssert.IsProblemAsync(await w.Commissioner.PostAsync("/api/calendar/import/xlsx", Form(workbook, apply: true), Ct),
            HttpStatusCode.Forbidden, "auth.forbidden");
    }

    private static string[] ExportLines(string csv) => csv.Split('\n');
}
