using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using EcoAid.Api.Tests.Infrastructure;

namespace EcoAid.Api.Tests.Invites;

public class InviteTests(EcoAidFixture fixture) : IClassFixture<EcoAidFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<string> CreateInviteAsync(HttpClient admin, object body)
    {
        var response = await admin.PostAsJsonAsync("/api/invites", body, Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("code").GetString()!;
    }

    [Fact]
    public async Task StaffInviteBindsTheUserToTheEnterpriseOnce()
    {
        await using var app = new EcoAidApp(fixture);
        var world = new World(app);
        var (cityId, branchId) = await world.BranchAsync();
        var enterpriseId = await world.EnterpriseAsync(branchId);
        var admin = await world.UserAsync("admin", cityId, branchId);
        var code = await CreateInviteAsync(admin, new { role = "staff", enterpriseId });

        var staff = await app.LoginAsAsync(World.Unique("o_staff"));
        var bound = await staff.PostAsJsonAsync("/api/me/bind", new { inviteCode = code.ToLowerInvariant() }, Ct);

        Assert.Equal(HttpStatusCode.OK, bound.StatusCode);
        var me = await bound.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal("staff", me.GetProperty("roles")[0].GetString());
        Assert.Equal(enterpriseId, me.GetProperty("enterpriseId").GetInt64());
        Assert.Equal(branchId, me.GetProperty("branchId").GetInt64());

        // Staff now reach their enterprise, and only it.
        var list = await staff.GetFromJsonAsync<JsonElement>("/api/enterprises", Ct);
        Assert.Equal(1, list.GetProperty("total").GetInt64());

        var someoneElse = await app.LoginAsAsync(World.Unique("o_late"));
        var again = await someoneElse.PostAsJsonAsync("/api/me/bind", new { inviteCode = code }, Ct);
        await ProblemAssert.IsProblemAsync(again, HttpStatusCode.BadRequest, "invite.used");
    }

    [Fact]
    public async Task ExpiredInviteIsRefused()
    {
        await using var app = new EcoAidApp(fixture);
        var world = new World(app);
        var (cityId, branchId) = await world.BranchAsync();
        var memberId = await world.MemberAsync(branchId, "周杰");
        var admin = await world.UserAsync("admin", cityId, branchId);
        var code = await CreateInviteAsync(admin, new { role = "commissioner", memberId });

        app.Clock.Advance(TimeSpan.FromDays(7) + TimeSpan.FromMinutes(1));
        var user = await app.LoginAsAsync(World.Unique("o_exp"));
        var response = await user.PostAsJsonAsync("/api/me/bind", new { inviteCode = code }, Ct);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "invite.expired");
    }

    [Fact]
    public async Task MemberInviteMakesTheUserThatMember()
    {
        await using var app = new EcoAidApp(fixture);
        var world = new World(app);
        var (cityId, branchId) = await world.BranchAsync();
        var memberId = await world.MemberAsync(branchId, "孙丽");
        var admin = await world.UserAsync("admin", cityId, branchId);
        var code = await CreateInviteAsync(admin, new { role = "secretary", memberId });

        var user = await app.LoginAsAsync(World.Unique("o_sec"));
        var me = await (await user.PostAsJsonAsync("/api/me/bind", new { inviteCode = code }, Ct)).Content.ReadFromJsonAsync<JsonElement>(Ct);

        Assert.Equal("孙丽", me.GetProperty("displayName").GetString());
        Assert.Equal(memberId, me.GetProperty("memberId").GetInt64());
        Assert.Equal("secretary", me.GetProperty("roles")[0].GetString());
    }

    [Fact]
    public async Task UnknownInviteCodeIsRefused()
    {
        await using var app = new EcoAidApp(fixture);
        var user = await app.LoginAsAsync(World.Unique("o_unk"));
        var response = await user.PostAsJsonAsync("/api/me/bind", new { inviteCode = "ZZZZZZZZZZ" }, Ct);
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "invite.invalid");
    }

    [Fact]
    public async Task AdminCannotInviteForAnotherBranchsEnterprise()
    {
        await using var app = new EcoAidApp(fixture);
        var world = new World(app);
        var (cityA, branchA) = await world.BranchAsync();
        var (_, branchB) = await world.BranchAsync();
        var enterpriseOfB = await world.EnterpriseAsync(branchB);
        var adminOfA = await world.UserAsync("admin", cityA, branchA);

        var response = await adminOfA.PostAsJsonAsync("/api/invites", new { role = "staff", enterpriseId = enterpriseOfB }, Ct);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task UserOfOneBranchCannotRedeemAnotherBranchsInvite()
    {
        await using var app = new EcoAidApp(fixture);
        var world = new World(app);
        var (cityA, branchA) = await world.BranchAsync();
        var (cityB, branchB) = await world.BranchAsync();
        var adminA = await world.UserAsync("admin", cityA, branchA);
        var adminB = await world.UserAsync("admin", cityB, branchB);
        var codeA = await CreateInviteAsync(adminA, new { role = "staff", enterpriseId = await world.EnterpriseAsync(branchA) });
        var codeB = await CreateInviteAsync(adminB, new { role = "staff", enterpriseId = await world.EnterpriseAsync(branchB) });
        var user = await app.LoginAsAsync(World.Unique("o_two"));
        Assert.Equal(HttpStatusCode.OK, (await user.PostAsJsonAsync("/api/me/bind", new { inviteCode = codeA }, Ct)).StatusCode);

        var response = await user.PostAsJsonAsync("/api/me/bind", new { inviteCode = codeB }, Ct);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Conflict, "invite.other_branch");
    }

    [Fact]
    public async Task BranchAdminCannotInviteCityUsers()
    {
        await using var app = new EcoAidApp(fixture);
        var world = new World(app);
        var (cityId, branchId) = await world.BranchAsync();
        var admin = await world.UserAsync("admin", cityId, branchId);

        var response = await admin.PostAsJsonAsync("/api/invites", new { role = "city_admin" }, Ct);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Forbidden, "auth.forbidden");
    }

    [Fact]
    public async Task StaffInviteWithoutEnterpriseIsAValidationProblem()
    {
        await using var app = new EcoAidApp(fixture);
        var world = new World(app);
        var (cityId, branchId) = await world.BranchAsync();
        var admin = await world.UserAsync("admin", cityId, branchId);

        var response = await admin.PostAsJsonAsync("/api/invites", new { role = "staff" }, Ct);

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "validation.failed");
        Assert.True(problem.GetProperty("errors").TryGetProperty("enterpriseId", out _));
    }
}
