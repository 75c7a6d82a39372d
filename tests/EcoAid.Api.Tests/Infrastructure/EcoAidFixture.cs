using EcoAid.Wechat.Sandbox;

namespace EcoAid.Api.Tests.Infrastructure;

/// <summary>What one test class shares: a fresh database and a sandbox WeChat on a loopback port.</summary>
public sealed class EcoAidFixture : IAsyncLifetime
{
    public const string AppId = "wxtest0000000001";
    public const string AppSecret = "test-secret-not-real";

    public MySqlDatabase Database { get; } = new();

    public WechatSandbox Sandbox { get; } = new();

    public SandboxServer SandboxServer { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        await Database.InitializeAsync();
        Sandbox.RegisterApp(AppId, AppSecret);
        SandboxServer = await SandboxServer.StartAsync(Sandbox);
    }

    public async ValueTask DisposeAsync()
    {
        await SandboxServer.DisposeAsync();
        await Database.DisposeAsync();
    }
}
