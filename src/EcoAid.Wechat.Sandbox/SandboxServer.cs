using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EcoAid.Wechat.Sandbox;

/// <summary>The sandbox on a real loopback port of its own, so tests point the real HTTP client at it.</summary>
public sealed class SandboxServer : IAsyncDisposable
{
    private readonly WebApplication app;

    private SandboxServer(WebApplication app, WechatSandbox sandbox, Uri baseAddress) =>
        (this.app, Sandbox, BaseAddress) = (app, sandbox, baseAddress);

    /// <summary>The sandbox's state.</summary>
    public WechatSandbox Sandbox { get; }

    /// <summary>The base URL to give the WeChat client (ends with a slash).</summary>
    public Uri BaseAddress { get; }

    /// <summary>Starts a server on 127.0.0.1 with a free port.</summary>
    public static async Task<SandboxServer> StartAsync(WechatSandbox sandbox, CancellationToken ct = default)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.MapWechatSandbox(sandbox, "/wechat-sandbox");
        await app.StartAsync(ct);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new SandboxServer(app, sandbox, new Uri(address.TrimEnd('/') + "/wechat-sandbox/"));
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
