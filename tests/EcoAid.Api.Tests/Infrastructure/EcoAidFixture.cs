using EcoAid.Wechat.Sandbox;

namespace EcoAid.Api.Tests.Infrastructure;

/// <summary>What one test class shares: a fresh database and a sandbox WeChat on a loopback port.</summary>
public sealed class EcoAidFixture : IAsyncLifetime
{
    public const string AppId = "wxtest0000000001";
    public const string AppSecret = "test-secret-not-real";
    public const string OaAppId = "wxtestoa00000001";
    public const string OaAppSecret = "test-oa-secret-not-real";
    public const string OaToken = "testcallbacktoken";
    public const string OaEncodingAesKey = "TestOnlyEncodingAesKey0123456789abcdefghijk";

    public MySqlDatabase Database { get; } = new();

    public WechatSandbox Sandbox { get; } = new();

    public SandboxServer SandboxServer { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        await Database.InitializeAsync();
        Sandbox.RegisterApp(AppId, AppSecret);
        Sandbox.RegisterApp(OaAppId, OaAppSecret, boundToOpenPlatform: true, SandboxAppKind.OfficialAccount);
        Sandbox.PushTarget = new SandboxPushTarget("/wechat/callback", OaToken, OaEncodingAesKey, OaAppId);
        TestTemplates.RegisterIn(Sandbox);
        SandboxServer = await SandboxServer.StartAsync(Sandbox);
    }

    public async ValueTask DisposeAsync()
    {
        await SandboxServer.DisposeAsync();
        await Database.DisposeAsync();
    }
}
