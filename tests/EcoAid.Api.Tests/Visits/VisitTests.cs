using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using EcoAid.Api.Features.Visits;
using EcoAid.Api.Tests.Demands;
using EcoAid.Api.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace EcoAid.Api.Tests.Visits;

public class VisitTests(EcoAidFixture fixture) : IClassFixture<EcoAidFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<long> ExpertAsync(HttpClient admin, string phone = "13611112222")
    {
        var created = await DemandWorld.Expect(HttpStatusCode.Created, await admin.PostAsJsonAsync("/api/experts",
            new { name = "周工", specialty = "喷漆房废气收集", organisation = "测试技术中心", phone }, Ct));
        return created.GetProperty("id").GetInt64();
    }

    [Fact]
    public async Task LiaisonRecordsAnExpertVisitAndItsRectificationItemsBecomeVisitDemands()
    {
        await using var app = new EcoAidApp(fixture);
        var world = new World(app);
        var (cityId, branchId) = await world.BranchAsync();
        var liaison = await world.MemberAsync(branchId, "包挂成员");
        var enterpriseId = await world.EnterpriseAsync(branchId, liaison);
        var member = await world.UserAsync("member", cityId, branchId, memberId: liaison);
        var commissioner = await world.UserAsync("commissioner", cityId, branchId);
        var admin = await world.UserAsync("admin", cityId, branchId);
        var expertId = await ExpertAsync(admin);

        var response = await member.PostAsJsonAsync("/api/visits", new
        {
            enterpriseId, visitedOn = "2026-03-02", kind = "expert",
            participants = new { memberIds = new[] { liaison }, expertIds = new[] { expertId } },
            findings = "喷漆房密闭不严，部分作业在喷漆房外进行。",
            newDemands = new object[]
            {
                new { category = "pollution_control", title = "喷漆作业移入喷漆房", description = "现场发现部分喷漆作业在喷漆房外进行，须整改。" },
                new { category = "pollution_control", title = "喷漆房密闭改造", description = "喷漆房门窗密闭不严，废气收集效率低。", urgent = true },
            },
        }, Ct);
        var visit = await DemandWorld.Expect(HttpStatusCode.Created, response);

        Assert.Equal($"/api/visits/{visit.GetProperty("id").GetInt64()}", response.Headers.Location?.OriginalString);
        Assert.Equal("expert", visit.GetProperty("kind").GetString());
        Assert.Equal("2026-03-02", visit.GetProperty("visitedOn").GetString());
        Assert.Equal(liaison, visit.GetProperty("participants").GetProperty("members")[0].GetProperty("id").GetInt64());
        var expert = visit.GetProperty("participants").GetProperty("experts")[0];
        Assert.Equal("周工", expert.GetProperty("name").GetString());
        Assert.Equal("136****2222", expert.GetProperty("phoneMasked").GetString());
        var demands = visit.GetProperty("demands").EnumerateArray().ToList();
        Assert.Equal(2, demands.Count);
        Assert.All(demands, d => Assert.Equal("submitted", d.GetProperty("status").GetString()));
        Assert.All(demands, d => Assert.Matches(@"^SQ2026-\d{4}$", d.GetProperty("number").GetString()));

        var first = await DemandWorld.Expect(HttpStatusCode.OK, await commissioner.GetAsync($"/api/demands/{demands[0].GetProperty("id").GetInt64()}", Ct));
        Assert.Equal("visit", first.GetProperty("source").GetString());
        Assert.Equal(enterpriseId, first.GetProperty("enterpriseId").GetInt64());
        Assert.Contains("专家指导中发现的整改事项", first.GetProperty("timeline")[0].GetProperty("text").GetString());
        var second = await DemandWorld.Expect(HttpStatusCode.OK, await commissioner.GetAsync($"/api/demands/{demands[1].GetProperty("id").GetInt64()}", Ct));
        Assert.True(second.GetProperty("urgent").GetBoolean());

        await using (var db = await app.OpenDatabaseAsync())
        {
            var kinds = await db.QueryAsync<(string, string, long)>(
                "SELECT kind, recipient_type, recipient_id FROM notification_outbox WHERE demand_id = @id", new { id = demands[0].GetProperty("id").GetInt64() });
            Assert.Contains(("demand_submitted", "member", liaison), kinds);
        }

        // The same visit, as the commissioner and the member read it back.
        var read = await DemandWorld.Expect(HttpStatusCode.OK, await commissioner.GetAsync(response.Headers.Location, Ct));
        Assert.Equal(2, read.GetProperty("demands").GetArrayLength());
        var list = await DemandWorld.Expect(HttpStatusCode.OK, await member.GetAsync($"/api/visits?enterpriseId={enterpriseId}&month=2026-03", Ct));
        Assert.Equal(1, list.GetProperty("total").GetInt64());
    }

    [Fact]
    public async Task AMemberSeesAndRecordsOnlyTheVisitsOfTheEnterprisesTheyAreLiaisonFor()
    {
        await using var app = new EcoAidApp(fixture);
        var world = new World(app);
        var (cityId, branchId) = await world.BranchAsync();
        var mine = await world.MemberAsync(branchId, "成员甲");
        var theirs = await world.MemberAsync(branchId, "成员乙");
        var myEnterprise = await world.EnterpriseAsync(branchId, mine);
        var otherEnterprise = await world.EnterpriseAsync(branchId, theirs);
        var member = await world.UserAsync("member", cityId, branchId, memberId: mine);
        var commissioner = await world.UserAsync("commissioner", cityId, branchId, memberId: theirs);
        var cityViewer = await world.UserAsync("city_viewer", cityId, branchId);
        object Body(long enterpriseId, long memberId) => new
        {
            enterpriseId, visitedOn = "2026-03-01", kind = "follow_up", participants = new { memberIds = new[] { memberId } }, findings = "运行正常。",
        };

        var myVisit = (await DemandWorld.Expect(HttpStatusCode.Created, await member.PostAsJsonAsync("/api/visits", Body(myEnterprise, mine), Ct))).GetProperty("id").GetInt64();
        var otherVisit = (await DemandWorld.Expect(HttpStatusCode.Created, await commissioner.PostAsJsonAsync("/api/visits", Body(otherEnterprise, theirs), Ct))).GetProperty("id").GetInt64();

        await ProblemAssert.IsProblemAsync(await member.PostAsJsonAsync("/api/visits", Body(otherEnterprise, mine), Ct), HttpStatusCode.NotFound, "not_found");
        await ProblemAssert.IsProblemAsync(await member.GetAsync($"/api/visits/{otherVisit}", Ct), HttpStatusCode.NotFound, "not_found");
        var seen = await DemandWorld.Expect(HttpStatusCode.OK, await member.GetAsync("/api/visits?pageSize=100", Ct));
        Assert.Equal([myVisit], seen.GetProperty("items").EnumerateArray().Select(v => v.GetProperty("id").GetInt64()).ToArray());

        foreach (var reader in new[] { commissioner, cityViewer })
        {
            var all = await DemandWorld.Expect(HttpStatusCode.OK, await reader.GetAsync("/api/visits?pageSize=100", Ct));
            Assert.Equal(new[] { myVisit, otherVisit }.Order(), all.GetProperty("items").EnumerateArray().Select(v => v.GetProperty("id").GetInt64()).Order());
        }
        // Another branch's commissioner does not see them.
        var (_, elsewhere) = await world.BranchAsync();
        var stranger = await world.UserAsync("commissioner", cityId, elsewhere);
        await ProblemAssert.IsProblemAsync(await stranger.GetAsync($"/api/visits/{myVisit}", Ct), HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task AVisitIsRefusedForTheFutureWithoutItsExpertOrWithSomeoneElsesMembers()
    {
        await using var app = new EcoAidApp(fixture);
        var world = new World(app);
        var (cityId, branchId) = await world.BranchAsync();
        var (_, otherBranch) = await world.BranchAsync();
        var memberId = await world.MemberAsync(branchId);
        var outsider = await world.MemberAsync(otherBranch);
        var enterpriseId = await world.EnterpriseAsync(branchId, memberId);
        var commissioner = await world.UserAsync("commissioner", cityId, branchId);
        object Body(string visitedOn, string kind, long member) => new
        {
            enterpriseId, visitedOn, kind, participants = new { memberIds = new[] { member } }, findings = "检查情况。",
        };

        // 2026-03-02 09:00 Shanghai: tomorrow is the future.
        var future = await ProblemAssert.IsProblemAsync(await commissioner.PostAsJsonAsync("/api/visits", Body("2026-03-03", "follow_up", memberId), Ct),
            HttpStatusCode.BadRequest, "validation.failed");
        Assert.True(future.GetProperty("errors").TryGetProperty("visitedOn", out _));
        var noExpert = await ProblemAssert.IsProblemAsync(await commissioner.PostAsJsonAsync("/api/visits", Body("2026-03-02", "expert", memberId), Ct),
            HttpStatusCode.BadRequest, "validation.failed");
        Assert.True(noExpert.GetProperty("errors").TryGetProperty("participants.expertIds", out _));
        var foreign = await ProblemAssert.IsProblemAsync(await commissioner.PostAsJsonAsync("/api/visits", Body("2026-03-02", "follow_up", outsider), Ct),
            HttpStatusCode.BadRequest, "validation.failed");
        Assert.True(foreign.GetProperty("errors").TryGetProperty("participants.memberIds", out _));
        var badDemand = await ProblemAssert.IsProblemAsync(await commissioner.PostAsJsonAsync("/api/visits", new
        {
            enterpriseId, visitedOn = "2026-03-02", kind = "onsite", participants = new { memberIds = new[] { memberId } }, findings = "检查情况。",
            newDemands = new[] { new { category = "nonsense", title = "", description = "说明" } },
        }, Ct), HttpStatusCode.BadRequest, "validation.failed");
        Assert.True(badDemand.GetProperty("errors").TryGetProperty("newDemands[0].title", out _));

        await using var db = await app.OpenDatabaseAsync();
        Assert.Equal(0, await db.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM visits WHERE enterprise_id = @enterpriseId", new { enterpriseId }));
    }

    [Fact]
    public async Task ARetriedVisitWithTheSameIdempotencyKeyIsRecordedOnce()
    {
        await using var app = new EcoAidApp(fixture);
        var world = new World(app);
        var (cityId, branchId) = await world.BranchAsync();
        var memberId = await world.MemberAsync(branchId);
        var enterpriseId = await world.EnterpriseAsync(branchId, memberId);
        var member = await world.UserAsync("member", cityId, branchId, memberId: memberId);
        var body = new
        {
            enterpriseId, visitedOn = "2026-03-02", kind = "onsite", participants = new { memberIds = new[] { memberId } }, findings = "现场指导。",
            newDemands = new[] { new { category = "pollution_control", title = "危废标识", description = "危废暂存间标识不全。" } },
        };
        async Task<HttpResponseMessage> Post()
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/visits") { Content = JsonContent.Create(body) };
            request.Headers.Add("Idempotency-Key", "visit-retry-1");
            return await member.SendAsync(request, Ct);
        }

        var first = await DemandWorld.Expect(HttpStatusCode.Created, await Post());
        var again = await Post();
        var second = await DemandWorld.Expect(HttpStatusCode.Created, again);

        Assert.Equal(first.GetProperty("id").GetInt64(), second.GetProperty("id").GetInt64());
        Assert.Equal("true", again.Headers.GetValues("Idempotent-Replayed").Single());
        await using var db = await app.OpenDatabaseAsync();
        Assert.Equal(1, await db.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM visits WHERE enterprise_id = @enterpriseId", new { enterpriseId }));
        Assert.Equal(1, await db.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM demands WHERE enterprise_id = @enterpriseId", new { enterpriseId }));
    }

    [Fact]
    public async Task DueListsTheEnterprisesWithNoVisitDatedInThatShanghaiMonth()
    {
        await using var app = new EcoAidApp(fixture);
        var world = new World(app);
        var crafted = new Crafted(app);
        var (cityId, branchId) = await world.BranchAsync();
        var mine = await world.MemberAsync(branchId, "成员甲");
        var other = await world.MemberAsync(branchId, "成员乙");
        var visitedFirstDay = await world.EnterpriseAsync(branchId, mine);
        var visitedLastDayBefore = await world.EnterpriseAsync(branchId, mine);
        var visitedFirstDayAfter = await world.EnterpriseAsync(branchId, mine);
        var visitedLastDay = await world.EnterpriseAsync(branchId, other);
        var neverVisited = await world.EnterpriseAsync(branchId, other);
        await crafted.VisitAsync(branchId, visitedFirstDay, new DateOnly(2026, 3, 1));
        await crafted.VisitAsync(branchId, visitedLastDayBefore, new DateOnly(2026, 2, 28));
        await crafted.VisitAsync(branchId, visitedFirstDayAfter, new DateOnly(2026, 4, 1));
        await crafted.VisitAsync(branchId, visitedLastDay, new DateOnly(2026, 3, 31));
        var member = await world.UserAsync("member", cityId, branchId, memberId: mine);
        var commissioner = await world.UserAsync("commissioner", cityId, branchId);

        static long[] Ids(JsonElement page) => page.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("enterpriseId").GetInt64()).Order().ToArray();

        var forMember = await DemandWorld.Expect(HttpStatusCode.OK, await member.GetAsync("/api/visits/due?month=2026-03", Ct));
        Assert.Equal(new[] { visitedLastDayBefore, visitedFirstDayAfter }.Order(), Ids(forMember));
        var lastDayBefore = forMember.GetProperty("items").EnumerateArray().Single(e => e.GetProperty("enterpriseId").GetInt64() == visitedLastDayBefore);
        Assert.Equal("2026-02-28", lastDayBefore.GetProperty("lastVisitedOn").GetString());
        Assert.Equal(mine, lastDayBefore.GetProperty("liaison").GetProperty("id").GetInt64());

        var forCommissioner = await DemandWorld.Expect(HttpStatusCode.OK, await commissioner.GetAsync("/api/visits/due?month=2026-03&pageSize=100", Ct));
        Assert.Equal(new[] { visitedLastDayBefore, visitedFirstDayAfter, neverVisited }.Order(), Ids(forCommissioner));
        // Without a month: the current Shanghai month (2026-03).
        Assert.Equal(Ids(forMember), Ids(await DemandWorld.Expect(HttpStatusCode.OK, await member.GetAsync("/api/visits/due", Ct))));
        await ProblemAssert.IsProblemAsync(await member.GetAsync("/api/visits/due?month=2026-3", Ct), HttpStatusCode.BadRequest, "validation.failed");
    }

    [Fact]
    public async Task TheVisitDueReminderGoesToTheLiaisonOncePerEnterpriseAndMonthFromTheConfiguredDay()
    {
        await using var app = new EcoAidApp(fixture, s => s["Visits:ReminderDayOfMonth"] = "20");
        var world = new World(app);
        var crafted = new Crafted(app);
        var (_, branchId) = await world.BranchAsync();
        var liaison = await world.MemberAsync(branchId, "包挂成员");
        var due = await world.EnterpriseAsync(branchId, liaison);
        var visited = await world.EnterpriseAsync(branchId, liaison);
        var noLiaison = await world.EnterpriseAsync(branchId);
        await crafted.VisitAsync(branchId, visited, new DateOnly(2026, 3, 5));
        var worker = app.Services.GetRequiredService<VisitReminderWorker>();

        async Task<List<(long EnterpriseId, string Month)>> Reminders()
        {
            await using var db = await app.OpenDatabaseAsync();
            var payloads = await db.QueryAsync<string>(
                "SELECT payload FROM notification_outbox WHERE kind = 'visit_due' AND recipient_type = 'member' AND recipient_id = @liaison ORDER BY id", new { liaison });
            return payloads.Select(p => JsonDocument.Parse(p).RootElement)
                .Select(p => (p.GetProperty("enterpriseId").GetInt64(), p.GetProperty("month").GetString()!)).ToList();
        }

        app.Clock.SetUtcNow(Crafted.Shanghai(2026, 3, 19, 23, 59, 59));
        await worker.SendDueRemindersAsync(Ct);
        Assert.Empty(await Reminders());

        app.Clock.SetUtcNow(Crafted.Shanghai(2026, 3, 20, 0, 0, 0));
        await Task.WhenAll(worker.SendDueRemindersAsync(Ct), worker.SendDueRemindersAsync(Ct));
        await worker.SendDueRemindersAsync(Ct);
        Assert.Equal([(due, "2026-03")], await Reminders());

        app.Clock.SetUtcNow(Crafted.Shanghai(2026, 3, 31, 23, 30));
        await worker.SendDueRemindersAsync(Ct);
        Assert.Equal([(due, "2026-03")], await Reminders());

        // April: both enterprises are due again (the March visit does not count), still once each; the one without a liaison never.
        app.Clock.SetUtcNow(Crafted.Shanghai(2026, 4, 20, 0, 30));
        await worker.SendDueRemindersAsync(Ct);
        await worker.SendDueRemindersAsync(Ct);
        Assert.Equal([(due, "2026-03"), (due, "2026-04"), (visited, "2026-04")], (await Reminders()).OrderBy(r => r.Month).ThenBy(r => r.EnterpriseId).ToList());
        await using var check = await app.OpenDatabaseAsync();
        Assert.Equal(0, await check.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM visit_reminders WHERE enterprise_id = @noLiaison", new { noLiaison }));
    }

    [Fact]
    public async Task ExpertPhoneNumbersAreMaskedExceptForAdmins()
    {
        await using var app = new EcoAidApp(fixture);
        var world = new World(app);
        var (cityId, branchId) = await world.BranchAsync();
        var admin = await world.UserAsync("admin", cityId, branchId);
        var member = await world.UserAsync("member", cityId, branchId);
        var id = await ExpertAsync(admin, "13855556666");

        var asAdmin = await DemandWorld.Expect(HttpStatusCode.OK, await admin.GetAsync("/api/experts", Ct));
        Assert.Equal("13855556666", asAdmin.GetProperty("items").EnumerateArray().Single(e => e.GetProperty("id").GetInt64() == id).GetProperty("phone").GetString());
        var asMember = await DemandWorld.Expect(HttpStatusCode.OK, await member.GetAsync("/api/experts?q=喷漆", Ct));
        Assert.Equal("138****6666", asMember.GetProperty("items").EnumerateArray().Single(e => e.GetProperty("id").GetInt64() == id).GetProperty("phone").GetString());

        var updated = await DemandWorld.Expect(HttpStatusCode.OK, await admin.PutAsJsonAsync($"/api/experts/{id}",
            new { name = "周工", specialty = "涂装废气治理", phone = "13855557777" }, Ct));
        Assert.Equal("涂装废气治理", updated.GetProperty("specialty").GetString());
        var (_, otherBranch) = await world.BranchAsync();
        var otherAdmin = await world.UserAsync("admin", cityId, otherBranch);
        await ProblemAssert.IsProblemAsync(await otherAdmin.PutAsJsonAsync($"/api/experts/{id}", new { name = "改名", specialty = "无" }, Ct),
            HttpStatusCode.NotFound, "not_found");
    }
}
