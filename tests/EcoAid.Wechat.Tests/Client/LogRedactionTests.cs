using EcoAid.Wechat.AccessTokens;
using EcoAid.Wechat.Sandbox;
using Microsoft.Extensions.Logging;

namespace EcoAid.Wechat.Tests.Client;

/// <summary>Everything the client and the token provider log, at Trace level, stays free of secrets.</summary>
public sealed class LogRedactionTests : IClassFixture<SandboxFixture>, IDisposable
{
    private readonly SandboxFixture fixture;
    private readonly CapturingLoggerProvider capture = new();
    private readonly ILoggerFactory loggers;
    private readonly HttpClient http;
    private readonly WechatApiClient client;

    public LogRedactionTests(SandboxFixture fixture)
    {
        this.fixture = fixture;
        fixture.Sandbox.ClearFaults();
        loggers = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(capture));
        http = fixture.CreateHttpClient();
        client = new WechatApiClient(http, loggers.CreateLogger<WechatApiClient>());
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        fixture.Sandbox.ClearFaults();
        http.Dispose();
        loggers.Dispose();
    }

    [Fact]
    public async Task No_access_token_app_secret_or_session_key_reaches_the_logs()
    {
        var app = fixture.RegisterApp(boundToOpenPlatform: true);
        var wrongSecret = "wrong_" + SandboxFixture.RandomHex(16);
        var provider = new AccessTokenProvider(client, new InMemoryAccessTokenStore(), fixture.Time, loggers.CreateLogger<AccessTokenProvider>());
        var secrets = new List<string> { app.AppSecret, wrongSecret };
        var exceptions = new List<Exception>();

        // Token fetch, then a rejected token with its refresh and retry.
        secrets.Add(await provider.GetTokenAsync(app, Ct));
        fixture.Sandbox.InvalidateTokens(app.AppId);
        var call = await provider.CallAsync(app, (token, _) =>
        {
            secrets.Add(token);
            var code = fixture.Sandbox.CheckAccessToken(token, app.AppId);
            return Task.FromResult(code == 0
                ? WechatResult<bool>.Success(true)
                : WechatResult<bool>.Failure(new WechatError(code, "invalid credential rid: 0a0b0c0d-00000000-00000000")));
        }, Ct);
        Assert.True(call.IsSuccess);

        // Logins: a good one, a reused code, a wrong secret, a busy answer.
        var code = fixture.Sandbox.IssueLoginCode(app.AppId, "o_" + SandboxFixture.RandomHex(12));
        var login = await client.Code2SessionAsync(app, code, Ct);
        secrets.Add(login.Value!.SessionKey);
        Assert.False((await client.Code2SessionAsync(app, code, Ct)).IsSuccess);
        var another = fixture.Sandbox.IssueLoginCode(app.AppId, "o_" + SandboxFixture.RandomHex(12));
        Assert.False((await client.Code2SessionAsync(app with { AppSecret = wrongSecret }, another, Ct)).IsSuccess);
        fixture.Sandbox.InjectFault(SandboxFixture.JsCode2Session, new SandboxFault(ErrCode: -1));
        Assert.False((await client.Code2SessionAsync(app, another, Ct)).IsSuccess);

        // Failures that throw: a refused token fetch and a failing server.
        var refusedProvider = new AccessTokenProvider(client, new InMemoryAccessTokenStore(), fixture.Time, loggers.CreateLogger<AccessTokenProvider>());
        exceptions.Add(await Assert.ThrowsAsync<WechatUnavailableException>(
            () => refusedProvider.GetTokenAsync(app with { AppSecret = wrongSecret }, Ct)));
        fixture.Sandbox.InjectFault(SandboxFixture.StableToken, new SandboxFault(HttpStatus: 500));
        exceptions.Add(await Assert.ThrowsAsync<WechatUnavailableException>(() => client.GetStableAccessTokenAsync(app, ct: Ct)));

        var entries = capture.Entries;
        Assert.Contains(entries, e => e.Category == typeof(WechatApiClient).FullName && e.Level == LogLevel.Debug);
        Assert.Contains(entries, e => e.Category == typeof(AccessTokenProvider).FullName && e.Level == LogLevel.Information);
        Assert.Contains(entries, e => e.Level == LogLevel.Warning);
        Assert.Contains(entries, e => e.Level == LogLevel.Error);
        Assert.Contains(entries, e => e.Message.Contains(app.AppId, StringComparison.Ordinal));
        Assert.True(secrets.Distinct().Count() >= 5, "expected two secrets, two tokens and a session key");

        foreach (var secret in secrets.Distinct())
        {
            Assert.DoesNotContain(entries, e => e.AllText.Contains(secret, StringComparison.Ordinal));
            Assert.DoesNotContain(exceptions, e => e.ToString().Contains(secret, StringComparison.Ordinal));
        }
    }
}
