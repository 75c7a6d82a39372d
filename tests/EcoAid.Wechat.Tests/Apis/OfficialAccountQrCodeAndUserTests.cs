using System.Text.Json;
using EcoAid.Wechat.Sandbox;

namespace EcoAid.Wechat.Tests.Apis;

public class OfficialAccountQrCodeAndUserTests(SandboxFixture fixture) : IClassFixture<SandboxFixture>
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task QrCodeIsRecordedWithItsSceneAndExpiry()
    {
        var scene = "bind:" + SandboxFixture.Unique("t");
        var before = fixture.Time.GetUtcNow();

        var result = await fixture.OfficialAccount.CreateQrCodeAsync(scene, TimeSpan.FromMinutes(10), Ct);

        Assert.True(result.IsSuccess, result.Error?.ErrMsg);
        Assert.Equal(600, result.Value!.ExpireSeconds);
        Assert.StartsWith("http://weixin.qq.com/q/", result.Value.Url);
        var recorded = fixture.Sandbox.FindQrCode(result.Value.Ticket);
        Assert.NotNull(recorded);
        Assert.Equal(scene, recorded.Scene);
        Assert.Equal(result.Value.Url, recorded.Url);
        Assert.Equal(before.AddMinutes(10), recorded.ExpiresAt);
        Assert.True(recorded.IsActiveAt(before.AddMinutes(9)));
        Assert.False(recorded.IsActiveAt(before.AddMinutes(10)));
        Assert.Contains(fixture.Sandbox.QrCodes, q => q.Ticket == result.Value.Ticket);
    }

    [Fact]
    public async Task ShowQrCodeUrlCarriesTheTicketUrlEncoded()
    {
        var result = await fixture.OfficialAccount.CreateQrCodeAsync("bind:abc", TimeSpan.FromMinutes(1), Ct);
        var ticket = result.Value!.Ticket;

        var url = result.Value.ShowQrCodeUrl;

        Assert.Equal("mp.weixin.qq.com", url.Host);
        Assert.Equal("/cgi-bin/showqrcode", url.AbsolutePath);
        var encoded = url.Query["?ticket=".Length..];
        Assert.DoesNotContain('+', encoded);
        Assert.DoesNotContain('/', encoded);
        Assert.DoesNotContain('=', encoded);
        Assert.Equal(ticket, Uri.UnescapeDataString(encoded));
    }

    [Fact]
    public void ShowQrCodeUrlEncodesPlusSlashAndEquals() =>
        Assert.Equal("https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket=gQH4%2B7j%2FoA%3D%3D",
            WechatApiClient.ShowQrCodeUrl("gQH4+7j/oA==").AbsoluteUri);

    [Fact]
    public async Task RequestWithoutSceneGetsScene0LikeWechat()
    {
        var token = await fixture.Tokens.GetTokenAsync(SandboxFixture.OaApp, Ct);
        using var http = fixture.NewHttp();

        using var response = await http.PostAsync($"cgi-bin/qrcode/create?access_token={Uri.EscapeDataString(token)}",
            new StringContent("""{"expire_seconds":120,"action_name":"QR_STR_SCENE","action_info":{}}""", System.Text.Encoding.UTF8, "application/json"), Ct);
        using var answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));

        Assert.False(answer.RootElement.TryGetProperty("errcode", out _)); // like WeChat, success has no errcode here
        Assert.Equal("0", fixture.Sandbox.FindQrCode(answer.RootElement.GetProperty("ticket").GetString()!)!.Scene);
    }

    [Fact]
    public async Task SceneAndLifetimeOutsideWechatsLimitsAreRefusedBeforeAnyCall()
    {
        var calls = fixture.Sandbox.CallCount("cgi-bin/qrcode/create");

        await Assert.ThrowsAsync<ArgumentException>(() => fixture.OfficialAccount.CreateQrCodeAsync(new string('x', 65), TimeSpan.FromMinutes(1), Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => fixture.OfficialAccount.CreateQrCodeAsync("", TimeSpan.FromMinutes(1), Ct));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => fixture.OfficialAccount.CreateQrCodeAsync("bind:x", TimeSpan.FromDays(31), Ct));

        Assert.Equal(calls, fixture.Sandbox.CallCount("cgi-bin/qrcode/create"));
    }

    [Fact]
    public async Task MiniProgramTokenCannotCreateOfficialAccountQrCodes()
    {
        var token = await fixture.Tokens.GetTokenAsync(SandboxFixture.MiniApp, Ct);

        var result = await fixture.Client.CreateQrCodeAsync(token, "bind:x", TimeSpan.FromMinutes(1), Ct);

        Assert.Equal(48001, result.Error!.ErrCode);
    }

    [Fact]
    public async Task FollowerHasSubscribe1AndTheUnionIdItWasLinkedWith()
    {
        var oaOpenId = SandboxFixture.Unique("o_oa");
        var miniOpenId = fixture.NewMiniUser();
        fixture.Sandbox.Follow(oaOpenId, WechatSandbox.UnionIdOf(miniOpenId));

        var result = await fixture.OfficialAccount.GetUserInfoAsync(oaOpenId, Ct);

        Assert.True(result.IsSuccess, result.Error?.ErrMsg);
        Assert.True(result.Value!.IsFollowing);
        Assert.Equal(oaOpenId, result.Value.Openid);
        Assert.Equal(WechatSandbox.UnionIdOf(miniOpenId), result.Value.Unionid);
        Assert.Equal(fixture.Time.GetUtcNow().ToUnixTimeSeconds(), result.Value.SubscribeTime);
    }

    [Fact]
    public async Task NonFollowerHasSubscribe0AndNoUnionId()
    {
        var oaOpenId = SandboxFixture.Unique("o_oa");

        var result = await fixture.OfficialAccount.GetUserInfoAsync(oaOpenId, Ct);

        Assert.Equal(0, result.Value!.Subscribe);
        Assert.False(result.Value.IsFollowing);
        Assert.Null(result.Value.Unionid);
    }

    [Fact]
    public async Task UnboundOfficialAccountGivesNoUnionId()
    {
        var oa = new WechatApp("wxapis_oa_unbound", "unbound-secret");
        fixture.Sandbox.RegisterApp(oa.AppId, oa.AppSecret, boundToOpenPlatform: false, SandboxAppKind.OfficialAccount);
        var api = new OfficialAccountApi(oa, fixture.Client, fixture.Tokens);
        var openId = SandboxFixture.Unique("o_oa");
        fixture.Sandbox.Follow(openId);

        var result = await api.GetUserInfoAsync(openId, Ct);

        Assert.True(result.Value!.IsFollowing);
        Assert.Null(result.Value.Unionid);
    }

    [Fact]
    public async Task UserInfoSurvivesAStaleTokenWithOneRefresh()
    {
        var openId = SandboxFixture.Unique("o_oa");
        fixture.Sandbox.Follow(openId);
        await fixture.Tokens.GetTokenAsync(SandboxFixture.OaApp, Ct);
        var calls = fixture.Sandbox.CallCount("cgi-bin/user/info");
        fixture.Sandbox.InvalidateTokens(SandboxFixture.OaApp.AppId);

        var result = await fixture.OfficialAccount.GetUserInfoAsync(openId, Ct);

        Assert.True(result.Value!.IsFollowing);
        Assert.Equal(calls + 2, fixture.Sandbox.CallCount("cgi-bin/user/info"));
    }
}
