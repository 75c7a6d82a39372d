using EcoAid.Wechat.AccessTokens;
using EcoAid.Wechat.Sandbox;
using Microsoft.Extensions.Logging.Abstractions;

namespace EcoAid.Wechat.Tests.Apis;

public class FaultTests : IClassFixture<SandboxFixture>
{
    const string Template = "TPL_fault";
    readonly SandboxFixture fixture;

    public FaultTests(SandboxFixture fixture)
    {
        this.fixture = fixture;
        fixture.Sandbox.RegisterSubscribeTemplate(Template, "thing1");
        fixture.Sandbox.RegisterTemplate(Template, "thing1");
    }

    static CancellationToken Ct => TestContext.Current.CancellationToken;

    SubscribeMessage Message()
    {
        var openId = fixture.NewMiniUser();
        fixture.Sandbox.GrantSubscription(openId, Template);
        return new SubscribeMessage(openId, Template, new Dictionary<string, string> { ["thing1"] = "故障测试" });
    }

    [Fact]
    public async Task Http500IsUnavailable()
    {
        var message = Message();
        await fixture.Tokens.GetTokenAsync(SandboxFixture.MiniApp, Ct);
        fixture.Sandbox.InjectFault("cgi-bin/message/subscribe/send", new SandboxFault(HttpStatus: 500));

        var e = await Assert.ThrowsAsync<WechatUnavailableException>(() => fixture.MiniProgram.SendSubscribeMessageAsync(message, Ct));

        Assert.Equal("cgi-bin/message/subscribe/send", e.Api);
        Assert.DoesNotContain("access_token", e.Message);
        Assert.Equal(1, fixture.Sandbox.SubscriptionsLeft(message.ToUser, Template));
    }

    [Fact]
    public async Task SystemBusyIsATransientFailureAndIsNotRetried()
    {
        var message = Message();
        await fixture.Tokens.GetTokenAsync(SandboxFixture.MiniApp, Ct);
        var calls = fixture.Sandbox.CallCount("cgi-bin/message/subscribe/send");
        fixture.Sandbox.InjectFault("cgi-bin/message/subscribe/send", new SandboxFault(ErrCode: -1));

        var result = await fixture.MiniProgram.SendSubscribeMessageAsync(message, Ct);

        Assert.Equal(-1, result.Error!.ErrCode);
        Assert.Equal(WechatErrorKind.Transient, result.Error.Kind);
        Assert.Equal(calls + 1, fixture.Sandbox.CallCount("cgi-bin/message/subscribe/send"));
    }

    [Theory]
    [InlineData("cgi-bin/message/subscribe/send", 45009)]
    [InlineData("wxa/getwxacodeunlimit", 45009)]
    [InlineData("cgi-bin/message/template/send", 45011)]
    public async Task QuotaErrorsAreClassifiedAsQuotaExceeded(string endpoint, int errCode)
    {
        var openId = SandboxFixture.Unique("o_oa");
        fixture.Sandbox.Follow(openId);
        var message = Message();
        fixture.Sandbox.InjectFault(endpoint, new SandboxFault(ErrCode: errCode));

        WechatError? error = endpoint switch
        {
            "wxa/getwxacodeunlimit" => (await fixture.MiniProgram.GetUnlimitedQrCodeAsync(new UnlimitedQrCodeRequest("q=1"), Ct)).Error,
            "cgi-bin/message/template/send" => (await fixture.OfficialAccount.SendTemplateMessageAsync(
                new TemplateMessage(openId, Template, message.Data), Ct)).Error,
            _ => (await fixture.MiniProgram.SendSubscribeMessageAsync(message, Ct)).Error,
        };

        Assert.Equal(errCode, error!.ErrCode);
        Assert.Equal(WechatErrorKind.QuotaExceeded, error.Kind);
    }

    [Fact]
    public async Task Http500FromTheImageEndpointIsUnavailableToo()
    {
        await fixture.Tokens.GetTokenAsync(SandboxFixture.MiniApp, Ct);
        fixture.Sandbox.InjectFault("wxa/getwxacodeunlimit", new SandboxFault(HttpStatus: 503));

        await Assert.ThrowsAsync<WechatUnavailableException>(() => fixture.MiniProgram.GetUnlimitedQrCodeAsync(new UnlimitedQrCodeRequest("q=2"), Ct));
    }

    [Fact]
    public async Task AnswerSlowerThanTheHttpTimeoutIsUnavailable()
    {
        var client = fixture.NewClient(TimeSpan.FromMilliseconds(500));
        var tokens = new AccessTokenProvider(client, new InMemoryAccessTokenStore(), fixture.Time, NullLogger<AccessTokenProvider>.Instance);
        var api = new MiniProgramApi(SandboxFixture.MiniApp, client, tokens);
        await tokens.GetTokenAsync(SandboxFixture.MiniApp, Ct);
        fixture.Sandbox.InjectFault("wxa/msg_sec_check", new SandboxFault(Delay: TimeSpan.FromSeconds(5)));
        try
        {
            var e = await Assert.ThrowsAsync<WechatUnavailableException>(() =>
                api.MsgSecCheckAsync(new MsgSecCheckRequest(fixture.NewMiniUser(), "你好"), Ct));

            Assert.Contains("timed out", e.Message);
        }
        finally
        {
            fixture.Sandbox.ClearFaults();
        }
    }

    [Fact]
    public async Task TokenThatStaysInvalidAfterTheRetryIsReturnedNotLooped()
    {
        var message = Message();
        await fixture.Tokens.GetTokenAsync(SandboxFixture.MiniApp, Ct);
        var calls = fixture.Sandbox.CallCount("cgi-bin/message/subscribe/send");
        fixture.Sandbox.InvalidateTokens(SandboxFixture.MiniApp.AppId); // so the refresh really yields a new token
        fixture.Sandbox.InjectFault("cgi-bin/message/subscribe/send", new SandboxFault(ErrCode: 40001, Times: 5));
        try
        {
            var result = await fixture.MiniProgram.SendSubscribeMessageAsync(message, Ct);

            Assert.Equal(WechatErrorKind.TokenInvalid, result.Error!.Kind);
            Assert.Equal(calls + 2, fixture.Sandbox.CallCount("cgi-bin/message/subscribe/send"));
        }
        finally
        {
            fixture.Sandbox.ClearFaults();
        }
    }
}
