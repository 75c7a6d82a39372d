using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using EcoAid.Wechat.Sandbox;

namespace EcoAid.Wechat.Tests.Client;

/// <summary>The one response pipeline: errcodes as results, failures of the server as exceptions.</summary>
public sealed partial class ResponsePipelineTests : IClassFixture<SandboxFixture>, IDisposable
{
    private readonly SandboxFixture fixture;
    private readonly HttpClient http;
    private readonly WechatApiClient client;

    public ResponsePipelineTests(SandboxFixture fixture)
    {
        this.fixture = fixture;
        fixture.Sandbox.ClearFaults();
        http = fixture.CreateHttpClient();
        client = SandboxFixture.CreateClient(http);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        fixture.Sandbox.ClearFaults();
        http.Dispose();
    }

    [GeneratedRegex("^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$")]
    private static partial Regex RidShape();

    private string NewCode(WechatApp app) => fixture.Sandbox.IssueLoginCode(app.AppId, "o_" + SandboxFixture.RandomHex(12));

    [Fact]
    public async Task Injected_system_busy_is_a_transient_failure_result_with_a_rid()
    {
        var app = fixture.RegisterApp();
        fixture.Sandbox.InjectFault(SandboxFixture.JsCode2Session, new SandboxFault(ErrCode: -1));

        var result = await client.Code2SessionAsync(app, NewCode(app), Ct);

        Assert.False(result.IsSuccess);
        Assert.Equal(WechatErrorCodes.SystemBusy, result.Error!.ErrCode);
        Assert.Equal(WechatErrorKind.Transient, result.Error.Kind);
        Assert.Matches(RidShape(), result.Error.Rid);
    }

    [Fact]
    public async Task A_fault_applies_to_as_many_calls_as_asked_and_only_to_its_endpoint()
    {
        var app = fixture.RegisterApp();
        fixture.Sandbox.InjectFault(SandboxFixture.StableToken, new SandboxFault(ErrCode: WechatErrorCodes.MinuteQuotaReached, Times: 2));

        var login = await client.Code2SessionAsync(app, NewCode(app), Ct);
        var first = await client.GetStableAccessTokenAsync(app, ct: Ct);
        var second = await client.GetStableAccessTokenAsync(app, ct: Ct);
        var third = await client.GetStableAccessTokenAsync(app, ct: Ct);

        Assert.True(login.IsSuccess);
        Assert.Equal(WechatErrorKind.QuotaExceeded, first.Error?.Kind);
        Assert.Equal(WechatErrorKind.QuotaExceeded, second.Error?.Kind);
        Assert.True(third.IsSuccess, third.Error?.ToString());
        Assert.Equal(7200, third.Value!.ExpiresIn);
    }

    [Theory]
    [InlineData(500)]
    [InlineData(503)]
    [InlineData(404)]
    public async Task An_http_error_status_throws_unavailable(int status)
    {
        var app = fixture.RegisterApp();
        fixture.Sandbox.InjectFault(SandboxFixture.StableToken, new SandboxFault(HttpStatus: status));

        var e = await Assert.ThrowsAsync<WechatUnavailableException>(() => client.GetStableAccessTokenAsync(app, ct: Ct));

        Assert.Equal(SandboxFixture.StableToken, e.Api);
        Assert.Null(e.ErrCode);
        Assert.Contains(status.ToString(), e.Message);
    }

    [Fact]
    public async Task An_answer_slower_than_the_http_timeout_throws_unavailable()
    {
        var app = fixture.RegisterApp();
        using var impatient = fixture.CreateHttpClient(timeout: TimeSpan.FromSeconds(1));
        fixture.Sandbox.InjectFault(SandboxFixture.JsCode2Session, new SandboxFault(Delay: TimeSpan.FromSeconds(10)));
        var started = Stopwatch.StartNew();

        var e = await Assert.ThrowsAsync<WechatUnavailableException>(
            () => SandboxFixture.CreateClient(impatient).Code2SessionAsync(app, NewCode(app), Ct));

        Assert.Equal(SandboxFixture.JsCode2Session, e.Api);
        Assert.IsType<TaskCanceledException>(e.InnerException);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(8), $"took {started.Elapsed}");
    }

    [Fact]
    public async Task A_slow_answer_within_the_timeout_still_succeeds()
    {
        var app = fixture.RegisterApp();
        fixture.Sandbox.InjectFault(SandboxFixture.JsCode2Session, new SandboxFault(Delay: TimeSpan.FromMilliseconds(200)));

        var result = await client.Code2SessionAsync(app, NewCode(app), Ct);

        Assert.True(result.IsSuccess, result.Error?.ToString());
    }

    [Fact]
    public async Task A_cancelled_caller_gets_a_cancellation_not_unavailable()
    {
        var app = fixture.RegisterApp();
        fixture.Sandbox.InjectFault(SandboxFixture.JsCode2Session, new SandboxFault(Delay: TimeSpan.FromSeconds(10)));
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cts.CancelAfter(TimeSpan.FromMilliseconds(300));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.Code2SessionAsync(app, NewCode(app), cts.Token));
    }

    [Fact]
    public async Task An_unreachable_server_throws_unavailable()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        using var nowhere = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/wechat-sandbox/"), Timeout = TimeSpan.FromSeconds(5) };

        var e = await Assert.ThrowsAsync<WechatUnavailableException>(
            () => SandboxFixture.CreateClient(nowhere).GetStableAccessTokenAsync(fixture.RegisterApp(), ct: Ct));

        Assert.IsType<HttpRequestException>(e.InnerException);
    }

    [Fact]
    public async Task An_empty_200_answer_throws_unavailable()
    {
        var app = fixture.RegisterApp();
        fixture.Sandbox.InjectFault(SandboxFixture.JsCode2Session, new SandboxFault(HttpStatus: 200));

        var e = await Assert.ThrowsAsync<WechatUnavailableException>(() => client.Code2SessionAsync(app, NewCode(app), Ct));

        Assert.IsAssignableFrom<JsonException>(e.InnerException);
    }

    [Theory]
    [InlineData("<html><body>502 Bad Gateway</body></html>")]
    [InlineData("{\"errcode\":")]
    [InlineData("[1,2,3]")]
    [InlineData("\"ok\"")]
    public void A_body_that_is_not_a_json_object_throws_unavailable(string body)
    {
        var e = Assert.Throws<WechatUnavailableException>(() => Parse<Code2SessionResponse>(body));

        Assert.Equal("test/api", e.Api);
    }

    [Fact]
    public void A_success_without_errcode_counts_as_zero()
    {
        var result = Parse<AccessTokenResponse>("{\"access_token\":\"abc\",\"expires_in\":7145}");

        Assert.True(result.IsSuccess);
        Assert.Equal(new AccessTokenResponse("abc", 7145), result.Value);
    }

    [Fact]
    public void A_success_with_errcode_zero_and_ok_is_a_success()
    {
        var result = Parse<SentMessage>("{\"errcode\":0,\"errmsg\":\"ok\",\"msgid\":200228332}");

        Assert.True(result.IsSuccess);
        Assert.Equal(200228332L, result.Value!.Msgid);
    }

    [Theory]
    [InlineData("{\"errcode\":0,\"errmsg\":\"ok\",\"msgid\":1988810812324364291}")]
    [InlineData("{\"errcode\":0,\"errmsg\":\"ok\",\"msgid\":\"1988810812324364291\"}")]
    public void Message_ids_above_2_pow_53_keep_every_digit(string body)
    {
        var result = Parse<SentMessage>(body);

        Assert.Equal(1988810812324364291L, result.Value!.Msgid);
        Assert.NotEqual((long)(double)1988810812324364291L, result.Value.Msgid);
    }

    [Fact]
    public void An_error_answer_keeps_errcode_errmsg_and_rid()
    {
        var result = Parse<AccessTokenResponse>("{\"errcode\":40013,\"errmsg\":\"invalid appid rid: 6566f6d9-4a477f28-21702d49\"}");

        Assert.Equal(new WechatError(40013, "invalid appid rid: 6566f6d9-4a477f28-21702d49"), result.Error);
        Assert.Equal("6566f6d9-4a477f28-21702d49", result.Error!.Rid);
        Assert.Null(result.Value);
    }

    [Theory]
    [InlineData("invalid credential, access_token is invalid or not latest rid: 65a1b2c3-11223344-55667788", "65a1b2c3-11223344-55667788")]
    [InlineData("system error", "")]
    [InlineData("", "")]
    public void Rid_is_read_from_the_end_of_errmsg(string errMsg, string rid) =>
        Assert.Equal(rid, new WechatError(40001, errMsg).Rid);

    [Theory]
    [InlineData("{\"errcode\":\"40001\",\"errmsg\":\"invalid credential\"}", 40001)]
    [InlineData("{\"errcode\":45011,\"errmsg\":null}", 45011)]
    [InlineData("{\"errcode\":-1,\"errmsg\":12345}", -1)]
    public void Oddly_typed_errcode_or_errmsg_still_give_a_failure_result(string body, int errCode)
    {
        var result = Parse<AccessTokenResponse>(body);

        Assert.False(result.IsSuccess);
        Assert.Equal(errCode, result.Error!.ErrCode);
    }

    [Theory]
    [InlineData("{\"errcode\":4294967296,\"errmsg\":\"?\"}")]
    [InlineData("{\"errcode\":1.5,\"errmsg\":\"?\"}")]
    [InlineData("{\"errcode\":\"busy\",\"errmsg\":\"?\"}")]
    [InlineData("{\"errcode\":true}")]
    public void An_unreadable_errcode_throws_unavailable(string body) =>
        Assert.Throws<WechatUnavailableException>(() => Parse<AccessTokenResponse>(body));

    private static WechatResult<T> Parse<T>(string body) => WechatApiClient.Parse<T>("test/api", Encoding.UTF8.GetBytes(body));
}

/// <summary>The shape of a send API's answer, for the int64 checks.</summary>
internal sealed record SentMessage(long Msgid);
