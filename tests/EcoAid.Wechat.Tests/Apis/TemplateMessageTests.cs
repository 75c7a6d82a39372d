using EcoAid.Wechat.Sandbox;

namespace EcoAid.Wechat.Tests.Apis;

public class TemplateMessageTests : IClassFixture<SandboxFixture>
{
    const string Template = "oa_tpl_task_assigned";
    readonly SandboxFixture fixture;

    public TemplateMessageTests(SandboxFixture fixture)
    {
        this.fixture = fixture;
        fixture.Sandbox.RegisterTemplate(Template, "thing1", "thing2", "time3");
    }

    static CancellationToken Ct => TestContext.Current.CancellationToken;

    static Dictionary<string, string> Data(string title = "东门路灯不亮") => new()
    {
        ["thing1"] = title,
        ["thing2"] = "江苏南方永磁科技有限公司",
        ["time3"] = "2025-03-01 15:01",
    };

    string Follower()
    {
        var openId = SandboxFixture.Unique("o_oa");
        fixture.Sandbox.Follow(openId);
        return openId;
    }

    [Fact]
    public async Task FollowerGetsTheMessageWithItsMiniProgramPage()
    {
        var openId = Follower();
        var message = new TemplateMessage(openId, Template, Data(), Url: "https://example.com/task/7",
            MiniProgram: new TemplateMiniProgram(SandboxFixture.MiniApp.AppId, "pages/task/detail?id=7"));

        var result = await fixture.OfficialAccount.SendTemplateMessageAsync(message, Ct);

        Assert.True(result.IsSuccess, result.Error?.ErrMsg);
        var delivery = Assert.Single(fixture.Sandbox.Deliveries, d => d.ToUser == openId);
        Assert.Equal(SandboxChannel.TemplateMessage, delivery.Channel);
        Assert.Equal(SandboxFixture.OaApp.AppId, delivery.AppId);
        Assert.Equal("pages/task/detail?id=7", delivery.Page);
        Assert.Equal("https://example.com/task/7", delivery.Url);
        Assert.Equal("东门路灯不亮", delivery.Data["thing1"]);
        Assert.Equal(delivery.MsgId, result.Value!.Msgid);
        Assert.True(result.Value.Msgid > 1L << 53);
    }

    [Fact]
    public async Task FacadePutsValuesOnOneLineAndCutsThemTo20WithAnEllipsis()
    {
        var openId = Follower();
        var title = "东门路灯\n坏了三天，附近企业夜间出行很不方便，请尽快处理";

        await fixture.OfficialAccount.SendTemplateMessageAsync(new TemplateMessage(openId, Template, Data(title)), Ct);

        var shown = Assert.Single(fixture.Sandbox.Deliveries, d => d.ToUser == openId).Data["thing1"];
        Assert.Equal("东门路灯 坏了三天，附近企业夜间出行很…", shown);
        Assert.Equal(20, WechatText.Length(shown));
    }

    [Fact]
    public async Task SandboxCutsOverlongValuesSilentlyLikeWechat()
    {
        var openId = Follower();
        var token = await fixture.Tokens.GetTokenAsync(SandboxFixture.OaApp, Ct);

        var result = await fixture.Client.SendTemplateMessageAsync(token,
            new TemplateMessage(openId, Template, Data("一二三四五六七八九十一二三四五六七八九十超出")), Ct);

        Assert.True(result.IsSuccess);
        Assert.Equal("一二三四五六七八九十一二三四五六七八九十", Assert.Single(fixture.Sandbox.Deliveries, d => d.ToUser == openId).Data["thing1"]);
    }

    [Fact]
    public async Task NonFollowerIsRefusedWith43004()
    {
        var result = await fixture.OfficialAccount.SendTemplateMessageAsync(
            new TemplateMessage(SandboxFixture.Unique("o_oa_never"), Template, Data()), Ct);

        Assert.Equal(WechatErrorCodes.NotFollowing, result.Error!.ErrCode);
        Assert.Equal(WechatErrorKind.Permanent, result.Error.Kind);
    }

    [Fact]
    public async Task UserWhoUnfollowedIsRefusedWith43004()
    {
        var openId = Follower();
        fixture.Sandbox.Unfollow(openId);

        var result = await fixture.OfficialAccount.SendTemplateMessageAsync(new TemplateMessage(openId, Template, Data()), Ct);

        Assert.Equal(43004, result.Error!.ErrCode);
        Assert.False(fixture.Sandbox.IsFollowing(openId));
    }

    [Fact]
    public async Task UnknownTemplateIs40037()
    {
        var result = await fixture.OfficialAccount.SendTemplateMessageAsync(new TemplateMessage(Follower(), "oa_tpl_nope", Data()), Ct);

        Assert.Equal(40037, result.Error!.ErrCode);
    }

    [Fact]
    public async Task SameClientMsgIdWithinTenMinutesSendsOnceWithOneMsgId()
    {
        var openId = Follower();
        var message = new TemplateMessage(openId, Template, Data(), ClientMsgId: "task-7-assigned");

        var first = await fixture.OfficialAccount.SendTemplateMessageAsync(message, Ct);
        fixture.Time.Advance(TimeSpan.FromMinutes(9));
        var repeat = await fixture.OfficialAccount.SendTemplateMessageAsync(message, Ct);

        Assert.Equal(first.Value!.Msgid, repeat.Value!.Msgid);
        Assert.Single(fixture.Sandbox.Deliveries, d => d.ToUser == openId);

        fixture.Time.Advance(TimeSpan.FromMinutes(2));
        var later = await fixture.OfficialAccount.SendTemplateMessageAsync(message, Ct);

        Assert.NotEqual(first.Value.Msgid, later.Value!.Msgid);
        Assert.Equal(2, fixture.Sandbox.Deliveries.Count(d => d.ToUser == openId));
    }

    [Fact]
    public async Task SameClientMsgIdForAnotherUserIsAnotherMessage()
    {
        var (one, two) = (Follower(), Follower());

        var first = await fixture.OfficialAccount.SendTemplateMessageAsync(new TemplateMessage(one, Template, Data(), ClientMsgId: "notice-1"), Ct);
        var second = await fixture.OfficialAccount.SendTemplateMessageAsync(new TemplateMessage(two, Template, Data(), ClientMsgId: "notice-1"), Ct);

        Assert.NotEqual(first.Value!.Msgid, second.Value!.Msgid);
    }

    [Fact]
    public async Task UnreleasedMiniProgramPageIs40165()
    {
        fixture.Sandbox.ReleasedPages = ["pages/index/index"];
        try
        {
            var result = await fixture.OfficialAccount.SendTemplateMessageAsync(new TemplateMessage(Follower(), Template, Data(),
                MiniProgram: new TemplateMiniProgram(SandboxFixture.MiniApp.AppId, "pages/hidden/hidden")), Ct);

            Assert.Equal(40165, result.Error!.ErrCode);
        }
        finally
        {
            fixture.Sandbox.ReleasedPages = null;
        }
    }

    [Fact]
    public async Task SendSurvivesAStaleTokenWithOneRefresh()
    {
        var openId = Follower();
        await fixture.Tokens.GetTokenAsync(SandboxFixture.OaApp, Ct);
        var tokenCalls = fixture.Sandbox.CallCount("cgi-bin/stable_token");
        fixture.Sandbox.InvalidateTokens(SandboxFixture.OaApp.AppId);

        var result = await fixture.OfficialAccount.SendTemplateMessageAsync(new TemplateMessage(openId, Template, Data()), Ct);

        Assert.True(result.IsSuccess);
        Assert.Equal(tokenCalls + 1, fixture.Sandbox.CallCount("cgi-bin/stable_token"));
        Assert.Single(fixture.Sandbox.Deliveries, d => d.ToUser == openId);
    }

    [Fact]
    public async Task MiniProgramTokenOnTheTemplateApiIsUnauthorized()
    {
        var token = await fixture.Tokens.GetTokenAsync(SandboxFixture.MiniApp, Ct);

        var result = await fixture.Client.SendTemplateMessageAsync(token, new TemplateMessage(Follower(), Template, Data()), Ct);

        Assert.Equal(48001, result.Error!.ErrCode);
    }
}
