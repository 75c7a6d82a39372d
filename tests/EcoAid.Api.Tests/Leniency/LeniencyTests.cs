using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using EcoAid.Api.Features.Leniency;
using EcoAid.Api.Tests.Demands;
using EcoAid.Api.Tests.Infrastructure;
using EcoAid.Api.Tests.Notifications;

namespace EcoAid.Api.Tests.Leniency;

public class LeniencyTests(EcoAidFixture fixture) : IClassFixture<EcoAidFixture>
{
    // These tests move the clock by weeks or years; the logins made at the start must outlive that.
    private static void LongSessions(IDictionary<string, string?> settings) => settings["Auth:SessionLifetime"] = "3650.00:00:00";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(long Id, string[] Conditions)> ItemAsync(HttpClient client)
    {
        var items = await DemandWorld.Expect(HttpStatusCode.OK, await client.GetAsync("/api/leniency/items", Ct));
        var item = items.EnumerateArray().First(i => i.GetProperty("code").GetString() == "example-hw-label");
        Assert.True(item.GetProperty("isExample").GetBoolean());
        Assert.Contains("示例", item.GetProperty("source").GetString());
        return (item.GetProperty("id").GetInt64(), item.GetProperty("conditions").EnumerateArray().Select(c => c.GetProperty("code").GetString()!).ToArray());
    }

    private static object Check(long enterpriseId, long itemId, string[] met, string violationOn, string harm = "minor", string? rectifyBy = "2026-03-20",
        long? demandId = null) =>
        new { enterpriseId, itemId, violationOn, harm, corrected = true, conditionsMet = met, rectifyBy, demandId };

    [Theory]
    [InlineData(364, "not_eligible")]
    [InlineData(366, "may_waive")]
    public async Task AFindingWithinTwelveMonthsMakesItNoFirstViolation(int daysBefore, string outcome)
    {
        await using var app = new EcoAidApp(fixture, LongSessions);
        var w = await DemandWorld.CreateAsync(app);
        var (itemId, met) = await ItemAsync(w.Liaison);
        var on = new DateOnly(2026, 3, 1);
        await DemandWorld.Expect(HttpStatusCode.Created, await w.Liaison.PostAsJsonAsync("/api/leniency/checks",
            Check(w.EnterpriseId, itemId, met, on.AddDays(-daysBefore).ToString("yyyy-MM-dd"), rectifyBy: on.AddDays(-daysBefore + 10).ToString("yyyy-MM-dd")), Ct));

        var check = await DemandWorld.Expect(HttpStatusCode.Created, await w.Liaison.PostAsJsonAsync("/api/leniency/checks", Check(w.EnterpriseId, itemId, met, "2026-03-01"), Ct));

        Assert.Equal(outcome, check.GetProperty("outcome").GetString());
        Assert.Equal(daysBefore > 365, check.GetProperty("firstViolation").GetBoolean());
        Assert.Equal(daysBefore > 365 ? 0 : 1, check.GetProperty("priorRecords").GetArrayLength());
        Assert.Contains("第三十三条", check.GetProperty("reasoning").GetString());
    }

    [Fact]
    public async Task NoHarmMeansNoPenaltyEvenAfterAPriorFindingButMissingConditionsDoNot()
    {
        await using var app = new EcoAidApp(fixture, LongSessions);
        var w = await DemandWorld.CreateAsync(app);
        var (itemId, met) = await ItemAsync(w.Liaison);
        await DemandWorld.Expect(HttpStatusCode.Created, await w.Liaison.PostAsJsonAsync("/api/leniency/checks", Check(w.EnterpriseId, itemId, met, "2026-01-10"), Ct));

        var none = await DemandWorld.Expect(HttpStatusCode.Created, await w.Liaison.PostAsJsonAsync("/api/leniency/checks",
            Check(w.EnterpriseId, itemId, met, "2026-03-01", harm: "none"), Ct));
        Assert.Equal("no_penalty", none.GetProperty("outcome").GetString());
        Assert.Contains("免罚不免责", none.GetProperty("reasoning").GetString());

        var partly = await DemandWorld.Expect(HttpStatusCode.Created, await w.Liaison.PostAsJsonAsync("/api/leniency/checks",
            Check(w.EnterpriseId, itemId, met[..1], "2026-03-01", harm: "none", rectifyBy: null), Ct));
        Assert.Equal("not_eligible", partly.GetProperty("outcome").GetString());

        await ProblemAssert.IsProblemAsync(await w.Liaison.PostAsJsonAsync("/api/leniency/checks",
            Check(w.EnterpriseId, itemId, met, "2026-03-01", harm: "none", rectifyBy: null), Ct), HttpStatusCode.BadRequest, "validation.failed");
    }

    [Fact]
    public async Task TheRectificationDeadlineIsTrackedOnTheDemandWithAFollowUpReminder()
    {
        await using var app = new EcoAidApp(fixture, LongSessions);
        var w = await DemandWorld.CreateAsync(app);
        var (itemId, met) = await ItemAsync(w.Liaison);
        var demandId = await w.SubmitAsync();
        var check = await DemandWorld.Expect(HttpStatusCode.Created, await w.Liaison.PostAsJsonAsync("/api/leniency/checks",
            Check(w.EnterpriseId, itemId, met, "2026-03-01", rectifyBy: "2026-03-10", demandId: demandId), Ct));
        var checkId = check.GetProperty("id").GetInt64();
        Assert.Contains((await w.DetailAsync(w.Commissioner, demandId)).GetProperty("timeline").EnumerateArray(),
            e => e.GetProperty("kind").GetString() == "leniency_checked" && e.GetProperty("visibility").GetString() == "internal");

        app.Clock.SetUtcNow(new DateTimeOffset(2026, 3, 10, 2, 0, 0, TimeSpan.Zero));
        await app.Scheduler().ProduceDueAsync(Ct);
        await app.Scheduler().ProduceDueAsync(Ct);
        await using (var db = await app.OpenDatabaseAsync())
        {
            Assert.Equal(1, await db.ExecuteScalarAsync<int>(
                "SELECT COUNT(*) FROM notification_outbox WHERE kind = @FollowUpDue AND recipient_type = 'member' AND recipient_id = @LiaisonMemberId AND payload LIKE @p",
                new { LeniencyFollowUpReminders.FollowUpDue, w.LiaisonMemberId, p = $"%\"checkId\":{checkId},%" }));
        }

        var done = await DemandWorld.Expect(HttpStatusCode.OK, await w.Liaison.PostAsJsonAsync($"/api/leniency/checks/{checkId}/follow-up", new { note = "回访核实：标识已补齐" }, Ct));
        Assert.NotEqual(JsonValueKind.Null, done.GetProperty("followedUpAt").ValueKind);
        await ProblemAssert.IsProblemAsync(await w.Liaison.PostAsJsonAsync($"/api/leniency/checks/{checkId}/follow-up", new { note = "再登记" }, Ct),
            HttpStatusCode.Conflict, "leniency.already_followed_up");

        // Out of reach: another branch's member sees neither the enterprise nor the check.
        var stranger = await DemandWorld.CreateAsync(app);
        await ProblemAssert.IsProblemAsync(await stranger.Liaison.GetAsync($"/api/leniency/checks/{checkId}", Ct), HttpStatusCode.NotFound, "not_found");
        await ProblemAssert.IsProblemAsync(await stranger.Commissioner.PostAsJsonAsync("/api/leniency/checks", Check(w.EnterpriseId, itemId, met, "2026-03-01"), Ct),
            HttpStatusCode.NotFound, "not_found");

        var checkedEvent = Assert.Single(await AuditLook.OfBranchAsync(app, w.BranchId, "leniency_checked"));
        Assert.Equal((checkId, w.EnterpriseId), (checkedEvent.SubjectId(), checkedEvent.GetProperty("detail").GetProperty("enterpriseId").GetInt64()));
        Assert.Equal(checkId, Assert.Single(await AuditLook.OfBranchAsync(app, w.BranchId, "leniency_followed_up")).SubjectId());
        Assert.Empty(await AuditLook.OfBranchAsync(app, stranger.BranchId, "leniency_checked"));
    }
}
