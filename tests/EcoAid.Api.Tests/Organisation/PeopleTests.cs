using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using EcoAid.Api.Tests.Demands;
using EcoAid.Api.Tests.Infrastructure;
using EcoAid.Api.Tests.Visits;

namespace EcoAid.Api.Tests.Organisation;

/// <summary>
/// People with names (issue 13, item 4): an enterprise's named contacts, one name rule wherever a person is printed,
/// another body as 责任单位 with a named person and phone, and the report's 责任人 as it stood at the month's end.
/// </summary>
public class PeopleTests(EcoAidFixture fixture) : IClassFixture<EcoAidFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Task<JsonElement> Expect(HttpStatusCode status, HttpResponseMessage response) => DemandWorld.Expect(status, response);

    private static async Task<long> CityOfAsync(DemandWorld w)
    {
        await using var db = await w.App.OpenDatabaseAsync();
        return await db.ExecuteScalarAsync<long>("SELECT city_id FROM party_branches WHERE id = @BranchId", new { w.BranchId });
    }

    private static string[] Actors(JsonElement detail) =>
        detail.GetProperty("timeline").EnumerateArray().Select(e => e.GetProperty("actorName").GetString() ?? "").ToArray();

    private static string[] Texts(JsonElement detail) =>
        detail.GetProperty("timeline").EnumerateArray().Select(e => e.GetProperty("text").GetString() ?? "").ToArray();

    [Fact]
    public async Task AnEnterpriseKeepsSeveralNamedContactsWithOnePrimaryAndMaskedPhones()
    {
        await using var app = new EcoAidApp(fixture);
        var w = await DemandWorld.CreateAsync(app);
        var world = new World(app);
        var admin = await world.UserAsync("admin", await CityOfAsync(w), w.BranchId);
        var contacts = $"/api/enterprises/{w.EnterpriseId}/contacts";

        // The enterprise's own contact adds two people; the first becomes the primary contact.
        var wang = await Expect(HttpStatusCode.Created, await w.Staff.PostAsJsonAsync(contacts,
            new { name = " 王芳 ", title = "安全环保部经理", phone = "13911112222" }, Ct));
        Assert.True(wang.GetProperty("primary").GetBoolean());
        Assert.Equal(("王芳", "139****2222"), (wang.GetProperty("name").GetString(), wang.GetProperty("phone").GetString()));
        var zhou = await Expect(HttpStatusCode.Created, await w.Staff.PostAsJsonAsync(contacts,
            new { name = "周强", title = "生产副总经理", phone = "13933334444" }, Ct));
        Assert.False(zhou.GetProperty("primary").GetBoolean());
        var wangId = wang.GetProperty("id").GetInt64();
        var zhouId = zhou.GetProperty("id").GetInt64();

        // Everyone who reaches the enterprise lists them, primary first; phones masked except for administrators.
        var listed = await Expect(HttpStatusCode.OK, await w.Commissioner.GetAsync(contacts, Ct));
        Assert.Equal([("王芳", "139****2222", true), ("周强", "139****4444", false)],
            listed.EnumerateArray().Select(c => (c.GetProperty("name").GetString(), c.GetProperty("phone").GetString(), c.GetProperty("primary").GetBoolean())).ToArray());
        var full = await Expect(HttpStatusCode.OK, await admin.GetAsync(contacts, Ct));
        Assert.Equal(["13911112222", "13933334444"], full.EnumerateArray().Select(c => c.GetProperty("phone").GetString()!).ToArray());
        var enterprise = await Expect(HttpStatusCode.OK, await admin.GetAsync($"/api/enterprises/{w.EnterpriseId}", Ct));
        Assert.Equal(("王芳", "13911112222"), (enterprise.GetProperty("contactName").GetString(), enterprise.GetProperty("contactPhone").GetString()));

        // The branch's administrator makes 周强 the primary contact: 王芳 is no longer, and the enterprise record follows.
        var changed = await Expect(HttpStatusCode.OK, await admin.PutAsJsonAsync($"{contacts}/{zhouId}",
            new { name = "周强", title = "总经理", phone = "13933334444", primary = true }, Ct));
        Assert.Equal(("总经理", true), (changed.GetProperty("title").GetString(), changed.GetProperty("primary").GetBoolean()));
        listed = await Expect(HttpStatusCode.OK, await w.Staff.GetAsync(contacts, Ct));
        Assert.Equal([("周强", true), ("王芳", false)], listed.EnumerateArray().Select(c => (c.GetProperty("name").GetString(), c.GetProperty("primary").GetBoolean())).ToArray());
        enterprise = await Expect(HttpStatusCode.OK, await w.Commissioner.GetAsync($"/api/enterprises/{w.EnterpriseId}", Ct));
        Assert.Equal(("周强", "139****4444"), (enterprise.GetProperty("contactName").GetString(), enterprise.GetProperty("contactPhone").GetString()));

        // One primary, always: it cannot be unset nor removed while others remain.
        await ProblemAssert.IsProblemAsync(await w.Staff.PutAsJsonAsync($"{contacts}/{zhouId}", new { name = "周强", primary = false }, Ct),
            HttpStatusCode.Conflict, "enterprise_contact.primary_required");
        await ProblemAssert.IsProblemAsync(await w.Staff.DeleteAsync($"{contacts}/{zhouId}", Ct), HttpStatusCode.Conflict, "enterprise_contact.primary_required");
        Assert.Equal(HttpStatusCode.NoContent, (await w.Staff.DeleteAsync($"{contacts}/{wangId}", Ct)).StatusCode);
        Assert.Equal(["周强"], (await Expect(HttpStatusCode.OK, await w.Staff.GetAsync(contacts, Ct))).EnumerateArray().Select(c => c.GetProperty("name").GetString()!).ToArray());

        // Bad input: Chinese messages, a stable code; nothing written.
        var bad = await ProblemAssert.IsProblemAsync(await w.Staff.PostAsJsonAsync(contacts, new { name = " ", phone = "12345" }, Ct),
            HttpStatusCode.BadRequest, "validation.failed");
        Assert.Contains("手机号格式不正确", bad.GetProperty("errors").GetProperty("phone")[0].GetString());
        Assert.True(bad.GetProperty("errors").TryGetProperty("name", out _));
        await ProblemAssert.IsProblemAsync(await w.Staff.PostAsJsonAsync(contacts, new { name = "李四", userId = await w.UserIdOfAsync(w.Owner) }, Ct),
            HttpStatusCode.BadRequest, "validation.failed");
        Assert.Single((await Expect(HttpStatusCode.OK, await w.Staff.GetAsync(contacts, Ct))).EnumerateArray());

        // Reach: another enterprise's staff and another branch see nothing; a member may read but not write.
        var other = await DemandWorld.CreateAsync(app);
        await ProblemAssert.IsProblemAsync(await other.Staff.GetAsync(contacts, Ct), HttpStatusCode.NotFound, "not_found");
        await ProblemAssert.IsProblemAsync(await other.Staff.PostAsJsonAsync(contacts, new { name = "外人" }, Ct), HttpStatusCode.NotFound, "not_found");
        await ProblemAssert.IsProblemAsync(await other.Commissioner.GetAsync(contacts, Ct), HttpStatusCode.NotFound, "not_found");
        await Expect(HttpStatusCode.OK, await w.Owner.GetAsync(contacts, Ct));
        await ProblemAssert.IsProblemAsync(await w.Owner.PostAsJsonAsync(contacts, new { name = "成员代填" }, Ct), HttpStatusCode.Forbidden, "auth.forbidden");
        await ProblemAssert.IsProblemAsync(await w.Staff.DeleteAsync($"{contacts}/{wangId}", Ct), HttpStatusCode.NotFound, "not_found");

        // Every change is in the audit trail, in the enterprise's branch, without a phone number.
        await using var db = await app.OpenDatabaseAsync();
        var audited = (await db.QueryAsync<(long? BranchId, string Detail)>(
            "SELECT branch_id, detail FROM audit_events WHERE kind = 'enterprise_contact_changed' AND subject_id = @EnterpriseId ORDER BY id", new { w.EnterpriseId })).ToList();
        Assert.Equal(["added", "added", "changed", "removed"], audited.Select(a => JsonDocument.Parse(a.Detail).RootElement.GetProperty("action").GetString()!).ToArray());
        Assert.All(audited, a => Assert.Equal(w.BranchId, a.BranchId));
        Assert.All(audited, a => Assert.DoesNotContain("139", a.Detail));
    }

    [Fact]
    public async Task PeopleAreCalledByTheirNamesAndNeverByWechatsPlaceholder()
    {
        await using var app = new EcoAidApp(fixture);
        var w = await DemandWorld.CreateAsync(app);
        var contacts = $"/api/enterprises/{w.EnterpriseId}/contacts";
        var staffId = await w.UserIdOfAsync(w.Staff);

        // Nobody has set a name yet: the enterprise's contact is called by what they are.
        var first = await w.SubmitAsync();
        Assert.Equal(["企业联系人"], Actors(await w.DetailAsync(w.Commissioner, first)));

        // The registry names them: the contact tied to the account, and a second contact by the phone their account verified.
        await Expect(HttpStatusCode.Created, await w.Staff.PostAsJsonAsync(contacts, new { name = "王芳", title = "安全环保部经理", userId = staffId }, Ct));
        await Expect(HttpStatusCode.Created, await w.Staff.PostAsJsonAsync(contacts, new { name = "周强", phone = "13933334444" }, Ct));
        var world = new World(app);
        var second = await world.UserAsync("staff", await CityOfAsync(w), w.BranchId, enterpriseId: w.EnterpriseId);
        await using (var db = await app.OpenDatabaseAsync())
        {
            await db.ExecuteAsync("UPDATE users SET phone = '13933334444' WHERE id = @id", new { id = await w.UserIdOfAsync(second) });
        }
        var secondDemand = await Expect(HttpStatusCode.Created, await second.PostAsJsonAsync("/api/demands", DemandWorld.NewDemand("废气收集不到位"), Ct));
        var secondId = secondDemand.GetProperty("id").GetInt64();

        // The member who owns it and the department liaison have not set names either: the member registry names the one;
        // the other is called the liaison of their department.
        await Expect(HttpStatusCode.OK, await w.Commissioner.PostAsJsonAsync($"/api/demands/{first}/accept", w.ClaimPlan(), Ct));
        await Expect(HttpStatusCode.OK, await w.Owner.PostAsJsonAsync($"/api/demands/{first}/progress",
            new { kind = "progress", text = "已到现场", visibility = "public" }, Ct));
        var detail = await w.DetailAsync(w.Commissioner, first);
        Assert.Equal(["王芳（企业联系人）", "服务专员", "责任成员"], Actors(detail));
        Assert.Equal(("王芳", "安全环保部经理"), (detail.GetProperty("enterpriseContact").GetProperty("name").GetString(),
            detail.GetProperty("enterpriseContact").GetProperty("title").GetString()));

        await Expect(HttpStatusCode.OK, await w.Commissioner.PostAsJsonAsync($"/api/demands/{secondId}/accept", new
        {
            objective = "规范废气收集", measures = new[] { "科室现场指导" }, departmentId = w.DepartmentId, dueInWorkingDays = 5,
        }, Ct));
        await using (var db = await app.OpenDatabaseAsync())
        {
            var department = await db.ExecuteScalarAsync<string>("SELECT name FROM departments WHERE id = @DepartmentId", new { w.DepartmentId });
            var transferred = await w.DetailAsync(w.Commissioner, secondId);
            Assert.Equal("周强（企业联系人）", Actors(transferred)[0]);
            Assert.Equal($"{department}联络人", transferred.GetProperty("responsible").GetProperty("personName").GetString());
            Assert.Contains(Texts(transferred), t => t.StartsWith($"移交{department}（责任人 {department}联络人）办理", StringComparison.Ordinal));

            // The commissioners' notice of the new demand names the enterprise's person.
            var payloads = (await db.QueryAsync<string>(
                "SELECT payload FROM notification_outbox WHERE demand_id IN @ids AND kind = 'demand_submitted' ORDER BY id", new { ids = new[] { first, secondId } })).ToList();
            Assert.Equal(["企业联系人", "周强"], payloads.Select(p => JsonDocument.Parse(p).RootElement.GetProperty("contactName").GetString()!).Distinct().ToArray());
        }

        // Nowhere the placeholder: details, the list export, the report's list.
        foreach (var id in new[] { first, secondId })
        {
            Assert.DoesNotContain("微信用户", (await w.DetailAsync(w.Commissioner, id)).GetRawText());
        }
        Assert.DoesNotContain("微信用户", await w.Commissioner.GetStringAsync("/api/demands/export?format=csv", Ct));

        // A name the user sets comes first.
        await Expect(HttpStatusCode.OK, await w.Owner.PatchAsJsonAsync("/api/me", new { displayName = "刘洋" }, Ct));
        Assert.Equal("刘洋", Actors(await w.DetailAsync(w.Staff, first))[^1]);
    }

    [Fact]
    public async Task AnotherBodyBecomesResponsibleWithANamedPersonAndPhone()
    {
        await using var app = new EcoAidApp(fixture);
        var w = await DemandWorld.CreateAsync(app);
        var id = await w.AcceptedAsync();
        Assert.Contains("setResponsible", (await w.DetailAsync(w.Commissioner, id)).GetProperty("allowedActions").EnumerateArray().Select(a => a.GetString()));
        Assert.DoesNotContain("setResponsible", (await w.DetailAsync(w.Owner, id)).GetProperty("allowedActions").EnumerateArray().Select(a => a.GetString()));
        var body = new { unitName = "县自然资源局", personName = "王强", personPhone = "13800001111", reason = "涉及用地手续" };

        var detail = await Expect(HttpStatusCode.OK, await w.Commissioner.PostAsJsonAsync($"/api/demands/{id}/responsible", body, Ct));

        var responsible = detail.GetProperty("responsible");
        Assert.Equal(("other", "县自然资源局", "other", "王强", "13800001111"), (responsible.GetProperty("unitKind").GetString(),
            responsible.GetProperty("unitName").GetString(), responsible.GetProperty("personKind").GetString(), responsible.GetProperty("personName").GetString(),
            responsible.GetProperty("personPhone").GetString()));
        Assert.Equal(w.OwnerMemberId, responsible.GetProperty("memberId").GetInt64()); // the member keeps following it
        Assert.Equal("县自然资源局", detail.GetProperty("responsibleUnit").GetString());
        Assert.Contains("责任单位调整为县自然资源局（责任人 王强）：涉及用地手续", Texts(await w.DetailAsync(w.Staff, id)));
        var export = await w.Commissioner.GetStringAsync("/api/demands/export?format=csv", Ct);
        Assert.Contains("\"县自然资源局\",\"王强（13800001111）\"", export);
        // The owner can still work it.
        await Expect(HttpStatusCode.OK, await w.Owner.PostAsJsonAsync($"/api/demands/{id}/progress", new { kind = "note", text = "已对接县自然资源局", visibility = "internal" }, Ct));

        await using (var db = await app.OpenDatabaseAsync())
        {
            var audited = await db.QuerySingleAsync<(long? BranchId, string Detail)>(
                "SELECT branch_id, detail FROM audit_events WHERE kind = 'responsible_changed' AND subject_id = @id", new { id });
            Assert.Equal(w.BranchId, audited.BranchId);
            Assert.Contains("县自然资源局", audited.Detail);
            Assert.DoesNotContain("13800001111", audited.Detail);
        }

        // The same again, bad input, the wrong people, the wrong state.
        await ProblemAssert.IsProblemAsync(await w.Commissioner.PostAsJsonAsync($"/api/demands/{id}/responsible", body, Ct), HttpStatusCode.Conflict,
            "demand.responsible_unchanged");
        var bad = await ProblemAssert.IsProblemAsync(await w.Commissioner.PostAsJsonAsync($"/api/demands/{id}/responsible",
            new { unitName = "", personName = "王强", personPhone = "0516-1234" }, Ct), HttpStatusCode.BadRequest, "validation.failed");
        Assert.Equal("手机号格式不正确（11 位，以 1 开头）。", bad.GetProperty("errors").GetProperty("personPhone")[0].GetString());
        Assert.True(bad.GetProperty("errors").TryGetProperty("unitName", out _));
        var missing = await ProblemAssert.IsProblemAsync(await w.Commissioner.PostAsJsonAsync($"/api/demands/{id}/responsible",
            new { unitName = "县水务局", personName = "李明" }, Ct), HttpStatusCode.BadRequest, "validation.failed");
        Assert.Equal("请填写责任人的手机号。", missing.GetProperty("errors").GetProperty("personPhone")[0].GetString());
        await ProblemAssert.IsProblemAsync(await w.Owner.PostAsJsonAsync($"/api/demands/{id}/responsible", body with { personName = "李明" }, Ct),
            HttpStatusCode.Forbidden, "auth.forbidden");
        var other = await DemandWorld.CreateAsync(app);
        await ProblemAssert.IsProblemAsync(await other.Commissioner.PostAsJsonAsync($"/api/demands/{id}/responsible", body with { personName = "李明" }, Ct),
            HttpStatusCode.NotFound, "not_found");
        var waiting = await w.SubmitAsync();
        await ProblemAssert.IsProblemAsync(await w.Commissioner.PostAsJsonAsync($"/api/demands/{waiting}/responsible", body, Ct),
            HttpStatusCode.Conflict, "demand.invalid_transition");

        // On acceptance, in one step: the member follows it, the other body is responsible.
        var accepted = await Expect(HttpStatusCode.OK, await w.Commissioner.PostAsJsonAsync($"/api/demands/{waiting}/accept", new
        {
            objective = "办理用地手续", measures = new[] { "协调县自然资源局" }, ownerMemberId = w.OwnerMemberId, dueInWorkingDays = 10,
            otherBody = new { unitName = "县自然资源局", personName = "王强", personPhone = "13800001111" },
        }, Ct));
        Assert.Equal(("other", "王强", w.OwnerMemberId), (accepted.GetProperty("responsible").GetProperty("unitKind").GetString(),
            accepted.GetProperty("responsible").GetProperty("personName").GetString(), accepted.GetProperty("responsible").GetProperty("memberId").GetInt64()));
        Assert.Contains(Texts(accepted), t => t.StartsWith("由县自然资源局（责任人 王强）认领办理", StringComparison.Ordinal));
        var unclear = await ProblemAssert.IsProblemAsync(await w.Commissioner.PostAsJsonAsync($"/api/demands/{await w.SubmitAsync()}/accept", new
        {
            objective = "办理", measures = new[] { "协调" }, ownerMemberId = w.OwnerMemberId, dueInWorkingDays = 10,
            otherBody = new { unitName = "县自然资源局", personName = "王强", personPhone = "1380000" },
        }, Ct), HttpStatusCode.BadRequest, "validation.failed");
        Assert.True(unclear.GetProperty("errors").TryGetProperty("otherBody.personPhone", out _));
    }

    [Fact]
    public async Task TheMonthlyListShowsTheResponsiblePersonAsItStoodAtTheEndOfTheMonth()
    {
        await using var app = new EcoAidApp(fixture, s => s["Auth:SessionLifetime"] = "60.00:00:00", Crafted.Shanghai(2026, 2, 10, 10, 0));
        var w = await DemandWorld.CreateAsync(app);
        var id = await w.AcceptedAsync();
        string branch;
        await using (var db = await app.OpenDatabaseAsync())
        {
            branch = (await db.ExecuteScalarAsync<string>("SELECT name FROM party_branches WHERE id = @BranchId", new { w.BranchId }))!;
        }

        // Reassigned after February ended, at 00:30 on March 1 in Shanghai (still February 28 in UTC).
        app.Clock.SetUtcNow(Crafted.Shanghai(2026, 3, 1, 0, 30));
        await Expect(HttpStatusCode.OK, await w.Commissioner.PostAsJsonAsync($"/api/demands/{id}/responsible",
            new { unitName = "县自然资源局", personName = "王强", personPhone = "13800001111" }, Ct));
        // Closed in March, so March's list shows it among the earlier demands closed that month.
        app.Clock.SetUtcNow(Crafted.Shanghai(2026, 3, 2, 9, 0));
        await Expect(HttpStatusCode.OK, await w.Owner.PostAsJsonAsync($"/api/demands/{id}/resolve", new { summary = "已协调办结" }, Ct));
        await Expect(HttpStatusCode.OK, await w.Staff.PostAsJsonAsync($"/api/demands/{id}/confirm", new { solved = true, satisfaction = 5 }, Ct));

        static async Task<List<string>> RowAsync(DemandWorld w, string month)
        {
            var sheets = Xlsx.Read(await (await w.Secretary.GetAsync($"/api/stats/monthly-report?month={month}", Ct)).Content.ReadAsByteArrayAsync(Ct));
            return sheets[^1].Skip(1).Single();
        }
        var february = await RowAsync(w, "2026-02");
        Assert.Equal(("认领", branch, "责任成员"), (february[7], february[8], february[9]));
        var march = await RowAsync(w, "2026-03");
        Assert.Equal(("认领", "县自然资源局", "王强（13800001111）", "本月办结"), (march[7], march[8], march[9], march[12]));

        // The issued February report keeps it too.
        var issued = await Expect(HttpStatusCode.Created, await w.Secretary.PostAsJsonAsync("/api/reports", new { month = "2026-02" }, Ct));
        var file = Xlsx.Read(await (await w.Secretary.GetAsync($"/api/reports/{issued.GetProperty("id").GetInt64()}/files/xlsx", Ct)).Content.ReadAsByteArrayAsync(Ct));
        Assert.Equal([branch, "责任成员"], file[^1].Skip(1).Single().Skip(8).Take(2).ToArray());
    }
}
