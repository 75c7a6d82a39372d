using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using EcoAid.Api.Tests.Demands;
using EcoAid.Api.Tests.Infrastructure;
using EcoAid.Api.Features.Notifications;
using EcoAid.Api.Tests.Notifications;

namespace EcoAid.Api.Tests.Audit;

/// <summary>The audit trail and its reach, personal-data export and deactivation, the dispatcher's heartbeat takeover.</summary>
public class AuditAndPersonalDataTests(EcoAidFixture fixture) : IClassFixture<EcoAidFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<List<JsonElement>> EventsAsync(HttpClient admin, string query = "")
    {
        var page = await HttpExpect.JsonAsync(HttpStatusCode.OK, await admin.GetAsync($"/api/audit-events?pageSize=100{query}", Ct));
        return [.. page.GetProperty("items").EnumerateArray()];
    }

    [Fact]
    public async Task LoginsRefusalsInvitesRoleGrantsAndExportsAreRecordedAndReachChecked()
    {
        await using var app = new EcoAidApp(fixture);
        var world = await DemandWorld.CreateAsync(app);
        var w = new World(app);
        await using var db = await app.OpenDatabaseAsync();
        var cityId = await db.ExecuteScalarAsync<long>("SELECT city_id FROM party_branches WHERE id = @BranchId", new { world.BranchId });
        var admin = await w.UserAsync("admin", cityId, world.BranchId);
        var (otherCity, otherBranch) = await w.BranchAsync();
        var otherAdmin = await w.UserAsync("admin", otherCity, otherBranch);
        var cityAdmin = await w.UserAsync("city_admin", cityId, world.BranchId);
        var staffId = await world.UserIdOfAsync(world.Staff);

        // A refusal: staff may not export the list.
        Assert.Equal(HttpStatusCode.Forbidden, (await world.Staff.GetAsync("/api/demands/export", Ct)).StatusCode);
        // An export, an invite, and its redemption (a role granted).
        Assert.Equal(HttpStatusCode.OK, (await world.Secretary.GetAsync("/api/demands/export?format=csv&status=submitted", Ct)).StatusCode);
        var invite = await HttpExpect.JsonAsync(HttpStatusCode.Created, await admin.PostAsJsonAsync("/api/invites", new { role = "department_liaison",
            departmentId = world.DepartmentId }, Ct));
        var newcomer = await app.LoginAsAsync(World.Unique("o_new"));
        Assert.Equal(HttpStatusCode.OK, (await newcomer.PostAsJsonAsync("/api/me/bind", new { inviteCode = invite.GetProperty("code").GetString() }, Ct)).StatusCode);

        var seen = await EventsAsync(admin);
        var refusal = Assert.Single(seen, e => e.GetProperty("kind").GetString() == "access_refused");
        Assert.Equal((staffId, "GET", "/api/demands/export", 403),
            (refusal.GetProperty("actorUserId").GetInt64(), refusal.GetProperty("method").GetString(), refusal.GetProperty("path").GetString(), refusal.GetProperty("status").GetInt32()));
        var export = Assert.Single(seen, e => e.GetProperty("kind").GetString() == "export");
        Assert.Equal("csv", export.GetProperty("detail").GetProperty("format").GetString());
        Assert.Equal("submitted", export.GetProperty("detail").GetProperty("status").GetString());
        Assert.Single(seen, e => e.GetProperty("kind").GetString() == "invite_created");
        Assert.Equal("department_liaison", Assert.Single(seen, e => e.GetProperty("kind").GetString() == "role_granted").GetProperty("detail").GetProperty("role").GetString());
        // Logins are recorded too (this one before the test placed the user in the branch, so no administrator sees it).
        Assert.True(await db.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM audit_events WHERE kind = 'login' AND actor_user_id = @staffId", new { staffId }) >= 1);
        Assert.Contains(await EventsAsync(cityAdmin, "&kind=export"), e => e.GetProperty("id").GetInt64() == export.GetProperty("id").GetInt64());
        Assert.DoesNotContain(await EventsAsync(otherAdmin), e => e.GetProperty("branchId").ValueKind == JsonValueKind.Number
            && e.GetProperty("branchId").GetInt64() == world.BranchId);
        Assert.Equal(HttpStatusCode.Forbidden, (await world.Secretary.GetAsync("/api/audit-events", Ct)).StatusCode);
        // Nothing secret in it.
        Assert.Equal(0, await db.ExecuteScalarAsync<int>(
            "SELECT COUNT(*) FROM audit_events WHERE detail LIKE '%code%' OR detail LIKE '%openid%' OR path LIKE '%token%'"));
    }

    [Fact]
    public async Task APersonExportsTheirDataAndAnAdminDeactivatesThemKeepingTheirDemands()
    {
        await using var app = new EcoAidApp(fixture);
        var world = await DemandWorld.CreateAsync(app);
        var w = new World(app);
        await using var db = await app.OpenDatabaseAsync();
        var cityId = await db.ExecuteScalarAsync<long>("SELECT city_id FROM party_branches WHERE id = @BranchId", new { world.BranchId });
        var admin = await w.UserAsync("admin", cityId, world.BranchId);
        var (otherCity, otherBranch) = await w.BranchAsync();
        var otherAdmin = await w.UserAsync("admin", otherCity, otherBranch);
        var demandId = await world.SubmitAsync();
        var staffId = await world.UserIdOfAsync(world.Staff);

        var data = await HttpExpect.JsonAsync(HttpStatusCode.OK, await world.Staff.GetAsync("/api/me/data", Ct));
        Assert.Equal(staffId, data.GetProperty("profile").GetProperty("id").GetInt64());
        Assert.Contains(data.GetProperty("demands").EnumerateArray(), d => d.GetProperty("id").GetInt64() == demandId);
        Assert.Contains("staff", data.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));

        Assert.Equal(HttpStatusCode.NotFound, (await otherAdmin.PostAsync($"/api/users/{staffId}/deactivate", null, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await admin.PostAsync($"/api/users/{staffId}/deactivate", null, Ct)).StatusCode);

        var user = await db.QuerySingleAsync<(string OpenId, string DisplayName, string? Phone, string? UnionId)>(
            "SELECT openid, display_name, phone, unionid FROM users WHERE id = @staffId", new { staffId });
        Assert.Equal(($"deactivated:{staffId}", "已注销用户", null, null), (user.OpenId, user.DisplayName, user.Phone, user.UnionId));
        Assert.Equal(HttpStatusCode.Unauthorized, (await world.Staff.GetAsync("/api/me", Ct)).StatusCode);
        var detail = await world.DetailAsync(world.Secretary, demandId);
        Assert.Equal(demandId, detail.GetProperty("id").GetInt64());
        Assert.Equal(1, await db.ExecuteScalarAsync<int>(
            "SELECT COUNT(*) FROM audit_events WHERE kind = 'user_deactivated' AND subject_id = @staffId", new { staffId }));
        Assert.Equal(1, await db.ExecuteScalarAsync<int>(
            "SELECT COUNT(*) FROM audit_events WHERE kind = 'personal_data_exported' AND actor_user_id = @staffId", new { staffId }));
    }

    [Fact]
    public async Task RowsOfASilentInstanceAreTakenOverAndALiveInstancesAreNot()
    {
        await using var app = new EcoAidApp(fixture);
        var w = new World(app);
        var (_, branchId) = await w.BranchAsync();
        var deadMember = await w.MemberAsync(branchId);
        var liveMember = await w.MemberAsync(branchId);
        await app.FollowAsync(deadMember);
        await app.FollowAsync(liveMember);
        var dead = await app.EnqueueAsync(Recipient.Member(deadMember));
        var live = await app.EnqueueAsync(Recipient.Member(liveMember));
        var now = app.Clock.GetUtcNow();
        await using (var db = await app.OpenDatabaseAsync())
        {
            // Two other instances claimed one row each under a long lease; one of them stopped beating 31 s ago.
            await db.ExecuteAsync("""
                INSERT INTO dispatcher_instances (instance_id, heartbeat_at) VALUES (901, @silent), (902, @now)
                ON DUPLICATE KEY UPDATE heartbeat_at = VALUES(heartbeat_at);
                UPDATE notification_outbox SET status = 'sending', claim_token = 1, claimed_by = 901, attempts = 1, next_attempt_at = @lease WHERE id = @dead;
                UPDATE notification_outbox SET status = 'sending', claim_token = 2, claimed_by = 902, attempts = 1, next_attempt_at = @lease WHERE id = @live;
                """, new { silent = now.AddSeconds(-31).UtcDateTime, now = now.UtcDateTime, lease = now.AddMinutes(5).UtcDateTime, dead, live });
        }

        await app.DispatchAsync();

        await using var check = await app.OpenDatabaseAsync();
        Assert.Equal("sent", await check.ExecuteScalarAsync<string>("SELECT status FROM notification_outbox WHERE id = @dead", new { dead }));
        Assert.Equal(("sending", 902L), await check.QuerySingleAsync<(string, long)>("SELECT status, claimed_by FROM notification_outbox WHERE id = @live", new { live }));
    }
}
