using EcoAid.Wechat.Sandbox;

namespace EcoAid.Wechat.Tests.Apis;

public class SubscribeMessageTests : IClassFixture<SandboxFixture>
{
    const string Template = "TPL_demand_received";
    readonly SandboxFixture fixture;

    public SubscribeMessageTests(SandboxFixture fixture)
    {
        this.fixture = fixture;
        fixture.Sandbox.RegisterSubscribeTemplate(Template, "thing1", "time2", "character_string3", "phrase4");
    }

    static CancellationToken Ct => TestContext.Current.CancellationToken;

    static Dictionary<string, string> Data(string thing = "东门路灯坏了三天") => new()
    {
        ["thing1"] = thing,
        ["time2"] = "2025年3月1日 15:01",
        ["character_string3"] = "DEM-2025-0001",
        ["phrase4"] = "处理中",
    };

    string SubscribedUser(int count = 1)
    {
        var openId = fixture.NewMiniUser();
        fixture.Sandbox.GrantSubscription(openId, Template, count);
        return openId;
    }

    [Fact]
    public async Task SubscribeMessageIsDeliveredWithItsMsgIdAboveTwoToThe53Exactly()
    {
        var openId = SubscribedUser();

        var result = await fixture.MiniProgram.SendSubscribeMessageAsync(
            new SubscribeMessage(openId, Template, Data(), Page: "pages/demand/detail?id=7", State: MiniProgramState.Trial), Ct);

        Assert.True(result.IsSuccess, result.Error?.ErrMsg);
        var delivery = Assert.Single(fixture.Sandbox.Deliveries, d => d.ToUser == openId);
        Assert.Equal(SandboxChannel.SubscribeMessage, delivery.Channel);
        Assert.Equal(Template, delivery.TemplateId);
        Assert.Equal("pages/demand/detail?id=7", delivery.Page);
        Assert.Equal("东门路灯坏了三天", delivery.Data["thing1"]);
        Assert.True(result.Value!.Msgid > 1L << 53);
        Assert.Equal(delivery.MsgId, result.Value.Msgid);
        Assert.NotEqual(result.Value.Msgid, (long)(double)result.Value.Msgid); // a double would have lost it
        Assert.Equal(0, fixture.Sandbox.SubscriptionsLeft(openId, Template));
    }

    [Fact]
    public async Task SecondSendAfterOneAcceptanceIsRefusedWith43101()
    {
        var openId = SubscribedUser();
        Assert.True((await fixture.MiniProgram.SendSubscribeMessageAsync(new SubscribeMessage(openId, Template, Data()), Ct)).IsSuccess);

        var second = await fixture.MiniProgram.SendSubscribeMessageAsync(new SubscribeMessage(openId, Template, Data()), Ct);

        Assert.Equal(WechatErrorCodes.NoSubscriptionLeft, second.Error!.ErrCode);
        Assert.Equal(WechatErrorKind.Permanent, second.Error.Kind);
        Assert.Single(fixture.Sandbox.Deliveries, d => d.ToUser == openId);
    }

    [Fact]
    public async Task UserWhoNeverSubscribedGets43101()
    {
        var result = await fixture.MiniProgram.SendSubscribeMessageAsync(new SubscribeMessage(fixture.NewMiniUser(), Template, Data()), Ct);

        Assert.Equal(43101, result.Error!.ErrCode);
    }

    [Fact]
    public async Task UnknownOpenIdIs40003()
    {
        var stranger = SandboxFixture.Unique("o_stranger");
        fixture.Sandbox.GrantSubscription(stranger, Template);

        var result = await fixture.MiniProgram.SendSubscribeMessageAsync(new SubscribeMessage(stranger, Template, Data()), Ct);

        Assert.Equal(WechatErrorCodes.InvalidOpenId, result.Error!.ErrCode);
    }

    [Fact]
    public async Task OpenIdKnownFromALoginCodeCanReceive()
    {
        var openId = SandboxFixture.Unique("o_logged_in");
        fixture.Sandbox.IssueLoginCode(SandboxFixture.MiniApp.AppId, openId);
        fixture.Sandbox.GrantSubscription(openId, Template);

        var result = await fixture.MiniProgram.SendSubscribeMessageAsync(new SubscribeMessage(openId, Template, Data()), Ct);

        Assert.True(result.IsSuccess, result.Error?.ErrMsg);
    }

    [Fact]
    public async Task UnknownTemplateIs40037()
    {
        var openId = SubscribedUser();

        var result = await fixture.MiniProgram.SendSubscribeMessageAsync(new SubscribeMessage(openId, "TPL_nope", Data()), Ct);

        Assert.Equal(WechatErrorCodes.InvalidTemplateId, result.Error!.ErrCode);
    }

    [Fact]
    public async Task SandboxRefusesAnOverlongThingWith47003NamingTheKey()
    {
        var openId = SubscribedUser();
        var token = await fixture.Tokens.GetTokenAsync(SandboxFixture.MiniApp, Ct);

        // The raw call skips the façade's own check, so this is WeChat's (the sandbox's) verdict.
        var result = await fixture.Client.SendSubscribeMessageAsync(token,
            new SubscribeMessage(openId, Template, Data(new string('路', 21))), Ct);

        Assert.Equal(WechatErrorCodes.ArgumentInvalid, result.Error!.ErrCode);
        Assert.StartsWith("argument invalid! data.thing1.value", result.Error.ErrMsg);
        Assert.Equal(1, fixture.Sandbox.SubscriptionsLeft(openId, Template)); // a refused send uses no acceptance
    }

    [Fact]
    public async Task SandboxRefusesAMissingKeywordAsEmpty()
    {
        var openId = SubscribedUser();
        var token = await fixture.Tokens.GetTokenAsync(SandboxFixture.MiniApp, Ct);
        var data = Data();
        data.Remove("phrase4");

        var result = await fixture.Client.SendSubscribeMessageAsync(token, new SubscribeMessage(openId, Template, data), Ct);

        Assert.Equal(47003, result.Error!.ErrCode);
        Assert.StartsWith("argument invalid! data.phrase4.value is empty", result.Error.ErrMsg);
    }

    [Fact]
    public async Task FacadeRefusesInvalidDataWithoutCallingWechat()
    {
        var openId = SubscribedUser();
        var calls = fixture.Sandbox.CallCount("cgi-bin/message/subscribe/send");
        var data = Data(new string('路', 21));
        data["phrase4"] = "processing";

        var result = await fixture.MiniProgram.SendSubscribeMessageAsync(new SubscribeMessage(openId, Template, data), Ct);

        Assert.Equal(WechatErrorCodes.ArgumentInvalid, result.Error!.ErrCode);
        Assert.Contains("data.thing1.value", result.Error.ErrMsg);
        Assert.Contains("data.phrase4.value", result.Error.ErrMsg);
        Assert.Equal(calls, fixture.Sandbox.CallCount("cgi-bin/message/subscribe/send"));
        Assert.Equal(1, fixture.Sandbox.SubscriptionsLeft(openId, Template));
    }

    [Fact]
    public async Task EnumKeywordAcceptsOnlyTheTemplatesValues()
    {
        fixture.Sandbox.RegisterSubscribeTemplate("TPL_enum", "enum1");
        fixture.Sandbox.SetEnumValues("TPL_enum", "enum1", "已受理", "已办结");
        var openId = fixture.NewMiniUser();
        fixture.Sandbox.GrantSubscription(openId, "TPL_enum", 2);

        var wrong = await fixture.MiniProgram.SendSubscribeMessageAsync(new SubscribeMessage(openId, "TPL_enum", new Dictionary<string, string> { ["enum1"] = "办理中" }), Ct);
        var right = await fixture.MiniProgram.SendSubscribeMessageAsync(new SubscribeMessage(openId, "TPL_enum", new Dictionary<string, string> { ["enum1"] = "已办结" }), Ct);

        Assert.Equal(47003, wrong.Error!.ErrCode);
        Assert.True(right.IsSuccess);
    }

    [Fact]
    public async Task PageOutsideTheReleasedVersionIs41030()
    {
        var openId = SubscribedUser();
        fixture.Sandbox.ReleasedPages = ["pages/index/index", "pages/demand/detail"];
        try
        {
            var unreleased = await fixture.MiniProgram.SendSubscribeMessageAsync(new SubscribeMessage(openId, Template, Data(), Page: "pages/secret/secret"), Ct);
            var released = await fixture.MiniProgram.SendSubscribeMessageAsync(new SubscribeMessage(openId, Template, Data(), Page: "pages/demand/detail?id=9"), Ct);

            Assert.Equal(41030, unreleased.Error!.ErrCode);
            Assert.True(released.IsSuccess);
        }
        finally
        {
            fixture.Sandbox.ReleasedPages = null;
        }
    }

    [Fact]
    public async Task SendSurvivesAStaleTokenWithOneRefreshAndOneRetry()
    {
        var openId = SubscribedUser();
        await fixture.Tokens.GetTokenAsync(SandboxFixture.MiniApp, Ct);
        var tokenCalls = fixture.Sandbox.CallCount("cgi-bin/stable_token");
        var sendCalls = fixture.Sandbox.CallCount("cgi-bin/message/subscribe/send");
        fixture.Sandbox.InvalidateTokens(SandboxFixture.MiniApp.AppId);

        var result = await fixture.MiniProgram.SendSubscribeMessageAsync(new SubscribeMessage(openId, Template, Data()), Ct);

        Assert.True(result.IsSuccess, result.Error?.ErrMsg);
        Assert.Equal(tokenCalls + 1, fixture.Sandbox.CallCount("cgi-bin/stable_token"));
        Assert.Equal(sendCalls + 2, fixture.Sandbox.CallCount("cgi-bin/message/subscribe/send"));
        Assert.Single(fixture.Sandbox.Deliveries, d => d.ToUser == openId);
    }

    [Theory]
    [MemberData(nameof(SubscribeDataValidatorTests.Accepted), MemberType = typeof(SubscribeDataValidatorTests))]
    public async Task SandboxAcceptsWhatTheClientCheckAccepts(string key, string value) =>
        Assert.True((await SendOneValueRawAsync(key, value)).IsSuccess);

    [Theory]
    [MemberData(nameof(SubscribeDataValidatorTests.Refused), MemberType = typeof(SubscribeDataValidatorTests))]
    public async Task SandboxRefusesWhatTheClientCheckRefuses(string key, string value)
    {
        var result = await SendOneValueRawAsync(key, value);

        Assert.Equal(47003, result.Error?.ErrCode);
        Assert.StartsWith($"argument invalid! data.{key}.value", result.Error!.ErrMsg);
    }

    // Past the façade, so the sandbox's own rules judge the value.
    async Task<WechatResult<MessageSent>> SendOneValueRawAsync(string key, string value)
    {
        var template = SandboxFixture.Unique("TPL_one");
        fixture.Sandbox.RegisterSubscribeTemplate(template, key);
        var openId = fixture.NewMiniUser();
        fixture.Sandbox.GrantSubscription(openId, template);
        var token = await fixture.Tokens.GetTokenAsync(SandboxFixture.MiniApp, Ct);
        return await fixture.Client.SendSubscribeMessageAsync(token,
            new SubscribeMessage(openId, template, new Dictionary<string, string> { [key] = value }), Ct);
    }
}
