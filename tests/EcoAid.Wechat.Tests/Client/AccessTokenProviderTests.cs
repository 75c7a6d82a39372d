using EcoAid.Wechat.AccessTokens;
using EcoAid.Wechat.Sandbox;
using Microsoft.Extensions.Logging.Abstractions;

namespace EcoAid.Wechat.Tests.Client;

public sealed class AccessTokenProviderTests : IClassFixture<SandboxFixture>, IDisposable
{
    private readonly SandboxFixture fixture;
    private readonly HttpClient http;
    private readonly WechatApiClient client;

    public AccessTokenProviderTests(SandboxFixture fixture)
    {
        this.fixture = fixture;
        fixture.Sandbox.ClearFaults();
        http = fixture.CreateHttpClient();
        client = SandboxFixture.CreateClient(http);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private WechatSandbox Sandbox => fixture.Sandbox;

    private int StableTokenCalls => Sandbox.CallCount(SandboxFixture.StableToken);

    public void Dispose()
    {
        fixture.Sandbox.ClearFaults();
        http.Dispose();
    }

    private AccessTokenProvider NewProvider(IAccessTokenStore? store = null) =>
        new(client, store ?? new InMemoryAccessTokenStore(), fixture.Time, NullLogger<AccessTokenProvider>.Instance);

    /// <summary>A business API as WeChat would run it: the sandbox checks the token, a non-zero code is the answer.</summary>
    private Task<WechatResult<string>> CheckedCall(WechatApp app, string token)
    {
        var code = Sandbox.CheckAccessToken(token, app.AppId);
        return Task.FromResult(code == 0
            ? WechatResult<string>.Success("sent")
            : WechatResult<string>.Failure(new WechatError(code, $"token check failed rid: {SandboxFixture.RandomHex(4)}-00000000-00000000")));
    }

    [Fact]
    public async Task Fifty_concurrent_callers_share_one_stable_token_call()
    {
        var app = fixture.RegisterApp();
        var provider = NewProvider();
        var before = StableTokenCalls;

        var tokens = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => Task.Run(() => provider.GetTokenAsync(app, Ct), Ct)));

        Assert.Equal(1, StableTokenCalls - before);
        Assert.Single(tokens.Distinct());
        Assert.Equal(0, Sandbox.CheckAccessToken(tokens[0], app.AppId));
    }

    [Fact]
    public async Task Two_instances_sharing_a_store_fetch_once()
    {
        var app = fixture.RegisterApp();
        var store = new InMemoryAccessTokenStore();
        var first = NewProvider(store);
        var second = NewProvider(store);
        var before = StableTokenCalls;

        var tokens = await Task.WhenAll(Enumerable.Range(0, 40).Select(i =>
            Task.Run(() => (i % 2 == 0 ? first : second).GetTokenAsync(app, Ct), Ct)));

        Assert.Equal(1, StableTokenCalls - before);
        Assert.Single(tokens.Distinct());
    }

    [Fact]
    public async Task A_cached_token_is_reused_until_five_minutes_are_left_then_refreshed()
    {
        var app = fixture.RegisterApp();
        var provider = NewProvider();
        var before = StableTokenCalls;

        var first = await provider.GetTokenAsync(app, Ct);
        fixture.Time.Advance(TimeSpan.FromSeconds(7200 - 300 - 1));
        var stillFirst = await provider.GetTokenAsync(app, Ct);
        Assert.Equal(1, StableTokenCalls - before);

        fixture.Time.Advance(TimeSpan.FromSeconds(1));
        var second = await provider.GetTokenAsync(app, Ct);
        fixture.Time.Advance(TimeSpan.FromMinutes(1));
        var stillSecond = await provider.GetTokenAsync(app, Ct);

        Assert.Equal(first, stillFirst);
        Assert.NotEqual(first, second);
        Assert.Equal(second, stillSecond);
        Assert.Equal(2, StableTokenCalls - before);
        Assert.Equal(0, Sandbox.CheckAccessToken(first, app.AppId)); // old and new overlap until the old one expires
        Assert.Equal(0, Sandbox.CheckAccessToken(second, app.AppId));
    }

    [Fact]
    public async Task A_rejected_token_is_refreshed_once_and_the_call_retried_once()
    {
        var app = fixture.RegisterApp();
        var provider = NewProvider();
        var before = StableTokenCalls;
        var stale = await provider.GetTokenAsync(app, Ct);
        Sandbox.InvalidateTokens(app.AppId);
        var seen = new List<(string Token, int Code)>();

        var result = await provider.CallAsync(app, async (token, _) =>
        {
            var answer = await CheckedCall(app, token);
            seen.Add((token, answer.Error?.ErrCode ?? 0));
            return answer;
        }, Ct);

        Assert.True(result.IsSuccess, result.Error?.ToString());
        Assert.Equal("sent", result.Value);
        Assert.Equal(2, seen.Count);
        Assert.Equal((stale, WechatErrorCodes.InvalidCredential), seen[0]);
        Assert.NotEqual(stale, seen[1].Token);
        Assert.Equal(0, seen[1].Code);
        Assert.Equal(2, StableTokenCalls - before);
        Assert.Equal(seen[1].Token, await provider.GetTokenAsync(app, Ct));
        Assert.Equal(2, StableTokenCalls - before);
    }

    [Fact]
    public async Task When_the_refreshed_token_is_the_rejected_one_the_error_is_returned_without_a_loop()
    {
        var app = fixture.RegisterApp();
        var provider = NewProvider();
        var before = StableTokenCalls;
        await provider.GetTokenAsync(app, Ct);
        var invocations = 0;

        // WeChat keeps handing out this token in normal mode while the API keeps refusing it.
        var result = await provider.CallAsync(app, (_, _) =>
        {
            invocations++;
            return Task.FromResult(WechatResult<string>.Failure(
                new WechatError(WechatErrorCodes.InvalidCredential, "invalid credential rid: 00000000-00000000-00000001")));
        }, Ct);

        Assert.Equal(1, invocations);
        Assert.Equal(WechatErrorCodes.InvalidCredential, result.Error?.ErrCode);
        Assert.Equal(2, StableTokenCalls - before);
    }

    [Fact]
    public async Task A_retry_that_is_rejected_again_is_not_retried_a_second_time()
    {
        var app = fixture.RegisterApp();
        var provider = NewProvider();
        var before = StableTokenCalls;
        var invocations = 0;

        // Someone else force-refreshes before every call, so every token the provider holds is stale when used.
        var result = await provider.CallAsync(app, (token, _) =>
        {
            invocations++;
            Sandbox.InvalidateTokens(app.AppId);
            return CheckedCall(app, token);
        }, Ct);

        Assert.Equal(2, invocations);
        Assert.Equal(WechatErrorCodes.InvalidCredential, result.Error?.ErrCode);
        Assert.Equal(2, StableTokenCalls - before);
    }

    [Fact]
    public async Task A_second_instance_picks_up_the_token_the_first_one_refreshed()
    {
        var app = fixture.RegisterApp();
        var store = new InMemoryAccessTokenStore();
        var first = NewProvider(store);
        var second = NewProvider(store);
        var before = StableTokenCalls;
        var stale = await first.GetTokenAsync(app, Ct);
        Assert.Equal(stale, await second.GetTokenAsync(app, Ct));
        Sandbox.InvalidateTokens(app.AppId);
        var secondSaw = new List<string>();

        var viaFirst = await first.CallAsync(app, (token, _) => CheckedCall(app, token), Ct);
        var viaSecond = await second.CallAsync(app, (token, _) =>
        {
            secondSaw.Add(token);
            return CheckedCall(app, token);
        }, Ct);

        Assert.True(viaFirst.IsSuccess);
        Assert.True(viaSecond.IsSuccess);
        Assert.Equal(stale, secondSaw[0]);
        Assert.Equal(await first.GetTokenAsync(app, Ct), secondSaw[1]);
        Assert.Equal(2, StableTokenCalls - before); // the second instance found the new token in the store
    }

    [Fact]
    public async Task An_error_that_is_not_about_the_token_is_returned_as_is()
    {
        var app = fixture.RegisterApp();
        var provider = NewProvider();
        var before = StableTokenCalls;
        var invocations = 0;

        var result = await provider.CallAsync(app, (_, _) =>
        {
            invocations++;
            return Task.FromResult(WechatResult<string>.Failure(new WechatError(WechatErrorCodes.InvalidOpenId, "invalid openid")));
        }, Ct);

        Assert.Equal(1, invocations);
        Assert.Equal(WechatErrorCodes.InvalidOpenId, result.Error?.ErrCode);
        Assert.Equal(1, StableTokenCalls - before);
    }

    [Fact]
    public async Task Invalidating_a_token_that_is_not_the_current_one_keeps_the_current_one()
    {
        var app = fixture.RegisterApp();
        var provider = NewProvider();
        var token = await provider.GetTokenAsync(app, Ct);
        var before = StableTokenCalls;

        await provider.InvalidateAsync(app, "sbx_some_older_token", Ct);

        Assert.Equal(token, await provider.GetTokenAsync(app, Ct));
        Assert.Equal(0, StableTokenCalls - before);
    }

    [Fact]
    public async Task A_refused_token_fetch_throws_unavailable_with_the_errcode_and_caches_nothing()
    {
        var app = fixture.RegisterApp();
        var provider = NewProvider();
        var misconfigured = app with { AppSecret = "wrong-secret" };

        var first = await Assert.ThrowsAsync<WechatUnavailableException>(() => provider.GetTokenAsync(misconfigured, Ct));
        var second = await Assert.ThrowsAsync<WechatUnavailableException>(() => provider.GetTokenAsync(misconfigured, Ct));
        var afterFix = await provider.GetTokenAsync(app, Ct);

        Assert.Equal(WechatErrorCodes.InvalidAppSecret, first.ErrCode);
        Assert.Equal(SandboxFixture.StableToken, first.Api);
        Assert.Equal(WechatErrorCodes.InvalidAppSecret, second.ErrCode);
        Assert.Equal(0, Sandbox.CheckAccessToken(afterFix, app.AppId));
    }

    [Fact]
    public async Task A_busy_token_endpoint_throws_unavailable_and_the_next_call_recovers()
    {
        var app = fixture.RegisterApp();
        var provider = NewProvider();
        Sandbox.InjectFault(SandboxFixture.StableToken, new SandboxFault(ErrCode: WechatErrorCodes.SystemBusy));

        var e = await Assert.ThrowsAsync<WechatUnavailableException>(() => provider.GetTokenAsync(app, Ct));
        var token = await provider.GetTokenAsync(app, Ct);

        Assert.Equal(WechatErrorCodes.SystemBusy, e.ErrCode);
        Assert.Equal(0, Sandbox.CheckAccessToken(token, app.AppId));
    }

    [Fact]
    public async Task An_http_failure_of_the_token_endpoint_reaches_every_waiting_caller_and_releases_the_lock()
    {
        var app = fixture.RegisterApp();
        var provider = NewProvider();
        Sandbox.InjectFault(SandboxFixture.StableToken, new SandboxFault(HttpStatus: 502, Times: 3));

        var attempts = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => Task.Run<string?>(async () =>
        {
            try
            {
                return await provider.GetTokenAsync(app, Ct);
            }
            catch (WechatUnavailableException)
            {
                return null;
            }
        }, Ct)));
        var token = await provider.GetTokenAsync(app, Ct);

        Assert.All(attempts, Assert.Null);
        Assert.Equal(0, Sandbox.CheckAccessToken(token, app.AppId));
    }
}
