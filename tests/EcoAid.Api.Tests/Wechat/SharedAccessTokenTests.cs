using EcoAid.Api.Infrastructure.Wechat;
using EcoAid.Api.Tests.Infrastructure;
using EcoAid.Wechat;
using EcoAid.Wechat.AccessTokens;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace EcoAid.Api.Tests.Wechat;

/// <summary>The access token lives in the database, so every instance of the service uses one.</summary>
public class SharedAccessTokenTests(EcoAidFixture fixture) : IClassFixture<EcoAidFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static (AccessTokenProvider Provider, WechatApp App) Resolve(EcoAidApp app) =>
        (app.Services.GetRequiredService<AccessTokenProvider>(), app.Services.GetRequiredService<IOptions<WechatOptions>>().Value.MiniProgramApp);

    [Fact]
    public async Task FiftyConcurrentCallersCauseOneFetch()
    {
        await using var app = new EcoAidApp(fixture);
        var (provider, wechatApp) = Resolve(app);
        var before = app.Sandbox.CallCount("cgi-bin/stable_token");

        var tokens = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => Task.Run(() => provider.GetTokenAsync(wechatApp, Ct), Ct)));

        Assert.Single(tokens.Distinct());
        Assert.Equal(before + (before == 0 ? 1 : 0), app.Sandbox.CallCount("cgi-bin/stable_token"));
        Assert.Equal(0, app.Sandbox.CheckAccessToken(tokens[0], EcoAidFixture.AppId));
    }

    [Fact]
    public async Task TwoInstancesOnOneDatabaseShareOneToken()
    {
        await using var first = new EcoAidApp(fixture);
        await using var second = new EcoAidApp(fixture);
        var (p1, a1) = Resolve(first);
        var (p2, a2) = Resolve(second);

        var t1 = await p1.GetTokenAsync(a1, Ct);
        var fetches = first.Sandbox.CallCount("cgi-bin/stable_token");
        var t2 = await p2.GetTokenAsync(a2, Ct);

        Assert.Equal(t1, t2);
        Assert.Equal(fetches, second.Sandbox.CallCount("cgi-bin/stable_token"));
    }

    [Fact]
    public async Task RejectedTokenIsRefreshedOnceAndTheCallRetried()
    {
        await using var app = new EcoAidApp(fixture);
        var (provider, wechatApp) = Resolve(app);
        var stale = await provider.GetTokenAsync(wechatApp, Ct);
        app.Sandbox.InvalidateTokens(EcoAidFixture.AppId);
        var fetches = app.Sandbox.CallCount("cgi-bin/stable_token");
        var attempts = new List<string>();

        var result = await provider.CallAsync(wechatApp, (token, _) =>
        {
            attempts.Add(token);
            var errCode = app.Sandbox.CheckAccessToken(token, EcoAidFixture.AppId);
            return Task.FromResult(errCode == 0 ? WechatResult<int>.Success(1) : WechatResult<int>.Failure(new WechatError(errCode, "token")));
        }, Ct);

        Assert.True(result.IsSuccess);
        Assert.Equal(2, attempts.Count);
        Assert.Equal(stale, attempts[0]);
        Assert.NotEqual(stale, attempts[1]);
        Assert.Equal(fetches + 1, app.Sandbox.CallCount("cgi-bin/stable_token"));

        // The other instances see the new token in the database.
        await using var other = new EcoAidApp(fixture);
        var (otherProvider, otherApp) = Resolve(other);
        Assert.Equal(attempts[1], await otherProvider.GetTokenAsync(otherApp, Ct));
    }
}
