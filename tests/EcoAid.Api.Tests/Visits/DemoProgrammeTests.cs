using System.Net;
using System.Net.Http.Json;
using EcoAid.Api.Tests.Demands;
using EcoAid.Api.Tests.Infrastructure;

namespace EcoAid.Api.Tests.Visits;

/// <summary>
/// The dev run's story on the demo programme (Demo:Seed=true, a database of its own): the secretary generates the
/// current month's agenda, applies a decision and downloads a monthly report whose figures are those of the demo data.
/// </summary>
public class DemoProgrammeTests(EcoAidFixture fixture) : IClassFixture<EcoAidFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TheSecretaryRunsTheMonthlyMeetingAndReportsTheDemoFigures()
    {
        await using var app = new EcoAidApp(fixture, s => s["Demo:Seed"] = "true");
        var secretary = await app.LoginAsAsync("demo-secretary");

        var past = await DemandWorld.Expect(HttpStatusCode.OK, await secretary.GetAsync("/api/meetings", Ct));
        Assert.Equal(["2024-11", "2024-10", "2024-09"], past.GetProperty("items").EnumerateArray().Select(m => m.GetProperty("month").GetString()!).ToArray());
        var september = await DemandWorld.Expect(HttpStatusCode.OK,
            await secretary.GetAsync($"/api/meetings/{past.GetProperty("items")[2].GetProperty("id").GetInt64()}", Ct));
        Assert.Equal("SQ2024-0001", september.GetProperty("decisions")[0].GetProperty("demand").GetProperty("number").GetString());

        // March 2026: SQ2024-0003 and SQ2024-0005 are long overdue, 0005 waits on a department, and nobody was visited yet.
        var meeting = await DemandWorld.Expect(HttpStatusCode.Created, await secretary.PostAsJsonAsync("/api/meetings", new { month = "2026-03" }, Ct));
        var lines = meeting.GetProperty("agenda").EnumerateArray().Select(a => (a.GetProperty("reason").GetString(),
            a.GetProperty("demand").ValueKind == System.Text.Json.JsonValueKind.Null ? a.GetProperty("enterprise").GetProperty("name").GetString() : a.GetProperty("demand").GetProperty("number").GetString())).ToList();
        Assert.Equal([("overdue", "SQ2024-0003"), ("overdue", "SQ2024-0005"), ("transferred", "SQ2024-0005")], lines.Take(3).ToArray());
        Assert.Equal(4, lines.Count(l => l.Item1 == "not_visited"));
        var overdue = meeting.GetProperty("agenda")[0];
        await DemandWorld.Expect(HttpStatusCode.Created, await secretary.PostAsJsonAsync($"/api/meetings/{meeting.GetProperty("id").GetInt64()}/decisions",
            new { agendaItemId = overdue.GetProperty("id").GetInt64(), kind = "due_date", dueDate = "2026-03-31", text = "台账本月底前建好" }, Ct));
        var demand = await DemandWorld.Expect(HttpStatusCode.OK, await secretary.GetAsync($"/api/demands/{overdue.GetProperty("demand").GetProperty("id").GetInt64()}", Ct));
        Assert.Equal("2026-03-31", demand.GetProperty("dueDate").GetString());

        var sheets = Xlsx.Read(await (await secretary.GetAsync("/api/stats/monthly-report", Ct)).Content.ReadAsByteArrayAsync(Ct));
        Assert.Equal("截至2026年3月31日，共收集 3 类 7 个问题，其中污染治理 5 个、环评审批 1 个、信用修复 1 个；已办结 3 个、待企业确认 1 个、办理中 2 个、待受理 1 个。",
            sheets[0].Single(r => r[0] == "总体情况")[1]);
        Assert.Equal(8, sheets[2].Count);

        var stats = await DemandWorld.Expect(HttpStatusCode.OK, await secretary.GetAsync("/api/stats/overview?from=2024-09-01&to=2024-11-30", Ct));
        var rates = stats.GetProperty("total").GetProperty("rates");
        Assert.Equal((6, 7), (rates.GetProperty("response").GetProperty("numerator").GetInt32(), rates.GetProperty("response").GetProperty("denominator").GetInt32()));
        Assert.Equal((3, 3), (rates.GetProperty("satisfaction").GetProperty("numerator").GetInt32(), rates.GetProperty("satisfaction").GetProperty("denominator").GetInt32()));
        Assert.Equal(13, stats.GetProperty("total").GetProperty("visits").GetInt32());
    }
}
