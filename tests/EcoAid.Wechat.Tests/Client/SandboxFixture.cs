using System.Security.Cryptography;
using EcoAid.Wechat.Sandbox;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace EcoAid.Wechat.Tests.Client;

/// <summary>
/// One sandbox WeChat on a real loopback port per test class, with a fake clock. Tests in a class run one after the
/// other, so each test registers its own app (and uses its own openids) and measures call counts as differences.
/// </summary>
public sealed class SandboxFixture : IAsyncLifetime
{
    public const string StableToken = "cgi-bin/stable_token";
    public const string JsCode2Session = "sns/jscode2session";

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2025, 3, 1, 8, 0, 0, TimeSpan.Zero));

    public WechatSandbox Sandbox { get; private set; } = null!;

    public SandboxServer Server { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Sandbox = new WechatSandbox(Time);
        Server = await SandboxServer.StartAsync(Sandbox);
    }

    public async ValueTask DisposeAsync() => await Server.DisposeAsync();

    /// <summary>Registers a fresh app with a random appid and secret.</summary>
    public WechatApp RegisterApp(bool boundToOpenPlatform = false)
    {
        var app = new WechatApp("wx" + RandomHex(8), "secret_" + RandomHex(16));
        Sandbox.RegisterApp(app.AppId, app.AppSecret, boundToOpenPlatform);
        return app;
    }

    /// <summary>A real HttpClient aimed at the sandbox; <paramref name="handler"/> sits in front of the socket handler.</summary>
    public HttpClient CreateHttpClient(TimeSpan? timeout = null, DelegatingHandler? handler = null)
    {
        HttpMessageHandler inner = new SocketsHttpHandler();
        if (handler is not null)
        {
            handler.InnerHandler = inner;
            inner = handler;
        }
        return new HttpClient(inner) { BaseAddress = Server.BaseAddress, Timeout = timeout ?? TimeSpan.FromSeconds(10) };
    }

    public static WechatApiClient CreateClient(HttpClient http, ILogger<WechatApiClient>? logger = null) =>
        new(http, logger ?? NullLogger<WechatApiClient>.Instance);

    public static string RandomHex(int bytes) => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(bytes));
}
