using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using EcoAid.Api.Tests.Demands;
using EcoAid.Api.Tests.Infrastructure;

namespace EcoAid.Api.Tests.Audit;

/// <summary>Full phone numbers shown to administrators and administrators opening a person's record are in the audit trail, without the numbers.</summary>
public class PersonalDataAuditTests(EcoAidFixture fixture) : IClassFixture<EcoAidFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<List<JsonElement>> EventsAsync(HttpClient admin, string kind)
    {
        var page = await HttpExpect.JsonAsync(HttpStatusCode.OK, await admin.GetAsync($"/api/audit-events?pageSize=100&kind={kind}", Ct));
        return [.. page.GetProperty("items").EnumerateArray()];
    }

    private static List<long> Ids(JsonElement e) => [.. e.GetProperty("detail").GetProperty("ids").EnumerateArray().Select(i => i.GetInt64())];

    [Fact]
    public async Task PhoneRevealsAndRecordViewsByAdministratorsAreRecordedWithoutTheNumbers()
    {
        var logs = new LogCapture();
        await using var app = new EcoAidApp(fixture) { Logs = logs };
        var world = await DemandWorld.CreateAsync(app);
        var w = new World(app);
        await using var db = await app.OpenDatabaseAsync();
        var cityId = await db.ExecuteScalarAsync<long>("SELECT city_id FROM party_branches WHERE id = @BranchId", new { world.BranchId });
        var admin = await w.UserAsync("admin", cityId, world.BranchId);
        var cityAdmin = await w.UserAsync("city_admin", cityId, world.BranchId);
        var adminId = await world.UserIdOfAsync(admin);
        var cityAdminId = await world.UserIdOfAsync(cityAdmin);
        var expert = await HttpExpect.JsonAsync(HttpStatusCode.Created, await admin.PostAsJsonAsync("/api/experts",
            new { name = "审计专家", specialty = "VOCs 治理", phone = "13600001111" }, Ct));
        var expertId = expert.GetProperty("id").GetInt64();
        var visit = await HttpExpect.JsonAsync(HttpStatusCode.Created, await world.Liaison.PostAsJsonAsync("/api/visits", new
        {
            enterpriseId = world.EnterpriseId, visitedOn = "2026-03-02", kind = "expert",
            participants = new { memberIds = new[] { world.LiaisonMemberId }, expertIds = new[] { expertId } }, findings = "现场查看危废暂存间。",
        }, Ct));
        var visitId = visit.GetProperty("id").GetInt64();
        // What the non-administrators see is masked and not an event.
        var masked = await HttpExpect.JsonAsync(HttpStatusCode.OK, await world.Secretary.GetAsync($"/api/members/{world.OwnerMemberId}", Ct));
        Assert.Equal("139****5678", masked.GetProperty("phone").GetString());
        var before = await db.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM audit_events WHERE kind IN ('phone_revealed', 'personal_data_viewed')");

        var members = await HttpExpect.JsonAsync(HttpStatusCode.OK, await admin.GetAsync("/api/members?pageSize=100", Ct));
        var member = await HttpExpect.JsonAsync(HttpStatusCode.OK, await admin.GetAsync($"/api/members/{world.OwnerMemberId}", Ct));
        var enterprise = await HttpExpect.JsonAsync(HttpStatusCode.OK, await admin.GetAsync($"/api/enterprises/{world.EnterpriseId}", Ct));
        await HttpExpect.JsonAsync(HttpStatusCode.OK, await admin.GetAsync("/api/enterprises?pageSize=100", Ct));
        await HttpExpect.JsonAsync(HttpStatusCode.OK, await admin.GetAsync("/api/experts?pageSize=100", Ct));
        var seenVisit = await HttpExpect.JsonAsync(HttpStatusCode.OK, await cityAdmin.GetAsync($"/api/visits/{visitId}", Ct));

        Assert.Equal("13912345678", member.GetProperty("phone").GetString());
        Assert.Equal("13712345678", enterprise.GetProperty("contactPhone").GetString());
        Assert.Equal("13600001111", seenVisit.GetProperty("participants").GetProperty("experts")[0].GetProperty("phoneMasked").GetString());
        var reveals = await EventsAsync(admin, "phone_revealed");
        var listed = members.GetProperty("items").EnumerateArray().Select(m => m.GetProperty("id").GetInt64()).ToList();
        var memberList = Assert.Single(reveals, e => e.GetProperty("subjectType").GetString() == "member" && e.GetProperty("subjectId").ValueKind == JsonValueKind.Null);
        Assert.Equal(listed.Order(), Ids(memberList).Order());
        Assert.Equal(adminId, memberList.GetProperty("actorUserId").GetInt64());
        Assert.Single(reveals, e => e.GetProperty("subjectType").GetString() == "member" && e.GetProperty("subjectId").ValueKind == JsonValueKind.Number
            && e.GetProperty("subjectId").GetInt64() == world.OwnerMemberId);
        Assert.Single(reveals, e => e.GetProperty("subjectType").GetString() == "enterprise" && e.GetProperty("subjectId").ValueKind == JsonValueKind.Number
            && e.GetProperty("subjectId").GetInt64() == world.EnterpriseId);
        Assert.Single(reveals, e => e.GetProperty("subjectType").GetString() == "enterprise" && e.GetProperty("subjectId").ValueKind == JsonValueKind.Null
            && Ids(e).Contains(world.EnterpriseId));
        Assert.Single(reveals, e => e.GetProperty("subjectType").GetString() == "expert" && Ids(e).Contains(expertId)
            && e.GetProperty("actorUserId").GetInt64() == adminId);
        // The city administrator's visit read is in their city's trail.
        Assert.Single(await EventsAsync(cityAdmin, "phone_revealed"), e => e.GetProperty("subjectType").GetString() == "expert"
            && e.GetProperty("actorUserId").GetInt64() == cityAdminId && Ids(e).SequenceEqual([expertId]));
        var views = await EventsAsync(admin, "personal_data_viewed");
        Assert.Equal(["member", "enterprise"], views.Where(e => e.GetProperty("actorUserId").GetInt64() == adminId)
            .OrderBy(e => e.GetProperty("id").GetInt64()).Select(e => e.GetProperty("subjectType").GetString()));
        Assert.Equal(8, await db.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM audit_events WHERE kind IN ('phone_revealed', 'personal_data_viewed')") - before);

        // No number anywhere in the trail or in the service's logs.
        foreach (var phone in new[] { "13912345678", "13712345678", "13600001111" })
        {
            Assert.Equal(0, await db.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM audit_events WHERE detail LIKE @p OR path LIKE @p", new { p = $"%{phone}%" }));
            Assert.DoesNotContain(logs.Lines, line => line.Contains(phone, StringComparison.Ordinal));
        }
        Assert.NotEmpty(logs.Lines);
    }
}
