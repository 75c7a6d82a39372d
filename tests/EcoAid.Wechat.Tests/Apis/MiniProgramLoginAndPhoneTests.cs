using System.Text.Json;

namespace EcoAid.Wechat.Tests.Apis;

public class MiniProgramLoginAndPhoneTests(SandboxFixture fixture) : IClassFixture<SandboxFixture>
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task LoginCodeGivesTheOpenIdThroughTheFacade()
    {
        var openId = SandboxFixture.Unique("o_login");
        var code = fixture.Sandbox.IssueLoginCode(SandboxFixture.MiniApp.AppId, openId);

        var result = await fixture.MiniProgram.Code2SessionAsync(code, Ct);

        Assert.True(result.IsSuccess);
        Assert.Equal(openId, result.Value!.Openid);
    }

    [Fact]
    public async Task PhoneCodeGivesThePhoneWhetherCountryCodeComesAsNumberOrString()
    {
        var openId = fixture.NewMiniUser();
        // The sandbox alternates countryCode between 86 and "86"; two answers in a row cover both.
        var first = await fixture.MiniProgram.GetUserPhoneNumberAsync(
            fixture.Sandbox.IssuePhoneCode(SandboxFixture.MiniApp.AppId, openId, "13800138000"), Ct);
        var second = await fixture.MiniProgram.GetUserPhoneNumberAsync(
            fixture.Sandbox.IssuePhoneCode(SandboxFixture.MiniApp.AppId, openId, "13900139000"), Ct);

        Assert.Equal("13800138000", first.Value!.PurePhoneNumber);
        Assert.Equal("13800138000", first.Value.PhoneNumber);
        Assert.Equal("86", first.Value.CountryCode);
        Assert.Equal(SandboxFixture.MiniApp.AppId, first.Value.Watermark!.Appid);
        Assert.Equal("13900139000", second.Value!.PurePhoneNumber);
        Assert.Equal("86", second.Value.CountryCode);
    }

    [Fact]
    public async Task PhoneCodeWorksOnce()
    {
        var code = fixture.Sandbox.IssuePhoneCode(SandboxFixture.MiniApp.AppId, fixture.NewMiniUser(), "13800138001");
        Assert.True((await fixture.MiniProgram.GetUserPhoneNumberAsync(code, Ct)).IsSuccess);

        var again = await fixture.MiniProgram.GetUserPhoneNumberAsync(code, Ct);

        Assert.Equal(40029, again.Error!.ErrCode);
        Assert.Equal(WechatErrorKind.Permanent, again.Error.Kind);
    }

    [Fact]
    public async Task PhoneCodeExpiresAfterFiveMinutes()
    {
        var code = fixture.Sandbox.IssuePhoneCode(SandboxFixture.MiniApp.AppId, fixture.NewMiniUser(), "13800138002");
        fixture.Time.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(1));

        var result = await fixture.MiniProgram.GetUserPhoneNumberAsync(code, Ct);

        Assert.Equal(40029, result.Error!.ErrCode);
    }

    [Fact]
    public async Task UnknownPhoneCodeIsInvalid()
    {
        var result = await fixture.MiniProgram.GetUserPhoneNumberAsync("not-a-code", Ct);

        Assert.Equal(40029, result.Error!.ErrCode);
        Assert.NotEqual("", result.Error.Rid);
    }

    [Fact]
    public async Task PhoneCodeSentAsAFormIsADataFormatError()
    {
        var code = fixture.Sandbox.IssuePhoneCode(SandboxFixture.MiniApp.AppId, fixture.NewMiniUser(), "13800138003");
        var token = await fixture.Tokens.GetTokenAsync(SandboxFixture.MiniApp, Ct);
        using var http = fixture.NewHttp();

        using var response = await http.PostAsync($"wxa/business/getuserphonenumber?access_token={Uri.EscapeDataString(token)}",
            new FormUrlEncodedContent([new("code", code)]), Ct);
        using var answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));

        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal(47001, answer.RootElement.GetProperty("errcode").GetInt32());
        Assert.True((await fixture.MiniProgram.GetUserPhoneNumberAsync(code, Ct)).IsSuccess); // the code was not used up
    }

    [Fact]
    public async Task PhoneNumberSurvivesAStaleTokenWithOneRefresh()
    {
        await fixture.Tokens.GetTokenAsync(SandboxFixture.MiniApp, Ct);
        var code = fixture.Sandbox.IssuePhoneCode(SandboxFixture.MiniApp.AppId, fixture.NewMiniUser(), "13800138004");
        var tokenCalls = fixture.Sandbox.CallCount("cgi-bin/stable_token");
        var phoneCalls = fixture.Sandbox.CallCount("wxa/business/getuserphonenumber");
        fixture.Sandbox.InvalidateTokens(SandboxFixture.MiniApp.AppId);

        var result = await fixture.MiniProgram.GetUserPhoneNumberAsync(code, Ct);

        Assert.True(result.IsSuccess);
        Assert.Equal(tokenCalls + 1, fixture.Sandbox.CallCount("cgi-bin/stable_token"));
        Assert.Equal(phoneCalls + 2, fixture.Sandbox.CallCount("wxa/business/getuserphonenumber"));
    }

    [Fact]
    public async Task OfficialAccountTokenOnAMiniProgramApiIsUnauthorized()
    {
        var oaToken = await fixture.Tokens.GetTokenAsync(SandboxFixture.OaApp, Ct);
        var code = fixture.Sandbox.IssuePhoneCode(SandboxFixture.MiniApp.AppId, fixture.NewMiniUser(), "13800138005");

        var result = await fixture.Client.GetUserPhoneNumberAsync(oaToken, code, Ct);

        Assert.Equal(48001, result.Error!.ErrCode);
    }

    [Fact]
    public async Task MissingTokenIs41001()
    {
        var result = await fixture.Client.GetUserPhoneNumberAsync("", "whatever", Ct);

        Assert.Equal(41001, result.Error!.ErrCode);
    }
}
