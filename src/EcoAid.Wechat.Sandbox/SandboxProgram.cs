using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace EcoAid.Wechat.Sandbox;

/// <summary>The apps the dev run's fake WeChat knows, and where it pushes Official Account events.</summary>
public sealed class SandboxHostOptions
{
    public SandboxAppOptions MiniProgram { get; set; } = new();

    public SandboxAppOptions OfficialAccount { get; set; } = new();

    /// <summary>The API's /wechat/callback, which the sandbox calls as WeChat would.</summary>
    public Uri? CallbackUrl { get; set; }
}

public sealed class SandboxAppOptions
{
    public string? AppId { get; set; }

    public string? AppSecret { get; set; }

    /// <summary>Official Account only: the server-configuration Token.</summary>
    public string? Token { get; set; }

    /// <summary>Official Account only: the 43-character EncodingAESKey.</summary>
    public string? EncodingAesKey { get; set; }
}

/// <summary>
/// The sandbox as its own program: <c>dotnet EcoAid.Wechat.Sandbox.dll --urls http://127.0.0.1:5091</c> serves the fake
/// WeChat under <c>/wechat-sandbox/</c>, with the apps and push target of the <c>Sandbox</c> configuration section.
/// Refused in Production.
/// </summary>
public static class SandboxProgram
{
    public static async Task<int> Main(string[] args)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        if (builder.Environment.IsProduction())
        {
            await Console.Error.WriteLineAsync("The WeChat sandbox is a development tool and does not run in Production (set ASPNETCORE_ENVIRONMENT=Development).");
            return 2;
        }
        var options = builder.Configuration.GetSection("Sandbox").Get<SandboxHostOptions>() ?? new SandboxHostOptions();
        if (options is not { MiniProgram: { AppId: not null, AppSecret: not null }, OfficialAccount: { AppId: not null, AppSecret: not null, Token: not null, EncodingAesKey.Length: 43 } })
        {
            await Console.Error.WriteLineAsync("Sandbox:MiniProgram and Sandbox:OfficialAccount (AppId, AppSecret, Token, 43-character EncodingAesKey) must be configured.");
            return 2;
        }
        var app = builder.Build();
        var sandbox = Create(options, TimeProvider.System);
        app.MapWechatSandbox(sandbox, "/wechat-sandbox");
        await app.RunAsync();
        return 0;
    }

    /// <summary>A sandbox that knows both apps and pushes to the configured callback.</summary>
    public static WechatSandbox Create(SandboxHostOptions options, TimeProvider time)
    {
        var sandbox = new WechatSandbox(time);
        sandbox.RegisterApp(options.MiniProgram.AppId!, options.MiniProgram.AppSecret!, boundToOpenPlatform: true);
        sandbox.RegisterApp(options.OfficialAccount.AppId!, options.OfficialAccount.AppSecret!, boundToOpenPlatform: true, SandboxAppKind.OfficialAccount);
        sandbox.PushTarget = new SandboxPushTarget(options.CallbackUrl?.AbsoluteUri ?? "http://127.0.0.1:5080/wechat/callback",
            options.OfficialAccount.Token!, options.OfficialAccount.EncodingAesKey!, options.OfficialAccount.AppId!);
        return sandbox;
    }
}
