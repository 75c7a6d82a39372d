using System.Text.RegularExpressions;

namespace EcoAid.Wechat.Tests.Apis;

/// <summary>The dev run's sandbox page (Chinese): its forms for a login code, a subscribe acceptance and a fault.</summary>
public partial class SandboxPageTests(SandboxFixture fixture) : IClassFixture<SandboxFixture>
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    HttpClient Http() => new() { BaseAddress = fixture.Server.BaseAddress };

    [Fact]
    public async Task ThePageIsInChineseAndItsLinksStayUnderTheSandboxAfterAForm()
    {
        using var http = Http();
        var page = await http.GetStringAsync("", Ct);
        Assert.Contains("微信沙箱", page);
        Assert.Contains($"<base href=\"{fixture.Server.BaseAddress.AbsolutePath}\">", page);

        var answer = await http.PostAsync("_sandbox/subscribe-form", new FormUrlEncodedContent(new Dictionary<string, string> { ["openid"] = "" }), Ct);
        var text = await answer.Content.ReadAsStringAsync(Ct);
        Assert.Contains("openid 和模板 ID 都必须填写", text);
        Assert.Contains($"<base href=\"{fixture.Server.BaseAddress.AbsolutePath}\">", text);
    }

    [Fact]
    public async Task TheLoginFormGivesACodeThatLogsIn()
    {
        using var http = Http();
        var openId = "page-user-" + Guid.NewGuid().ToString("N")[..8];
        var page = await (await http.PostAsync("_sandbox/login-form", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["appid"] = SandboxFixture.MiniApp.AppId, ["openid"] = openId,
        }), Ct)).Content.ReadAsStringAsync(Ct);

        var code = CodePattern().Match(page).Value;
        Assert.StartsWith("wxcode_", code);
        var session = await fixture.MiniProgram.Code2SessionAsync(code, Ct);
        Assert.Equal(openId, session.Value!.Openid);
    }

    [Fact]
    public async Task TheSubscribeAndFaultFormsChangeWhatTheSandboxDoes()
    {
        using var http = Http();
        await http.PostAsync("_sandbox/subscribe-form", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["openid"] = "page-subscriber", ["templateId"] = "TPL_page", ["count"] = "2",
        }), Ct);
        Assert.Equal(2, fixture.Sandbox.SubscriptionsLeft("page-subscriber", "TPL_page"));

        await http.PostAsync("_sandbox/fault-form", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["endpoint"] = "sns/jscode2session", ["kind"] = "45009", ["times"] = "1",
        }), Ct);
        var code = fixture.Sandbox.IssueLoginCode(SandboxFixture.MiniApp.AppId, "page-faulted");
        var faulted = await fixture.MiniProgram.Code2SessionAsync(code, Ct);
        Assert.Equal(45009, faulted.Error!.ErrCode);
        var next = await fixture.MiniProgram.Code2SessionAsync(code, Ct);
        Assert.Equal("page-faulted", next.Value!.Openid);
    }

    [GeneratedRegex("wxcode_[0-9a-f]+")]
    private static partial Regex CodePattern();
}
