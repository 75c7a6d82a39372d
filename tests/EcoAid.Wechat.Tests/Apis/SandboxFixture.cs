using EcoAid.Wechat.AccessTokens;
using EcoAid.Wechat.Sandbox;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace EcoAid.Wechat.Tests.Apis;

/// <summary>
/// A sandbox on a loopback port with a mini-program and an Official Account registered, and the real client stack
/// pointed at it: HttpClient → WechatApiClient → AccessTokenProvider → the two façades. Each test class gets its own.
/// </summary>
public sealed class SandboxFixture : IAsyncLifetime
{
    public static readonly WechatApp MiniApp = new("wxapis_mini_0001", "mini-secret-0001");
    public static readonly WechatApp OaApp = new("wxapis_oa_0001", "oa-secret-0001");

    private static int serial;
    private readonly List<HttpClient> clients = [];

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2025, 3, 1, 0, 0, 0, TimeSpan.Zero));
    public WechatSandbox Sandbox { get; }
    public SandboxServer Server { get; private set; } = null!;
    public WechatApiClient Client { get; private set; } = null!;
    public AccessTokenProvider Tokens { get; private set; } = null!;
    public MiniProgramApi MiniProgram { get; private set; } = null!;
    public OfficialAccountApi OfficialAccount { get; private set; } = null!;

    public SandboxFixture()
    {
        Sandbox = new WechatSandbox(Time);
        Sandbox.RegisterApp(MiniApp.AppId, MiniApp.AppSecret, boundToOpenPlatform: true);
        Sandbox.RegisterApp(OaApp.AppId, OaApp.AppSecret, boundToOpenPlatform: true, SandboxAppKind.OfficialAccount);
    }

    public async ValueTask InitializeAsync()
    {
        Server = await SandboxServer.StartAsync(Sandbox, TestContext.Current.CancellationToken);
        Client = NewClient(TimeSpan.FromSeconds(10));
        Tokens = new AccessTokenProvider(Client, new InMemoryAccessTokenStore(), Time, NullLogger<AccessTokenProvider>.Instance);
        MiniProgram = new MiniProgramApi(MiniApp, Client, Tokens);
        OfficialAccount = new OfficialAccountApi(OaApp, Client, Tokens);
    }

    /// <summary>A client of its own, e.g. with a short time-out.</summary>
    public WechatApiClient NewClient(TimeSpan timeout)
    {
        var http = new HttpClient { BaseAddress = Server.BaseAddress, Timeout = timeout };
        clients.Add(http);
        return new WechatApiClient(http, NullLogger<WechatApiClient>.Instance);
    }

    /// <summary>A raw HttpClient on the sandbox, for requests the typed client would never send.</summary>
    public HttpClient NewHttp()
    {
        var http = new HttpClient { BaseAddress = Server.BaseAddress };
        clients.Add(http);
        return http;
    }

    /// <summary>A fresh openid the mini-program knows (as after a login).</summary>
    public string NewMiniUser()
    {
        var openId = Unique("o_mp");
        Sandbox.RegisterUser(MiniApp.AppId, openId);
        return openId;
    }

    public static string Unique(string prefix) => $"{prefix}_{Interlocked.Increment(ref serial)}";

    public async ValueTask DisposeAsync()
    {
        foreach (var http in clients)
        {
            http.Dispose();
        }
        await Server.DisposeAsync();
    }
}
