using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using EcoAid.Api.Tests.Infrastructure;
using EcoAid.Wechat.Sandbox;

namespace EcoAid.Api.Tests.Organisation;

/// <summary>Binding a member to the Official Account end to end: the API's QR code, the sandbox's scan, the callback.</summary>
public class OfficialAccountBindingTests(EcoAidFixture fixture) : IClassFixture<EcoAidFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(PushMode.Safe, false)]
    [InlineData(PushMode.Compatible, true)]
    public async Task AMemberScansTheirQrCodeAndIsBound(PushMode mode, bool alreadyFollowing)
    {
        await using var app = new EcoAidApp(fixture);
        var world = new World(app);
        var (cityId, branchId) = await world.BranchAsync();
        var memberId = await world.MemberAsync(branchId, "赵敏");
        var member = await world.UserAsync("member", cityId, branchId, memberId: memberId);
        var openId = World.Unique("oa_");
        if (alreadyFollowing)
        {
            app.Sandbox.Follow(openId);
        }

        var qr = await HttpExpect.JsonAsync(HttpStatusCode.Created, await member.PostAsync($"/api/members/{memberId}/official-account-qrcode", null, Ct));
        var ticket = qr.GetProperty("ticket").GetString()!;
        Assert.Contains(Uri.EscapeDataString(ticket), qr.GetProperty("imageUrl").GetString());
        Assert.Equal(app.Clock.GetUtcNow().AddMinutes(10), qr.GetProperty("expiresAt").GetDateTimeOffset());
        var scene = app.Sandbox.FindQrCode(ticket)!.Scene;
        Assert.StartsWith("bind:", scene);

        var scan = await app.Sandbox.ScanAsync(app.CreateClient(), ticket, openId, mode, Ct);

        Assert.Equal((200, "success"), (scan.Status, scan.Body));
        var shown = await member.GetFromJsonAsync<JsonElement>($"/api/members/{memberId}", Ct);
        Assert.True(shown.GetProperty("officialAccount").GetProperty("bound").GetBoolean());
        Assert.True(shown.GetProperty("officialAccount").GetProperty("following").GetBoolean());
        await using var db = await app.OpenDatabaseAsync();
        Assert.Equal(openId, await db.ExecuteScalarAsync<string>("SELECT oa_openid FROM members WHERE id = @memberId", new { memberId }));
        Assert.Equal(alreadyFollowing ? "scan" : "subscribe",
            await db.ExecuteScalarAsync<string>("SELECT kind FROM wechat_callback_events WHERE from_openid = @openId", new { openId }));

        // Unfollowing shows up as not following.
        await app.Sandbox.UnfollowAsync(app.CreateClient(), openId, mode, Ct);
        shown = await member.GetFromJsonAsync<JsonElement>($"/api/members/{memberId}", Ct);
        Assert.False(shown.GetProperty("officialAccount").GetProperty("following").GetBoolean());
    }

    [Fact]
    public async Task AnExpiredBindingQrBindsNobody()
    {
        await using var app = new EcoAidApp(fixture);
        var world = new World(app);
        var (cityId, branchId) = await world.BranchAsync();
        var memberId = await world.MemberAsync(branchId);
        var admin = await world.UserAsync("admin", cityId, branchId);
        var qr = await HttpExpect.JsonAsync(HttpStatusCode.Created, await admin.PostAsync($"/api/members/{memberId}/official-account-qrcode", null, Ct));

        app.Clock.Advance(TimeSpan.FromMinutes(11));
        var scan = await app.Sandbox.ScanAsync(app.CreateClient(), qr.GetProperty("ticket").GetString()!, World.Unique("oa_"), PushMode.Safe, Ct);

        // The sandbox keeps WeChat's own (real) clock, so it still pushes; the service's scene has expired on its clock.
        Assert.Equal("success", scan.Body);
        var shown = await admin.GetFromJsonAsync<JsonElement>($"/api/members/{memberId}", Ct);
        Assert.False(shown.GetProperty("officialAccount").GetProperty("bound").GetBoolean());
    }

    [Fact]
    public async Task AMemberCannotMakeAQrCodeForSomeoneElse()
    {
        await using var app = new EcoAidApp(fixture);
        var world = new World(app);
        var (cityId, branchId) = await world.BranchAsync();
        var (_, otherBranch) = await world.BranchAsync();
        var colleague = await world.MemberAsync(branchId);
        var stranger = await world.MemberAsync(otherBranch);
        var member = await world.UserAsync("member", cityId, branchId);
        var admin = await world.UserAsync("admin", cityId, branchId);

        await ProblemAssert.IsProblemAsync(await member.PostAsync($"/api/members/{colleague}/official-account-qrcode", null, Ct),
            HttpStatusCode.Forbidden, "member.not_self");
        await ProblemAssert.IsProblemAsync(await admin.PostAsync($"/api/members/{stranger}/official-account-qrcode", null, Ct),
            HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task WechatRefusingTheQrCodeIsAClearProblem()
    {
        await using var app = new EcoAidApp(fixture);
        var world = new World(app);
        var (cityId, branchId) = await world.BranchAsync();
        var memberId = await world.MemberAsync(branchId);
        var admin = await world.UserAsync("admin", cityId, branchId);
        app.Sandbox.InjectFault("cgi-bin/qrcode/create", new SandboxFault(ErrCode: 48001));
        app.Sandbox.InjectFault("cgi-bin/qrcode/create", new SandboxFault(ErrCode: -1));
        try
        {
            await ProblemAssert.IsProblemAsync(await admin.PostAsync($"/api/members/{memberId}/official-account-qrcode", null, Ct),
                HttpStatusCode.BadGateway, "wechat.rejected");
            await ProblemAssert.IsProblemAsync(await admin.PostAsync($"/api/members/{memberId}/official-account-qrcode", null, Ct),
                HttpStatusCode.ServiceUnavailable, "wechat.unavailable");
        }
        finally
        {
            app.Sandbox.ClearFaults();
        }
    }

    [Fact]
    public async Task AFollowerIsMatchedToTheirMemberByUnionId()
    {
        await using var app = new EcoAidApp(fixture);
        var world = new World(app);
        var (cityId, branchId) = await world.BranchAsync();
        var memberId = await world.MemberAsync(branchId, "陈磊");
        var miniProgramOpenId = World.Unique("o_mp");
        await app.LoginAsAsync(miniProgramOpenId);
        var unionId = World.Unique("union_");
        await using (var db = await app.OpenDatabaseAsync())
        {
            await db.ExecuteAsync("UPDATE users SET unionid = @unionId, member_id = @memberId, branch_id = @branchId WHERE openid = @miniProgramOpenId",
                new { unionId, memberId, branchId, miniProgramOpenId });
        }
        var oaOpenId = World.Unique("oa_");
        app.Sandbox.Follow(oaOpenId, unionId);

        await app.Sandbox.PushAsync(app.CreateClient(), app.Sandbox.EventXml(oaOpenId, "subscribe"), PushMode.Safe, Ct);

        await using var check = await app.OpenDatabaseAsync();
        Assert.Equal(oaOpenId, await check.ExecuteScalarAsync<string>("SELECT oa_openid FROM members WHERE id = @memberId", new { memberId }));
    }

    [Fact]
    public async Task PhoneNumberIsStoredAndShownMasked()
    {
        await using var app = new EcoAidApp(fixture);
        var openId = World.Unique("o_phone");
        var client = await app.LoginAsAsync(openId);
        var code = app.Sandbox.IssuePhoneCode(EcoAidFixture.AppId, openId, "13912345678");

        var me = await HttpExpect.JsonAsync(HttpStatusCode.OK, await client.PostAsJsonAsync("/api/me/phone", new { code }, Ct));
        var reused = await client.PostAsJsonAsync("/api/me/phone", new { code }, Ct);

        Assert.Equal("139****5678", me.GetProperty("phoneMasked").GetString());
        await ProblemAssert.IsProblemAsync(reused, HttpStatusCode.BadRequest, "phone.invalid_code");
        await using var db = await app.OpenDatabaseAsync();
        Assert.Equal("13912345678", await db.ExecuteScalarAsync<string>("SELECT phone FROM users WHERE openid = @openId", new { openId }));
    }

}
