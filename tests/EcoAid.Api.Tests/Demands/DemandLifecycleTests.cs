using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using EcoAid.Api.Tests.Infrastructure;

namespace EcoAid.Api.Tests.Demands;

public class DemandLifecycleTests(EcoAidFixture fixture) : IClassFixture<EcoAidFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string[] Kinds(JsonElement detail) =>
        detail.GetProperty("timeline").EnumerateArray().Select(e => e.GetProperty("kind").GetString()!).ToArray();

    [Fact]
    public async Task ClaimedDemandRunsFromSubmissionToRating()
    {
        await using var app = new EcoAidApp(fixture);
        var w = await DemandWorld.CreateAsync(app);

        var submitted = await DemandWorld.Expect(HttpStatusCode.Created, await w.Staff.PostAsJsonAsync("/api/demands", DemandWorld.NewDemand(), Ct));
        var id = submitted.GetProperty("id").GetInt64();
        Assert.Equal("submitted", submitted.GetProperty("status").GetString());
        Assert.Matches(@"^SQ\d{4}-\d{4}$", submitted.GetProperty("number").GetString());

        var accepted = await DemandWorld.Expect(HttpStatusCode.OK, await w.Commissioner.PostAsJsonAsync($"/api/demands/{id}/accept", w.ClaimPlan(), Ct));
        Assert.Equal("accepted", accepted.GetProperty("status").GetString());
        Assert.Equal(w.OwnerMemberId, accepted.GetProperty("owner").GetProperty("id").GetInt64());
        Assert.Equal(3, accepted.GetProperty("measures").GetArrayLength());

        await DemandWorld.Expect(HttpStatusCode.OK, await w.Owner.PostAsJsonAsync($"/api/demands/{id}/progress",
            new { kind = "onsite", text = "已到现场指导危废暂存间设置", visibility = "public" }, Ct));
        await DemandWorld.Expect(HttpStatusCode.OK, await w.Owner.PostAsJsonAsync($"/api/demands/{id}/progress",
            new { kind = "note", text = "企业负责人配合度一般，需再跟进", visibility = "internal" }, Ct));
        await DemandWorld.Expect(HttpStatusCode.OK, await w.Commissioner.PostAsJsonAsync($"/api/demands/{id}/urge", new { text = "请本周内完成" }, Ct));
        await DemandWorld.Expect(HttpStatusCode.OK, await w.Owner.PostAsJsonAsync($"/api/demands/{id}/resolve", new { summary = "暂存间已按标准整改，台账已建立" }, Ct));
        var closed = await DemandWorld.Expect(HttpStatusCode.OK, await w.Staff.PostAsJsonAsync($"/api/demands/{id}/confirm",
            new { solved = true, satisfaction = 5, comment = "非常及时" }, Ct));

        Assert.Equal("closed", closed.GetProperty("status").GetString());
        Assert.Equal(5, closed.GetProperty("rating").GetProperty("satisfaction").GetInt32());
        Assert.Equal(["submitted", "claimed", "onsite", "resolved", "confirmed"], Kinds(closed)); // staff see public events only
        var inside = await w.DetailAsync(w.Commissioner, id);
        Assert.Equal(["submitted", "claimed", "onsite", "note", "urged", "resolved", "confirmed"], Kinds(inside));

        var staffUser = await w.UserIdOfAsync(w.Staff);
        var outbox = await w.OutboxAsync(id);
        Assert.Contains(("demand_submitted", "member", w.LiaisonMemberId), outbox);
        Assert.Contains(outbox, o => o.Kind == "demand_submitted" && o.Type == "member" && o.Id != w.LiaisonMemberId); // the commissioner
        Assert.Contains(("demand_assigned", "member", w.OwnerMemberId), outbox);
        Assert.Contains(("demand_accepted", "user", staffUser), outbox);
        Assert.Single(outbox, o => o.Kind == "demand_progress"); // the public progress only
        Assert.Contains(("demand_urged", "member", w.OwnerMemberId), outbox);
        Assert.Contains(("demand_resolved", "user", staffUser), outbox);
    }

    [Fact]
    public async Task TransferredDemandIsWorkedByTheDepartmentLiaison()
    {
        await using var app = new EcoAidApp(fixture);
        var w = await DemandWorld.CreateAsync(app);
        var id = await w.SubmitAsync(new { category = "credit_repair", title = "环境信用修复", description = "去年因危废台账问题被扣分，申请信用修复指导。" });

        var transferred = await DemandWorld.Expect(HttpStatusCode.OK, await w.Commissioner.PostAsJsonAsync($"/api/demands/{id}/accept", new
        {
            objective = "完成环境信用修复", measures = new[] { "法制宣传科指导线上申报" }, departmentId = w.DepartmentId, dueDate = "2026-06-30",
        }, Ct));
        Assert.Equal(w.DepartmentId, transferred.GetProperty("department").GetProperty("id").GetInt64());
        var liaisonUser = await w.UserIdOfAsync(w.DepartmentLiaison);
        Assert.Contains(("demand_transferred", "user", liaisonUser), await w.OutboxAsync(id));

        // The member who is neither owner nor liaison of this enterprise does not see it; the department liaison does.
        await ProblemAssert.IsProblemAsync(await w.Owner.GetAsync($"/api/demands/{id}", Ct), HttpStatusCode.NotFound, "not_found");
        await DemandWorld.Expect(HttpStatusCode.OK, await w.DepartmentLiaison.PostAsJsonAsync($"/api/demands/{id}/progress",
            new { kind = "progress", text = "已指导企业在信用中国网站提交修复申请", visibility = "public" }, Ct));
        var resolved = await DemandWorld.Expect(HttpStatusCode.OK, await w.DepartmentLiaison.PostAsJsonAsync($"/api/demands/{id}/resolve",
            new { summary = "信用修复已完成" }, Ct));
        Assert.Equal("resolved", resolved.GetProperty("status").GetString());
    }

    [Fact]
    public async Task UnsolvedConfirmationReopensAndTakesANewDueDate()
    {
        await using var app = new EcoAidApp(fixture);
        var w = await DemandWorld.CreateAsync(app);
        var id = await w.ResolvedAsync();

        var reopened = await DemandWorld.Expect(HttpStatusCode.OK, await w.Staff.PostAsJsonAsync($"/api/demands/{id}/confirm",
            new { solved = false, satisfaction = 2, comment = "台账仍不会填" }, Ct));
        Assert.Equal("accepted", reopened.GetProperty("status").GetString());
        Assert.Equal(1, reopened.GetProperty("reopenCount").GetInt32());

        var rescheduled = await DemandWorld.Expect(HttpStatusCode.OK, await w.Commissioner.PostAsJsonAsync($"/api/demands/{id}/due-date",
            new { dueInWorkingDays = 5, reason = "重办" }, Ct));
        Assert.NotEqual(JsonValueKind.Null, rescheduled.GetProperty("dueDate").ValueKind);
        await DemandWorld.Expect(HttpStatusCode.OK, await w.Owner.PostAsJsonAsync($"/api/demands/{id}/resolve", new { summary = "再次上门手把手指导台账" }, Ct));
        var closed = await DemandWorld.Expect(HttpStatusCode.OK, await w.Staff.PostAsJsonAsync($"/api/demands/{id}/confirm",
            new { solved = true, satisfaction = 4 }, Ct));
        Assert.Equal("closed", closed.GetProperty("status").GetString());
        Assert.Contains("reopened", Kinds(closed));
    }

    [Fact]
    public async Task ReturnedAndWithdrawnDemandsEnd()
    {
        await using var app = new EcoAidApp(fixture);
        var w = await DemandWorld.CreateAsync(app);
        var notOurs = await w.SubmitAsync();
        var changedMind = await w.AcceptedAsync();

        var returned = await DemandWorld.Expect(HttpStatusCode.OK, await w.Commissioner.PostAsJsonAsync($"/api/demands/{notOurs}/return",
            new { reason = "属于住建部门职责，已告知企业咨询渠道" }, Ct));
        var withdrawn = await DemandWorld.Expect(HttpStatusCode.OK, await w.Staff.PostAsJsonAsync($"/api/demands/{changedMind}/withdraw",
            new { reason = "企业已自行解决" }, Ct));

        Assert.Equal("returned", returned.GetProperty("status").GetString());
        Assert.Equal("属于住建部门职责，已告知企业咨询渠道", returned.GetProperty("closingReason").GetString());
        Assert.Equal("withdrawn", withdrawn.GetProperty("status").GetString());
    }

    [Fact]
    public async Task ExtensionIsRequestedThenApprovedOrRejected()
    {
        await using var app = new EcoAidApp(fixture);
        var w = await DemandWorld.CreateAsync(app);
        var id = await w.AcceptedAsync();
        var due = DateOnly.Parse((await w.DetailAsync(w.Commissioner, id)).GetProperty("dueDate").GetString()!);

        await DemandWorld.Expect(HttpStatusCode.OK, await w.Owner.PostAsJsonAsync($"/api/demands/{id}/extension",
            new { dueDate = due.AddDays(14), reason = "等待专家排期" }, Ct));
        await ProblemAssert.IsProblemAsync(await w.Owner.PostAsJsonAsync($"/api/demands/{id}/extension",
            new { dueDate = due.AddDays(20), reason = "再延" }, Ct), HttpStatusCode.Conflict, "demand.extension_pending");
        Assert.Contains("extension_requested", (await w.OutboxAsync(id)).Select(o => o.Kind));
        var approved = await DemandWorld.Expect(HttpStatusCode.OK, await w.Commissioner.PostAsJsonAsync($"/api/demands/{id}/extension/approve", new { }, Ct));
        Assert.Equal(due.AddDays(14).ToString("yyyy-MM-dd"), approved.GetProperty("dueDate").GetString());

        await DemandWorld.Expect(HttpStatusCode.OK, await w.Owner.PostAsJsonAsync($"/api/demands/{id}/extension",
            new { dueDate = due.AddDays(30), reason = "还要再等" }, Ct));
        var rejected = await DemandWorld.Expect(HttpStatusCode.OK, await w.Commissioner.PostAsJsonAsync($"/api/demands/{id}/extension/reject",
            new { comment = "请按期完成" }, Ct));
        Assert.Equal(due.AddDays(14).ToString("yyyy-MM-dd"), rejected.GetProperty("dueDate").GetString());
        await ProblemAssert.IsProblemAsync(await w.Commissioner.PostAsJsonAsync($"/api/demands/{id}/extension/approve", new { }, Ct),
            HttpStatusCode.Conflict, "demand.no_extension_pending");
        // The enterprise sees the approved new deadline, not the internal request or the refusal.
        var kinds = Kinds(await w.DetailAsync(w.Staff, id));
        Assert.Contains("extension_approved", kinds);
        Assert.DoesNotContain("extension_requested", kinds);
        Assert.DoesNotContain("extension_rejected", kinds);
    }

    [Fact]
    public async Task ActionsNotAllowedInTheCurrentStateAre409()
    {
        await using var app = new EcoAidApp(fixture);
        var w = await DemandWorld.CreateAsync(app);
        var submitted = await w.SubmitAsync();
        var accepted = await w.AcceptedAsync();
        var resolved = await w.ResolvedAsync();
        var closed = await w.ResolvedAsync();
        await DemandWorld.Expect(HttpStatusCode.OK, await w.Staff.PostAsJsonAsync($"/api/demands/{closed}/confirm", new { solved = true, satisfaction = 5 }, Ct));

        var attempts = new (HttpClient Client, long Id, string Action, object Body)[]
        {
            (w.Commissioner, submitted, "resolve", new { summary = "x" }),
            (w.Staff, submitted, "confirm", new { solved = true, satisfaction = 5 }),
            (w.Commissioner, submitted, "urge", new { text = "x" }),
            (w.Commissioner, accepted, "accept", w.ClaimPlan()),
            (w.Commissioner, accepted, "return", new { reason = "x" }),
            (w.Staff, accepted, "confirm", new { solved = true, satisfaction = 5 }),
            (w.Owner, resolved, "resolve", new { summary = "x" }),
            (w.Owner, resolved, "progress", new { kind = "note", text = "x", visibility = "internal" }),
            (w.Commissioner, closed, "accept", w.ClaimPlan()),
            (w.Staff, closed, "withdraw", new { }),
            (w.Commissioner, closed, "due-date", new { dueInWorkingDays = 3 }),
        };
        foreach (var (client, id, action, body) in attempts)
        {
            await ProblemAssert.IsProblemAsync(await client.PostAsJsonAsync($"/api/demands/{id}/{action}", body, Ct),
                HttpStatusCode.Conflict, "demand.invalid_transition");
        }
    }

    [Fact]
    public async Task TwoCommissionersAcceptingAtOnceCannotBothWin()
    {
        await using var app = new EcoAidApp(fixture);
        var w = await DemandWorld.CreateAsync(app);
        for (var round = 0; round < 5; round++)
        {
            var id = await w.SubmitAsync();
            var responses = await Task.WhenAll(
                w.Commissioner.PostAsJsonAsync($"/api/demands/{id}/accept", w.ClaimPlan(), Ct),
                w.Secretary.PostAsJsonAsync($"/api/demands/{id}/accept", w.ClaimPlan(3), Ct));

            Assert.Single(responses, r => r.StatusCode == HttpStatusCode.OK);
            Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Conflict);
            var kinds = Kinds(await w.DetailAsync(w.Commissioner, id));
            Assert.Single(kinds, k => k == "claimed");
        }
    }

    [Fact]
    public async Task OnlyTheOwnerResolvesAndOnlyTheEnterpriseConfirms()
    {
        await using var app = new EcoAidApp(fixture);
        var w = await DemandWorld.CreateAsync(app);
        var id = await w.AcceptedAsync();

        await ProblemAssert.IsProblemAsync(await w.Liaison.PostAsJsonAsync($"/api/demands/{id}/resolve", new { summary = "x" }, Ct),
            HttpStatusCode.Forbidden, "demand.not_owner");
        await ProblemAssert.IsProblemAsync(await w.Staff.PostAsJsonAsync($"/api/demands/{id}/resolve", new { summary = "x" }, Ct),
            HttpStatusCode.Forbidden, "auth.forbidden");
        await ProblemAssert.IsProblemAsync(await w.Commissioner.PostAsJsonAsync($"/api/demands/{id}/confirm", new { solved = true, satisfaction = 5 }, Ct),
            HttpStatusCode.Forbidden, "auth.forbidden");
    }
}
