using System.Net;
using Dapper;
using EcoAid.Api.Tests.Demands;
using EcoAid.Api.Tests.Infrastructure;

namespace EcoAid.Api.Tests.Reports;

/// <summary>
/// The kept month snapshots against the computation they replace: one service computes everything from the timeline at
/// once (Reports:LiveFigures, the code as it was), the other uses the snapshots; on the same varied data, for finished
/// months and the current one, before and after writes that touch a finished month, the JSON and the workbook's cells
/// must be the same.
/// </summary>
public class ReportSnapshotTests(EcoAidFixture fixture) : IClassFixture<EcoAidFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly string[] Months = ["2025-11", "2025-12", "2026-01", "2026-02", "2026-03"];

    private static async Task SameAsLive(HttpClient live, HttpClient kept, string branchQuery, string when)
    {
        foreach (var month in Months)
        {
            var a = await (await live.GetAsync($"/api/stats/monthly-report?format=json&month={month}{branchQuery}", Ct)).Content.ReadAsStringAsync(Ct);
            var keptResponse = await kept.GetAsync($"/api/stats/monthly-report?format=json&month={month}{branchQuery}", Ct);
            Assert.Equal(HttpStatusCode.OK, keptResponse.StatusCode);
            Assert.True(a == await keptResponse.Content.ReadAsStringAsync(Ct), $"{month} json differs {when}");
            var x = Xlsx.Read(await (await live.GetAsync($"/api/stats/monthly-report?format=xlsx&month={month}{branchQuery}", Ct)).Content.ReadAsByteArrayAsync(Ct));
            var y = Xlsx.Read(await (await kept.GetAsync($"/api/stats/monthly-report?format=xlsx&month={month}{branchQuery}", Ct)).Content.ReadAsByteArrayAsync(Ct));
            Assert.True(System.Text.Json.JsonSerializer.Serialize(x) == System.Text.Json.JsonSerializer.Serialize(y), $"{month} workbook differs {when}");
        }
    }

    [Fact]
    public async Task KeptMonthsAnswerExactlyAsTheTimelineComputedAtOnceBeforeAndAfterWritesThatTouchThem()
    {
        var start = Crafted.Shanghai(2026, 3, 2, 9, 0);
        await using var liveApp = new EcoAidApp(fixture, s => s["Reports:LiveFigures"] = "true", start);
        await using var app = new EcoAidApp(fixture, start: start);
        var world = new World(app);
        var c = new Crafted(app);
        var city = World.Unique("市");
        var (cityId, branchId) = await world.BranchAsync(city);
        var (_, otherBranch) = await world.BranchAsync(city);
        var e = await world.EnterpriseAsync(branchId);
        var e2 = await world.EnterpriseAsync(otherBranch);
        string[] categories = ["pollution_control", "eia_approval", "credit_repair"];
        string[] sources = ["mini_program", "whistle", "survey", "visit"];
        var t0 = Crafted.Shanghai(2025, 11, 3, 9, 0);
        var ids = new List<long>();
        for (var i = 0; i < 40; i++)
        {
            var branch = i % 5 == 0 ? otherBranch : branchId;
            var at = t0.AddHours(i * 70 + i % 7);
            var id = await c.DemandAsync(branch, branch == branchId ? e : e2, at, status: "accepted", category: categories[i % 3], source: sources[i % 4]);
            ids.Add(id);
            await c.EventAsync(id, "submitted", at);
            if (i % 6 == 5)
            {
                continue; // never taken up
            }
            var accepted = at.AddHours(i % 4 == 0 ? 80 : 10);
            var due = DateOnly.FromDateTime(accepted.AddDays(i % 3 == 0 ? 5 : 20).UtcDateTime);
            await c.EventAsync(id, i % 3 == 0 ? "transferred" : "claimed", accepted, text: $"完成时限 {due:yyyy-MM-dd}");
            if (i % 4 == 1)
            {
                continue;
            }
            var resolved = accepted.AddDays(3 + i % 9);
            await c.EventAsync(id, "resolved", resolved, Crafted.Resolution(due.ToString("yyyy-MM-dd")));
            await c.EventAsync(id, i % 8 == 2 ? "reopened" : "confirmed", resolved.AddDays(2), Crafted.Confirmation(i % 8 != 2, 2 + i % 4));
        }
        // A row from before the timeline (no events), and one held for review.
        var legacy = await c.DemandAsync(branchId, e, Crafted.Shanghai(2025, 12, 10, 9, 0), status: "accepted", acceptedAt: Crafted.Shanghai(2025, 12, 11, 9, 0),
            due: new DateOnly(2026, 1, 5));
        var held = await c.DemandAsync(branchId, e, Crafted.Shanghai(2026, 1, 20, 9, 0), status: "pending_review");
        await c.EventAsync(held, "submitted", Crafted.Shanghai(2026, 1, 20, 9, 0));
        await using (var db = await app.OpenDatabaseAsync())
        {
            await db.ExecuteAsync("UPDATE demands SET content_check = 'review' WHERE id = @held", new { held });
        }

        var live = await new World(liveApp).UserAsync("city_admin", cityId, branchId);
        var kept = await world.UserAsync("city_admin", cityId, branchId);
        var branchQuery = $"&branchId={branchId}";
        await SameAsLive(live, kept, branchQuery, "on first computing");
        await SameAsLive(live, kept, branchQuery, "from the kept rows");
        await SameAsLive(live, kept, "", "for the city, on first computing");
        await SameAsLive(live, kept, "", "for the city, from the kept rows");
        await using (var db = await app.OpenDatabaseAsync())
        {
            Assert.True(await db.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM report_month_snapshots WHERE branch_id = @branchId", new { branchId }) >= 4);
        }

        // Writes that reach back into finished months: a back-dated event and demand, the held demand's check, the old row worked on now.
        await c.EventAsync(ids[7], "withdrawn", Crafted.Shanghai(2026, 1, 15, 9, 0));
        await c.DemandAsync(branchId, e, Crafted.Shanghai(2025, 12, 20, 9, 0), category: "credit_repair");
        await SameAsLive(live, kept, branchQuery, "after back-dated writes");
        await using (var db = await app.OpenDatabaseAsync())
        {
            await db.ExecuteAsync("UPDATE demands SET content_check = 'passed', status = 'submitted', version = version + 1 WHERE id = @held", new { held });
        }
        await SameAsLive(live, kept, branchQuery, "after the content check moved");
        await using (var db = await app.OpenDatabaseAsync())
        {
            await db.ExecuteAsync("UPDATE demands SET status = 'closed', closed_at = @at, version = version + 1 WHERE id = @legacy",
                new { legacy, at = Crafted.Shanghai(2026, 3, 1, 9, 0).UtcDateTime });
        }
        await SameAsLive(live, kept, branchQuery, "after the old row was closed");
        await SameAsLive(live, kept, "", "for the city after the writes");
    }

    [Fact]
    public async Task TheMonthsListShowsItsFirstFiftyNewAndFiftyClosedDemandsAndCountsTheRest()
    {
        var start = Crafted.Shanghai(2026, 3, 2, 9, 0);
        await using var liveApp = new EcoAidApp(fixture, s => s["Reports:LiveFigures"] = "true", start);
        await using var app = new EcoAidApp(fixture, start: start);
        var world = new World(app);
        var c = new Crafted(app);
        var (cityId, branchId) = await world.BranchAsync();
        var e = await world.EnterpriseAsync(branchId);
        // 53 demands collected in February.
        for (var i = 0; i < 53; i++)
        {
            await c.DemandAsync(branchId, e, Crafted.Shanghai(2026, 2, 1, 8).AddHours(i * 12), title: $"二月新收集{i + 1:00}");
        }
        // 52 January demands closed in February, the last collected closed first.
        async Task<long> January(int i, string title)
        {
            var at = Crafted.Shanghai(2026, 1, 2, 8).AddHours(i * 10);
            var id = await c.DemandAsync(branchId, e, at, "closed", title: title);
            await c.EventAsync(id, "submitted", at);
            await c.EventAsync(id, "claimed", at.AddHours(2), text: "完成时限 2026-03-31");
            return id;
        }
        for (var i = 0; i < 52; i++)
        {
            var id = await January(i, $"一月办结{i + 1:00}");
            await c.EventAsync(id, "resolved", Crafted.Shanghai(2026, 2, 2, 8), Crafted.Resolution("2026-03-31"));
            await c.EventAsync(id, "confirmed", Crafted.Shanghai(2026, 2, 3, 8).AddHours(52 - i), Crafted.Confirmation(true, 5));
        }
        // Not in February's list: one confirmed first of all and reopened, one still in hand, one closed in January.
        var reopened = await January(52, "二月确认后重办");
        await c.EventAsync(reopened, "confirmed", Crafted.Shanghai(2026, 2, 2, 9), Crafted.Confirmation(false, 2));
        await c.EventAsync(reopened, "reopened", Crafted.Shanghai(2026, 2, 4, 9));
        await January(53, "一月受理仍在办");
        var closedInJanuary = await January(54, "一月已办结");
        await c.EventAsync(closedInJanuary, "confirmed", Crafted.Shanghai(2026, 1, 30, 9), Crafted.Confirmation(true, 5));

        var kept = await world.UserAsync("secretary", cityId, branchId);
        var live = await new World(liveApp).UserAsync("secretary", cityId, branchId);
        var sheet = Xlsx.Open(await (await kept.GetAsync("/api/stats/monthly-report?month=2026-02&format=xlsx", Ct)).Content.ReadAsByteArrayAsync(Ct))[^1];
        var oracle = Xlsx.Open(await (await live.GetAsync("/api/stats/monthly-report?month=2026-02&format=xlsx", Ct)).Content.ReadAsByteArrayAsync(Ct))[^1];

        var titles = sheet.Table.Skip(1).Select(r => r[6].Split('：')[0]).ToList();
        Assert.Equal([.. Enumerable.Range(1, 50).Select(i => $"二月新收集{i:00}"), .. Enumerable.Range(3, 50).Reverse().Select(i => $"一月办结{i:00}")], titles);
        Assert.Equal([.. Enumerable.Repeat("本月新收集", 50), .. Enumerable.Repeat("本月办结", 50)], sheet.Table.Skip(1).Select(r => r[12]).ToList());
        Assert.All(sheet.Table.Skip(51), r => Assert.Equal("已办结", r[11]));
        Assert.Contains("本表列出本月新收集的诉求 53 件中最先收集的 50 件，以及此前收集、本月办结的诉求 52 件中最先办结的 50 件。", string.Join("\n", sheet.TitleBlock));
        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(oracle.Table), System.Text.Json.JsonSerializer.Serialize(sheet.Table));
        Assert.Equal(oracle.TitleBlock, sheet.TitleBlock);
    }
}
