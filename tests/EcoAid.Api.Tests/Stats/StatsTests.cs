using Dapper;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using EcoAid.Api.Tests.Demands;
using EcoAid.Api.Tests.Infrastructure;

namespace EcoAid.Api.Tests.Stats;

/// <summary>
/// The rates on crafted data. The clock stands at 2026-03-02 09:00 Shanghai (01:00 UTC); February 2026 is the period
/// unless a test says otherwise; the response limit is the default 48 hours.
/// </summary>
public class StatsTests(EcoAidFixture fixture) : IClassFixture<EcoAidFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static (double? Value, int Numerator, int Denominator) RateOf(JsonElement rates, string name)
    {
        var r = rates.GetProperty(name);
        return (r.GetProperty("value").ValueKind == JsonValueKind.Null ? null : r.GetProperty("value").GetDouble(),
            r.GetProperty("numerator").GetInt32(), r.GetProperty("denominator").GetInt32());
    }

    private static async Task<JsonElement> Overview(HttpClient client, string query) =>
        await DemandWorld.Expect(HttpStatusCode.OK, await client.GetAsync($"/api/stats/overview?{query}", Ct));

    [Fact]
    public async Task ResponseRateCountsAcceptanceWithinTheLimitAmongDemandsWhoseLimitHasPassedOrThatWereAccepted()
    {
        await using var app = new EcoAidApp(fixture);
        var world = new World(app);
        var c = new Crafted(app);
        var (cityId, branchId) = await world.BranchAsync();
        var e = await world.EnterpriseAsync(branchId);
        var t = Crafted.Shanghai(2026, 2, 10, 8, 0);
        await c.DemandAsync(branchId, e, t, "accepted", acceptedAt: t.AddHours(24));                     // in time
        await c.DemandAsync(branchId, e, t, "accepted", acceptedAt: t.AddHours(48));                     // in time, at the limit
        await c.DemandAsync(branchId, e, t, "accepted", acceptedAt: t.AddHours(48).AddSeconds(1));       // late
        await c.DemandAsync(branchId, e, t);                                                             // never accepted, limit passed
        await c.DemandAsync(branchId, e, app.Clock.GetUtcNow().AddHours(-48));                           // limit passes exactly now: due, not met
        await c.DemandAsync(branchId, e, Crafted.Shanghai(2026, 2, 28, 23, 30));                         // February, still inside its limit: not yet counted
        await c.DemandAsync(branchId, e, Crafted.Shanghai(2026, 3, 1, 0, 30), "accepted", acceptedAt: Crafted.Shanghai(2026, 3, 1, 1, 0)); // March
        await c.DemandAsync(branchId, e, Crafted.Shanghai(2026, 1, 31, 23, 30), "accepted", acceptedAt: Crafted.Shanghai(2026, 2, 1, 0, 0)); // January
        await c.DemandAsync(branchId, e, Crafted.Shanghai(2026, 2, 1, 0, 30), "accepted", acceptedAt: Crafted.Shanghai(2026, 2, 1, 1, 30)); // in time
        var secretary = await world.UserAsync("secretary", cityId, branchId);

        var stats = await Overview(secretary, "from=2026-02-01&to=2026-02-28");

        var total = stats.GetProperty("total");
        Assert.Equal(7, total.GetProperty("submitted").GetInt32());
        Assert.Equal((0.5, 3, 6), RateOf(total.GetProperty("rates"), "response"));
        Assert.Equal(48, stats.GetProperty("responseLimitHours").GetInt32());
        Assert.Equal("2026-02-01", stats.GetProperty("from").GetString());
        var byStatus = total.GetProperty("byStatus").EnumerateArray().ToDictionary(s => s.GetProperty("code").GetString()!, s => s.GetProperty("count").GetInt32());
        Assert.Equal(4, byStatus["accepted"]);
        Assert.Equal(3, byStatus["submitted"]);
        Assert.Equal(0, byStatus["closed"]);

        // A longer limit turns the late one into an in-time one and leaves the fresh one out.
        await using var patient = new EcoAidApp(fixture, s => s["Stats:ResponseLimitHours"] = "72");
        var secretaryAgain = await new World(patient).UserAsync("secretary", cityId, branchId);
        var relaxed = await Overview(secretaryAgain, "from=2026-02-01&to=2026-02-28");
        Assert.Equal((0.8, 4, 5), RateOf(relaxed.GetProperty("total").GetProperty("rates"), "response"));
    }

    [Fact]
    public async Task AStartThatCannotTakeTheResponseLimitInTimeStartsAllTheSameAndCountsTheResponseFromTheDemands()
    {
        await using var app = new EcoAidApp(fixture);
        var world = new World(app);
        var c = new Crafted(app);
        var (cityId, branchId) = await world.BranchAsync();
        var e = await world.EnterpriseAsync(branchId);
        var t = Crafted.Shanghai(2026, 2, 10, 8, 0);
        await c.DemandAsync(branchId, e, t, "accepted", acceptedAt: t.AddHours(30)); // in time against 48 hours, late against 24
        await c.DemandAsync(branchId, e, t, "accepted", acceptedAt: t.AddHours(10)); // in time against both
        var secretary = await world.UserAsync("secretary", cityId, branchId);
        var stats = await Overview(secretary, "from=2026-02-01&to=2026-02-28");
        Assert.Equal((1.0, 2, 2), RateOf(stats.GetProperty("total").GetProperty("rates"), "response"));

        // A demand being settled holds the limit's row longer than a start waits for it.
        await using var holder = await app.OpenDatabaseAsync();
        await using var settling = await holder.BeginTransactionAsync(Ct);
        Assert.Equal(48, await holder.ExecuteScalarAsync<int>(new CommandDefinition(
            "SELECT response_limit_hours FROM stats_settings WHERE id = 1 LOCK IN SHARE MODE", transaction: settling, cancellationToken: Ct)));
        var logs = new LogCapture();
        await using var strict = new EcoAidApp(fixture, s => s["Stats:ResponseLimitHours"] = "24") { Logs = logs };
        var strictSecretary = strict.CreateClient();
        strictSecretary.DefaultRequestHeaders.Authorization = secretary.DefaultRequestHeaders.Authorization;

        var strictStats = await Overview(strictSecretary, "from=2026-02-01&to=2026-02-28");

        Assert.Equal((0.5, 1, 2), RateOf(strictStats.GetProperty("total").GetProperty("rates"), "response"));
        Assert.Contains(logs.Lines, line => line.Contains("could not be counted again against 24 hours", StringComparison.Ordinal));
        await settling.RollbackAsync(Ct);
        Assert.Equal(48, await holder.ExecuteScalarAsync<int>(new CommandDefinition("SELECT response_limit_hours FROM stats_settings WHERE id = 1",
            cancellationToken: Ct)));
    }

    [Fact]
    public async Task OnTimeResolutionAndSatisfactionRatesComeFromTheEventsOfThePeriod()
    {
        await using var app = new EcoAidApp(fixture);
        var world = new World(app);
        var c = new Crafted(app);
        var (cityId, branchId) = await world.BranchAsync();
        var owner = await world.MemberAsync(branchId, "甲");
        var other = await world.MemberAsync(branchId, "乙");
        var e1 = await world.EnterpriseAsync(branchId);
        var e2 = await world.EnterpriseAsync(branchId);
        var old = Crafted.Shanghai(2026, 1, 5);
        async Task<long> D(long enterprise, long member, DateOnly? due = null, int? satisfaction = null) =>
            await c.DemandAsync(branchId, enterprise, old, "closed", acceptedAt: old.AddHours(1), due: due, ownerMemberId: member, satisfaction: satisfaction);

        // Resolutions, measured against the due date in force then (details), in Shanghai dates.
        await c.EventAsync(await D(e1, owner), "resolved", Crafted.Shanghai(2026, 2, 20, 10, 0), Crafted.Resolution("2026-02-20"));  // on the day: on time
        await c.EventAsync(await D(e1, owner), "resolved", Crafted.Shanghai(2026, 2, 21, 0, 30), Crafted.Resolution("2026-02-20"));  // the next day: late
        await c.EventAsync(await D(e2, other), "resolved", Crafted.Shanghai(2026, 2, 20, 23, 30), Crafted.Resolution("2026-02-20")); // on time
        await c.EventAsync(await D(e2, other, due: new DateOnly(2026, 2, 25)), "resolved", Crafted.Shanghai(2026, 2, 26));             // no details: the row's due date; late
        await c.EventAsync(await D(e2, other), "resolved", Crafted.Shanghai(2026, 3, 1, 0, 30), Crafted.Resolution("2026-02-01"));   // March

        // Confirmations: "confirmed" solved, "reopened" not solved; ratings 4 and 5 are satisfied.
        await c.EventAsync(await D(e1, owner), "confirmed", Crafted.Shanghai(2026, 2, 10), Crafted.Confirmation(true, 5));
        await c.EventAsync(await D(e1, owner), "confirmed", Crafted.Shanghai(2026, 2, 11), Crafted.Confirmation(true, 4));
        await c.EventAsync(await D(e2, other), "reopened", Crafted.Shanghai(2026, 2, 12), Crafted.Confirmation(false, 3));
        await c.EventAsync(await D(e2, other), "reopened", Crafted.Shanghai(2026, 2, 13), Crafted.Confirmation(false, 1));
        await c.EventAsync(await D(e2, other, satisfaction: 2), "confirmed", Crafted.Shanghai(2026, 2, 14));                          // no details: solved, the row's 2
        await c.EventAsync(await D(e1, owner), "confirmed", Crafted.Shanghai(2026, 2, 28, 23, 30), Crafted.Confirmation(true, 5));    // last minutes of February
        await c.EventAsync(await D(e1, owner), "confirmed", Crafted.Shanghai(2026, 3, 1, 0, 30), Crafted.Confirmation(false, 1));     // March
        var secretary = await world.UserAsync("secretary", cityId, branchId);

        var stats = await Overview(secretary, "from=2026-02-01&to=2026-02-28");

        var rates = stats.GetProperty("total").GetProperty("rates");
        Assert.Equal((0.5, 2, 4), RateOf(rates, "onTime"));
        Assert.Equal((0.6667, 4, 6), RateOf(rates, "resolution"));
        Assert.Equal((0.5, 3, 6), RateOf(rates, "satisfaction"));
        Assert.Equal((null, 0, 0), RateOf(rates, "response")); // nothing was submitted in February
        Assert.Equal(4, stats.GetProperty("total").GetProperty("resolutions").GetInt32());
        Assert.Equal(6, stats.GetProperty("total").GetProperty("confirmations").GetInt32());

        var branch = stats.GetProperty("branches").EnumerateArray().Single();
        var perEnterprise = branch.GetProperty("enterprises").EnumerateArray().ToDictionary(x => x.GetProperty("enterpriseId").GetInt64(), x => x.GetProperty("rates"));
        Assert.Equal((0.5, 1, 2), RateOf(perEnterprise[e1], "onTime"));
        Assert.Equal((1.0, 3, 3), RateOf(perEnterprise[e1], "resolution"));
        Assert.Equal((0.3333, 1, 3), RateOf(perEnterprise[e2], "resolution"));
        var perMember = branch.GetProperty("members").EnumerateArray().ToDictionary(x => x.GetProperty("memberId").GetInt64());
        Assert.Equal((1.0, 3, 3), RateOf(perMember[owner].GetProperty("rates"), "satisfaction"));
        Assert.Equal((0.0, 0, 3), RateOf(perMember[other].GetProperty("rates"), "satisfaction"));
        Assert.Equal(2, perMember[other].GetProperty("resolutions").GetInt32());

        // March 1 alone: the events just after midnight Shanghai time.
        var march = await Overview(secretary, "from=2026-03-01&to=2026-03-01");
        Assert.Equal((0.0, 0, 1), RateOf(march.GetProperty("total").GetProperty("rates"), "onTime"));
        Assert.Equal((0.0, 0, 1), RateOf(march.GetProperty("total").GetProperty("rates"), "resolution"));
    }

    [Fact]
    public async Task AnEmptyPeriodGivesNullRatesWithZeroCounts()
    {
        await using var app = new EcoAidApp(fixture);
        var world = new World(app);
        var (cityId, branchId) = await world.BranchAsync();
        await world.EnterpriseAsync(branchId);
        var secretary = await world.UserAsync("secretary", cityId, branchId);

        var stats = await Overview(secretary, "from=2025-06-01&to=2025-06-30");

        foreach (var name in new[] { "response", "onTime", "resolution", "satisfaction" })
        {
            Assert.Equal((null, 0, 0), RateOf(stats.GetProperty("total").GetProperty("rates"), name));
        }
        Assert.Equal(0, stats.GetProperty("total").GetProperty("submitted").GetInt32());
        Assert.All(stats.GetProperty("total").GetProperty("byCategory").EnumerateArray(), x => Assert.Equal(0, x.GetProperty("count").GetInt32()));
        await ProblemAssert.IsProblemAsync(await secretary.GetAsync("/api/stats/overview?from=2026-02-10&to=2026-02-01", Ct), HttpStatusCode.BadRequest, "validation.failed");
        await ProblemAssert.IsProblemAsync(await secretary.GetAsync("/api/stats/overview?from=2026-2-1", Ct), HttpStatusCode.BadRequest, "validation.failed");
        // Dates far outside the programme's years are refused, not computed (0001-01-01 and 9999-12-31 once answered 500).
        await ProblemAssert.IsProblemAsync(await secretary.GetAsync("/api/stats/overview?from=0001-01-01&to=0001-01-31", Ct), HttpStatusCode.BadRequest, "validation.failed");
        await ProblemAssert.IsProblemAsync(await secretary.GetAsync("/api/stats/overview?from=9999-12-01&to=9999-12-31", Ct), HttpStatusCode.BadRequest, "validation.failed");
    }

    [Fact]
    public async Task RatesFollowTheWorkflowThroughAnApprovedExtensionAndTheEnterprisesRatings()
    {
        await using var app = new EcoAidApp(fixture);
        var w = await DemandWorld.CreateAsync(app);
        var extended = await w.SubmitAsync();
        var late = await w.SubmitAsync();
        foreach (var (id, due) in new[] { (extended, "2026-03-02"), (late, "2026-03-03") })
        {
            await DemandWorld.Expect(HttpStatusCode.OK, await w.Commissioner.PostAsJsonAsync($"/api/demands/{id}/accept", new
            {
                objective = "完成整改", measures = new[] { "现场指导" }, ownerMemberId = w.OwnerMemberId, dueDate = due,
            }, Ct));
        }
        await DemandWorld.Expect(HttpStatusCode.OK, await w.Owner.PostAsJsonAsync($"/api/demands/{extended}/extension", new { dueDate = "2026-03-10", reason = "等设备" }, Ct));
        await DemandWorld.Expect(HttpStatusCode.OK, await w.Commissioner.PostAsJsonAsync($"/api/demands/{extended}/extension/approve", new { }, Ct));
        app.Clock.SetUtcNow(Crafted.Shanghai(2026, 3, 5, 10, 0));
        foreach (var id in new[] { extended, late })
        {
            await DemandWorld.Expect(HttpStatusCode.OK, await w.Owner.PostAsJsonAsync($"/api/demands/{id}/resolve", new { summary = "已整改" }, Ct));
        }
        await DemandWorld.Expect(HttpStatusCode.OK, await w.Staff.PostAsJsonAsync($"/api/demands/{extended}/confirm", new { solved = true, satisfaction = 5 }, Ct));
        await DemandWorld.Expect(HttpStatusCode.OK, await w.Staff.PostAsJsonAsync($"/api/demands/{late}/confirm", new { solved = false, satisfaction = 2 }, Ct));

        var rates = (await Overview(w.Secretary, "from=2026-03-01&to=2026-03-31")).GetProperty("total").GetProperty("rates");

        Assert.Equal((0.5, 1, 2), RateOf(rates, "onTime"));
        Assert.Equal((0.5, 1, 2), RateOf(rates, "resolution"));
        Assert.Equal((0.5, 1, 2), RateOf(rates, "satisfaction"));
        Assert.Equal((1.0, 2, 2), RateOf(rates, "response"));
    }

    [Fact]
    public async Task TheCitySeesEachOfItsBranchesAndTheRollUpWhileASecretarySeesTheirOwn()
    {
        await using var app = new EcoAidApp(fixture);
        var world = new World(app);
        var c = new Crafted(app);
        var city = World.Unique("市");
        var (cityId, branch1) = await world.BranchAsync(city);
        var (_, branch2) = await world.BranchAsync(city);
        var (otherCity, elsewhere) = await world.BranchAsync();
        var t = Crafted.Shanghai(2026, 2, 10);
        var e1 = await world.EnterpriseAsync(branch1);
        await c.DemandAsync(branch1, e1, t, "accepted", acceptedAt: t.AddHours(2));
        await c.DemandAsync(branch1, e1, t, "accepted", category: "credit_repair", acceptedAt: t.AddHours(3));
        var e2 = await world.EnterpriseAsync(branch2);
        await c.DemandAsync(branch2, e2, t);
        var e3 = await world.EnterpriseAsync(elsewhere);
        await c.DemandAsync(elsewhere, e3, t);
        var viewer = await world.UserAsync("city_viewer", cityId, branch1);
        var secretary1 = await world.UserAsync("secretary", cityId, branch1);

        var cityStats = await Overview(viewer, "from=2026-02-01&to=2026-02-28");

        Assert.Equal(new[] { branch1, branch2 }, cityStats.GetProperty("branches").EnumerateArray().Select(b => b.GetProperty("branchId").GetInt64()).ToArray());
        Assert.Equal(3, cityStats.GetProperty("total").GetProperty("submitted").GetInt32());
        Assert.Equal((0.6667, 2, 3), RateOf(cityStats.GetProperty("total").GetProperty("rates"), "response"));
        var second = cityStats.GetProperty("branches")[1].GetProperty("summary");
        Assert.Equal((0.0, 0, 1), RateOf(second.GetProperty("rates"), "response"));

        var own = await Overview(secretary1, "from=2026-02-01&to=2026-02-28");
        Assert.Equal([branch1], own.GetProperty("branches").EnumerateArray().Select(b => b.GetProperty("branchId").GetInt64()).ToArray());
        Assert.Equal((1.0, 2, 2), RateOf(own.GetProperty("total").GetProperty("rates"), "response"));
        var one = await Overview(viewer, $"from=2026-02-01&to=2026-02-28&branchId={branch2}");
        Assert.Equal(1, one.GetProperty("total").GetProperty("submitted").GetInt32());

        await ProblemAssert.IsProblemAsync(await viewer.GetAsync($"/api/stats/overview?branchId={elsewhere}", Ct), HttpStatusCode.NotFound, "not_found");
        await ProblemAssert.IsProblemAsync(await secretary1.GetAsync($"/api/stats/overview?branchId={branch2}", Ct), HttpStatusCode.NotFound, "not_found");
        Assert.NotEqual(otherCity, cityId);
    }

    [Fact]
    public async Task TheMonthlyReportSaysWhatWasCollectedAndListsItInShanghaiMonths()
    {
        await using var app = new EcoAidApp(fixture, start: Crafted.Shanghai(2026, 2, 28, 18, 0));
        var world = new World(app);
        var c = new Crafted(app);
        var (cityId, branchId) = await world.BranchAsync();
        var e = await world.EnterpriseAsync(branchId);
        var t = Crafted.Shanghai(2026, 1, 15);
        var closed = await c.DemandAsync(branchId, e, t, "closed", acceptedAt: t.AddHours(1), due: new DateOnly(2026, 2, 10), satisfaction: 5, title: "一月的诉求");
        await c.EventAsync(closed, "resolved", Crafted.Shanghai(2026, 2, 5), Crafted.Resolution("2026-02-10"));
        await c.EventAsync(closed, "confirmed", Crafted.Shanghai(2026, 2, 6), Crafted.Confirmation(true, 5));
        await c.DemandAsync(branchId, e, Crafted.Shanghai(2026, 2, 3), "accepted", acceptedAt: Crafted.Shanghai(2026, 2, 3, 2, 0), due: new DateOnly(2026, 4, 1));
        await c.DemandAsync(branchId, e, Crafted.Shanghai(2026, 2, 28, 23, 30), category: "credit_repair", title: "二月最后的诉求");
        await c.DemandAsync(branchId, e, Crafted.Shanghai(2026, 3, 1, 0, 30), category: "eia_approval", title: "三月的诉求");
        // A visit recorded on February 28 counts; one recorded in March for February 28 had not been recorded at the month's end.
        await c.VisitAsync(branchId, e, new DateOnly(2026, 2, 28));
        app.Clock.SetUtcNow(Crafted.Shanghai(2026, 3, 2, 9, 0));
        await c.VisitAsync(branchId, e, new DateOnly(2026, 2, 28));
        var secretary = await world.UserAsync("secretary", cityId, branchId);

        var response = await secretary.GetAsync("/api/stats/monthly-report?month=2026-02", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("monthly-report-2026-02.xlsx", response.Content.Headers.ContentDisposition?.FileName);
        var workbook = Xlsx.Open(await response.Content.ReadAsByteArrayAsync(Ct));
        var sheets = workbook.Select(s => s.Table).ToList();

        Assert.Equal(["月报", "分类统计", "典型案例", "诉求清单"], workbook.Select(s => s.Name).ToArray());
        Assert.EndsWith("生态润百企工作月报（2026年2月）", workbook[0].TitleBlock[0]);
        Assert.Equal("统计时点：截至2026年2月28日", workbook[0].TitleBlock[1]);
        var report = sheets[0].ToDictionary(r => r[0], r => r[1]);
        Assert.Equal("截至2026年2月28日，共收集 2 类 3 个问题，其中污染治理 2 个、信用修复 1 个；已办结 1 个、办理中 1 个、待受理 1 个。支部认领 1 个、移交相关科室 0 个，无逾期问题。",
            report["总体情况"]);
        Assert.Equal("2026年2月新收集问题 2 个（污染治理 1 个、信用修复 1 个），收集方式为小程序 2 个；认领 1 个、移交 0 个，办结 1 个。" +
            "送政策资料清单 0 份（企业已阅 0 份），回访督查 1 次（其中专家上门 0 次），召开会商会 0 次。", report["本月情况"]);
        Assert.Equal("100%（1/1）", report["响应率"]);
        Assert.Equal("100%（1/1）", report["按期办结率"]);
        Assert.Equal("100%（1/1）", report["满意率"]);
        Assert.Equal(["污染治理", "2", "1", "0", "1", "0", "0", "0", "0"], sheets[1][1]);
        Assert.Equal(["合计", "3", "1", "0", "1", "1", "0", "0", "0"], sheets[1][^1]);
        // The list: February's new demands up to February 28 (Shanghai) in order, the one of March 1, 00:30 not among them; then
        // January's demand closed in February.
        Assert.Equal(["造数诉求", "二月最后的诉求", "一月的诉求"], sheets[3].Skip(1).Select(r => r[6].Split('：')[0]).ToArray());
        Assert.Equal(["本月新收集", "本月新收集", "本月办结"], sheets[3].Skip(1).Select(r => r[12]).ToArray());
        Assert.Equal(("2026-04-01", "办理中"), (sheets[3][1][10], sheets[3][1][11]));
        Assert.Equal("已办结", sheets[3][3][11]);
        Assert.Equal(["统计时点：截至2026年2月28日", "本表列出本月新收集的诉求 2 件，以及此前收集、本月办结的诉求 1 件。全部诉求的逐件情况请在后台「诉求清单」页查询。"],
            workbook[3].TitleBlock.Skip(1).ToArray());

        var empty = Xlsx.Read(await (await secretary.GetAsync("/api/stats/monthly-report?month=2025-12", Ct)).Content.ReadAsByteArrayAsync(Ct));
        Assert.Equal("截至2025年12月31日，尚未收集企业诉求问题。", empty[0].Single(r => r[0] == "总体情况")[1]);
        Assert.Equal("—（本月无数据）", empty[0].Single(r => r[0] == "满意率")[1]);
        await ProblemAssert.IsProblemAsync(await secretary.GetAsync("/api/stats/monthly-report?format=pdf", Ct), HttpStatusCode.BadRequest, "validation.failed");
    }
}
