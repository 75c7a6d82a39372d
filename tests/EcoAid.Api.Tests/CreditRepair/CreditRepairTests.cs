using System.Net;
using System.Net.Http.Json;
using Dapper;
using EcoAid.Api.Features.CreditRepair;
using EcoAid.Api.Tests.Demands;
using EcoAid.Api.Tests.Infrastructure;
using EcoAid.Api.Tests.Notifications;

namespace EcoAid.Api.Tests.CreditRepair;

public class CreditRepairDateTests
{
    private static readonly CreditRepairRule Ordinary = new(1, "ndrc-2023-ordinary", "全国", "ordinary", 3, 12, "NDRC", new DateOnly(2023, 5, 1));
    private static readonly CreditRepairRule Serious = new(2, "ndrc-2023-serious", "全国", "serious", 12, 36, "NDRC", new DateOnly(2023, 5, 1));

    [Theory]
    // Ordinary: three months' shortest publication, one year's publication.
    [InlineData(false, "2024-03-15", "2024-06-15", "2025-03-14")]
    [InlineData(false, "2024-01-31", "2024-04-30", "2025-01-30")]
    [InlineData(false, "2024-11-30", "2025-02-28", "2025-11-29")]
    // Serious: one year's shortest publication, three years' publication.
    [InlineData(true, "2024-03-15", "2025-03-15", "2027-03-14")]
    [InlineData(true, "2024-02-29", "2025-02-28", "2027-02-27")]
    [InlineData(true, "2023-05-01", "2024-05-01", "2026-04-30")]
    public void EachKindOfPenaltyGetsItsDates(bool serious, string decided, string earliest, string ends)
    {
        var rule = CreditRepairApi.RuleFor([Ordinary, Serious], serious, DateOnly.Parse(decided))!;
        Assert.Equal(serious ? "serious" : "ordinary", rule.Severity);
        var dates = CreditRepairApi.DatesFor(rule, DateOnly.Parse(decided));
        Assert.Equal(DateOnly.Parse(earliest), dates.EarliestRepairOn);
        Assert.Equal(DateOnly.Parse(ends), dates.PublicationEndsOn);
    }

    [Fact]
    public void AStricterProvincialRuleInForceWinsAndOneNotYetInForceDoesNot()
    {
        var provincial = new CreditRepairRule(3, "province-ordinary", "某省", "ordinary", 6, 12, "某省规定", new DateOnly(2025, 1, 1));
        Assert.Equal("province-ordinary", CreditRepairApi.RuleFor([Ordinary, Serious, provincial], false, new DateOnly(2025, 1, 1))!.Code);
        Assert.Equal("ndrc-2023-ordinary", CreditRepairApi.RuleFor([Ordinary, Serious, provincial], false, new DateOnly(2024, 12, 31))!.Code);
        Assert.Null(CreditRepairApi.RuleFor([Ordinary, Serious], false, new DateOnly(2023, 4, 30)));
    }
}

public class CreditRepairTests(EcoAidFixture fixture) : IClassFixture<EcoAidFixture>
{
    // These tests move the clock by weeks or years; the logins made at the start must outlive that.
    private static void LongSessions(IDictionary<string, string?> settings) => settings["Auth:SessionLifetime"] = "3650.00:00:00";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static object Penalty(string decidedOn, bool serious = false, bool paid = true) =>
        new { decisionNumber = "邳环罚〔2025〕测试1号", decidedOn, serious, finePaid = paid, obligationsFulfilled = true };

    [Fact]
    public async Task APenaltyOnACreditRepairDemandGivesItsDatesChecklistAndAReminderOnTheEarliestDay()
    {
        await using var app = new EcoAidApp(fixture, LongSessions);
        var w = await DemandWorld.CreateAsync(app);
        var id = await w.SubmitAsync(new { category = "credit_repair", title = "申请环境信用修复", description = "去年的处罚已履行完毕，希望了解修复条件。" });

        // The rules come from the data, each with its source.
        var rules = await DemandWorld.Expect(HttpStatusCode.OK, await w.Liaison.GetAsync("/api/credit-repair/rules", Ct));
        Assert.Contains(rules.EnumerateArray(), r => r.GetProperty("source").GetString()!.Contains("国家发展改革委令第58号"));

        var view = await DemandWorld.Expect(HttpStatusCode.OK, await w.Liaison.PutAsJsonAsync($"/api/demands/{id}/credit-repair", Penalty("2026-01-31"), Ct));
        Assert.Equal("2026-04-30", view.GetProperty("earliestRepairOn").GetString());
        Assert.Equal("2027-01-30", view.GetProperty("publicationEndsOn").GetString());
        Assert.False(view.GetProperty("canApplyNow").GetBoolean());
        Assert.Equal(5, view.GetProperty("checklist").GetArrayLength());

        var ticked = await DemandWorld.Expect(HttpStatusCode.OK, await w.Liaison.PostAsJsonAsync($"/api/demands/{id}/credit-repair/checklist",
            new { code = "commitment", done = true }, Ct));
        Assert.Contains(ticked.GetProperty("checklist").EnumerateArray(), c => c.GetProperty("code").GetString() == "commitment" && c.GetProperty("done").GetBoolean());
        await ProblemAssert.IsProblemAsync(await w.Liaison.PostAsJsonAsync($"/api/demands/{id}/credit-repair/checklist", new { code = "credit_report", done = true }, Ct),
            HttpStatusCode.BadRequest, "validation.failed");

        // The day before the earliest date nothing; on it, the liaison is reminded once, and the enterprise sees it may apply.
        app.Clock.SetUtcNow(new DateTimeOffset(2026, 4, 29, 2, 0, 0, TimeSpan.Zero));
        await app.Scheduler().ProduceDueAsync(Ct);
        Assert.DoesNotContain(await w.OutboxAsync(id), o => o.Kind == CreditRepairReminders.Eligible);
        Assert.False((await DemandWorld.Expect(HttpStatusCode.OK, await w.Staff.GetAsync($"/api/demands/{id}/credit-repair", Ct))).GetProperty("canApplyNow").GetBoolean());
        app.Clock.SetUtcNow(new DateTimeOffset(2026, 4, 30, 2, 0, 0, TimeSpan.Zero));
        await app.Scheduler().ProduceDueAsync(Ct);
        await app.Scheduler().ProduceDueAsync(Ct);
        Assert.Single(await w.OutboxAsync(id), o => o.Kind == CreditRepairReminders.Eligible && o.Type == "member" && o.Id == w.LiaisonMemberId);
        Assert.True((await DemandWorld.Expect(HttpStatusCode.OK, await w.Staff.GetAsync($"/api/demands/{id}/credit-repair", Ct))).GetProperty("canApplyNow").GetBoolean());

        // An unpaid fine is a blocker whatever the date; a serious case needs the extra material.
        var unpaid = await DemandWorld.Expect(HttpStatusCode.OK, await w.Liaison.PutAsJsonAsync($"/api/demands/{id}/credit-repair", Penalty("2025-01-15", serious: true, paid: false), Ct));
        Assert.Equal("2026-01-15", unpaid.GetProperty("earliestRepairOn").GetString());
        Assert.Equal("2028-01-14", unpaid.GetProperty("publicationEndsOn").GetString());
        Assert.Contains(unpaid.GetProperty("blockers").EnumerateArray(), b => b.GetString() == "罚款尚未缴清");
        Assert.Equal(6, unpaid.GetProperty("checklist").GetArrayLength());
        Assert.Contains((await w.DetailAsync(w.Commissioner, id)).GetProperty("timeline").EnumerateArray(), e => e.GetProperty("kind").GetString() == "credit_repair_recorded");
        var recorded = await AuditLook.OfBranchAsync(app, w.BranchId, "credit_repair_recorded");
        Assert.Equal(2, recorded.Count(e => e.SubjectId() == id));
        Assert.Contains(recorded, e => e.GetProperty("detail").GetProperty("serious").GetBoolean() && !e.GetProperty("detail").GetProperty("finePaid").GetBoolean());
        Assert.Contains(await AuditLook.OfBranchAsync(app, w.BranchId, "credit_repair_material_ticked"), e => e.SubjectId() == id);
    }

    [Fact]
    public async Task OnlyACreditRepairDemandTakesAPenaltyAndOnlyWithinReach()
    {
        await using var app = new EcoAidApp(fixture, LongSessions);
        var w = await DemandWorld.CreateAsync(app);
        var other = await w.SubmitAsync();
        await ProblemAssert.IsProblemAsync(await w.Liaison.PutAsJsonAsync($"/api/demands/{other}/credit-repair", Penalty("2026-01-10"), Ct),
            HttpStatusCode.Conflict, "credit_repair.wrong_category");
        var id = await w.SubmitAsync(new { category = "credit_repair", title = "信用修复", description = "请指导信用修复。" });
        var stranger = await DemandWorld.CreateAsync(app);
        await ProblemAssert.IsProblemAsync(await stranger.Commissioner.PutAsJsonAsync($"/api/demands/{id}/credit-repair", Penalty("2026-01-10"), Ct),
            HttpStatusCode.NotFound, "not_found");
        await ProblemAssert.IsProblemAsync(await stranger.Staff.GetAsync($"/api/demands/{id}/credit-repair", Ct), HttpStatusCode.NotFound, "not_found");
        await using var db = await app.OpenDatabaseAsync();
        Assert.Equal(0, await db.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM credit_repair_cases WHERE demand_id IN @ids", new { ids = new[] { id, other } }));
    }
}
