using EcoAid.Wechat.Sandbox;

namespace EcoAid.Wechat.Tests.Apis;

public class MsgSecCheckTests : IClassFixture<SandboxFixture>
{
    readonly SandboxFixture fixture;

    public MsgSecCheckTests(SandboxFixture fixture)
    {
        this.fixture = fixture;
        fixture.Sandbox.RiskyWords["代开发票"] = 20006;
        fixture.Sandbox.ReviewWords["偷排"] = 21000;
    }

    static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("东门路灯坏了三天，请尽快修理", MsgSecSuggest.Pass, 100)]
    [InlineData("隔壁工厂夜里偷排废水", MsgSecSuggest.Review, 21000)]
    [InlineData("专业代开发票，价格优惠", MsgSecSuggest.Risky, 20006)]
    public async Task VerdictFollowsTheWordLists(string content, MsgSecSuggest suggest, int label)
    {
        var result = await fixture.MiniProgram.MsgSecCheckAsync(new MsgSecCheckRequest(fixture.NewMiniUser(), content), Ct);

        Assert.True(result.IsSuccess, result.Error?.ErrMsg);
        Assert.Equal(suggest, result.Value!.Suggest);
        Assert.Equal(label, result.Value.Label);
        Assert.False(string.IsNullOrEmpty(result.Value.TraceId));
    }

    [Fact]
    public async Task RiskyWordInTheTitleCountsToo()
    {
        var result = await fixture.MiniProgram.MsgSecCheckAsync(
            new MsgSecCheckRequest(fixture.NewMiniUser(), "正文没有问题", MsgSecCheckScene.Forum, Title: "代开发票"), Ct);

        Assert.Equal(MsgSecSuggest.Risky, result.Value!.Suggest);
    }

    [Theory]
    [InlineData("特3456书yuuo莞6543李zxcz蒜7782法fgnv级")]
    [InlineData("完2347全dfji试3726测asad感3847知qwez到")]
    public async Task WechatsOwnTestStringsAreRisky(string content)
    {
        var result = await fixture.MiniProgram.MsgSecCheckAsync(new MsgSecCheckRequest(fixture.NewMiniUser(), content), Ct);

        Assert.Equal(MsgSecSuggest.Risky, result.Value!.Suggest);
    }

    [Fact]
    public async Task Errcode87014IsReadAsRisky()
    {
        fixture.Sandbox.InjectFault("wxa/msg_sec_check", new SandboxFault(ErrCode: 87014));

        var result = await fixture.MiniProgram.MsgSecCheckAsync(new MsgSecCheckRequest(fixture.NewMiniUser(), "whatever"), Ct);

        Assert.True(result.IsSuccess);
        Assert.Equal(MsgSecSuggest.Risky, result.Value!.Suggest);
        Assert.Null(result.Value.Label);
    }

    [Fact]
    public async Task UnknownOpenIdIs40003()
    {
        var result = await fixture.MiniProgram.MsgSecCheckAsync(new MsgSecCheckRequest(SandboxFixture.Unique("o_nobody"), "你好"), Ct);

        Assert.Equal(40003, result.Error!.ErrCode);
    }

    [Fact]
    public async Task SceneOutsideOneToFourIs40129()
    {
        var result = await fixture.MiniProgram.MsgSecCheckAsync(new MsgSecCheckRequest(fixture.NewMiniUser(), "你好", (MsgSecCheckScene)9), Ct);

        Assert.Equal(40129, result.Error!.ErrCode);
    }

    [Fact]
    public async Task VersionOneRequestIsRefused()
    {
        var token = await fixture.Tokens.GetTokenAsync(SandboxFixture.MiniApp, Ct);
        using var http = fixture.NewHttp();

        using var response = await http.PostAsync($"wxa/msg_sec_check?access_token={Uri.EscapeDataString(token)}",
            new StringContent("""{"content":"你好"}""", System.Text.Encoding.UTF8, "application/json"), Ct);

        Assert.Contains("\"errcode\":47001", await response.Content.ReadAsStringAsync(Ct));
    }
}
