using System.Collections.Concurrent;
using EcoAid.Wechat.Sandbox;

namespace EcoAid.Wechat.Tests.Client;

public sealed class Code2SessionTests : IClassFixture<SandboxFixture>, IDisposable
{
    private readonly SandboxFixture fixture;
    private readonly HttpClient http;
    private readonly WechatApiClient client;

    public Code2SessionTests(SandboxFixture fixture)
    {
        this.fixture = fixture;
        fixture.Sandbox.ClearFaults();
        http = fixture.CreateHttpClient();
        client = SandboxFixture.CreateClient(http);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => http.Dispose();

    private static string NewOpenId() => "o_" + SandboxFixture.RandomHex(12);

    [Fact]
    public async Task Valid_code_returns_the_openid_and_no_unionid_for_an_unbound_app()
    {
        var app = fixture.RegisterApp();
        var openId = NewOpenId();
        var code = fixture.Sandbox.IssueLoginCode(app.AppId, openId);

        var result = await client.Code2SessionAsync(app, code, Ct);

        Assert.True(result.IsSuccess, result.Error?.ToString());
        Assert.Equal(openId, result.Value!.Openid);
        Assert.Null(result.Value.Unionid);
        Assert.Equal(16, Convert.FromBase64String(result.Value.SessionKey).Length);
    }

    [Fact]
    public async Task Bound_app_also_returns_the_unionid()
    {
        var app = fixture.RegisterApp(boundToOpenPlatform: true);
        var openId = NewOpenId();
        var code = fixture.Sandbox.IssueLoginCode(app.AppId, openId);

        var result = await client.Code2SessionAsync(app, code, Ct);

        Assert.True(result.IsSuccess, result.Error?.ToString());
        Assert.Equal(openId, result.Value!.Openid);
        Assert.Equal(WechatSandbox.UnionIdOf(openId), result.Value.Unionid);
    }

    [Fact]
    public async Task A_code_works_once_and_its_second_use_is_a_failure_result()
    {
        var app = fixture.RegisterApp();
        var code = fixture.Sandbox.IssueLoginCode(app.AppId, NewOpenId());

        var first = await client.Code2SessionAsync(app, code, Ct);
        var second = await client.Code2SessionAsync(app, code, Ct);

        Assert.True(first.IsSuccess);
        Assert.False(second.IsSuccess);
        Assert.Null(second.Value);
        Assert.Contains(second.Error!.ErrCode, new[] { WechatErrorCodes.CodeBeenUsed, WechatErrorCodes.InvalidCode });
        Assert.Equal(WechatErrorKind.Permanent, second.Error.Kind);
    }

    [Fact]
    public async Task A_code_expires_after_five_minutes()
    {
        var app = fixture.RegisterApp();
        var stillGood = fixture.Sandbox.IssueLoginCode(app.AppId, NewOpenId());
        var expiring = fixture.Sandbox.IssueLoginCode(app.AppId, NewOpenId());

        fixture.Time.Advance(TimeSpan.FromMinutes(5) - TimeSpan.FromSeconds(1));
        var justInTime = await client.Code2SessionAsync(app, stillGood, Ct);
        fixture.Time.Advance(TimeSpan.FromSeconds(1));
        var tooLate = await client.Code2SessionAsync(app, expiring, Ct);

        Assert.True(justInTime.IsSuccess, justInTime.Error?.ToString());
        Assert.Equal(WechatErrorCodes.InvalidCode, tooLate.Error?.ErrCode);
    }

    [Fact]
    public async Task A_code_of_another_app_is_invalid()
    {
        var app = fixture.RegisterApp();
        var other = fixture.RegisterApp();
        var code = fixture.Sandbox.IssueLoginCode(other.AppId, NewOpenId());

        var result = await client.Code2SessionAsync(app, code, Ct);

        Assert.Equal(WechatErrorCodes.InvalidCode, result.Error?.ErrCode);
    }

    [Fact]
    public async Task Wrong_secret_answers_40125_and_leaves_the_code_usable()
    {
        var app = fixture.RegisterApp();
        var code = fixture.Sandbox.IssueLoginCode(app.AppId, NewOpenId());

        var refused = await client.Code2SessionAsync(app with { AppSecret = "not-the-secret" }, code, Ct);
        var accepted = await client.Code2SessionAsync(app, code, Ct);

        Assert.Equal(WechatErrorCodes.InvalidAppSecret, refused.Error?.ErrCode);
        Assert.Equal(WechatErrorKind.Permanent, refused.Error!.Kind);
        Assert.True(accepted.IsSuccess, accepted.Error?.ToString());
    }

    [Fact]
    public async Task Unknown_appid_answers_40013()
    {
        var unknown = new WechatApp("wx" + SandboxFixture.RandomHex(8), "whatever");

        var result = await client.Code2SessionAsync(unknown, "wxcode_nothing", Ct);

        Assert.Equal(WechatErrorCodes.InvalidAppId, result.Error?.ErrCode);
    }

    [Fact]
    public async Task A_user_gets_100_logins_a_minute_then_45011()
    {
        var app = fixture.RegisterApp();
        var openId = NewOpenId();
        for (var i = 0; i < 100; i++)
        {
            var ok = await client.Code2SessionAsync(app, fixture.Sandbox.IssueLoginCode(app.AppId, openId), Ct);
            Assert.True(ok.IsSuccess, $"login {i + 1}: {ok.Error}");
        }

        var limited = await client.Code2SessionAsync(app, fixture.Sandbox.IssueLoginCode(app.AppId, openId), Ct);
        var otherUser = await client.Code2SessionAsync(app, fixture.Sandbox.IssueLoginCode(app.AppId, NewOpenId()), Ct);
        fixture.Time.Advance(TimeSpan.FromMinutes(1));
        var nextMinute = await client.Code2SessionAsync(app, fixture.Sandbox.IssueLoginCode(app.AppId, openId), Ct);

        Assert.Equal(WechatErrorCodes.MinuteQuotaReached, limited.Error?.ErrCode);
        Assert.Equal(WechatErrorKind.QuotaExceeded, limited.Error!.Kind);
        Assert.True(otherUser.IsSuccess);
        Assert.True(nextMinute.IsSuccess, nextMinute.Error?.ToString());
    }

    [Fact]
    public async Task Answers_parse_whether_they_come_as_text_plain_or_as_json()
    {
        var app = fixture.RegisterApp();
        var recorder = new ContentTypeRecorder();
        using var recordingHttp = fixture.CreateHttpClient(handler: recorder);
        var recordingClient = SandboxFixture.CreateClient(recordingHttp);
        var openIds = Enumerable.Range(0, 4).Select(_ => NewOpenId()).ToArray();

        var results = new List<WechatResult<Code2SessionResponse>>();
        foreach (var openId in openIds)
        {
            results.Add(await recordingClient.Code2SessionAsync(app, fixture.Sandbox.IssueLoginCode(app.AppId, openId), Ct));
        }

        Assert.Equal(openIds, results.Select(r => r.Value?.Openid));
        Assert.Contains("text/plain", recorder.MediaTypes);
        Assert.Contains("application/json", recorder.MediaTypes);
    }

    /// <summary>Notes the media type of every answer, to prove both kinds went through the pipeline.</summary>
    private sealed class ContentTypeRecorder : DelegatingHandler
    {
        private readonly ConcurrentQueue<string> mediaTypes = new();

        public IReadOnlyCollection<string> MediaTypes => mediaTypes;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            mediaTypes.Enqueue(response.Content.Headers.ContentType?.MediaType ?? "");
            return response;
        }
    }
}
