using System.Security.Cryptography;
using System.Text;
using EcoAid.Api.Infrastructure.Auth;
using EcoAid.Api.Infrastructure.Http;
using Microsoft.Extensions.FileProviders;

namespace EcoAid.Api.Features.Console;

/// <summary>
/// The desk console (工作台) at <c>/console/</c>: static files from this feature's <c>assets</c> folder (copied beside
/// the binaries, no CDN), the login-by-scanning endpoints, and the CSRF check on every change made with its cookie.
/// </summary>
public static class ConsoleSetup
{
    public static WebApplicationBuilder AddConsole(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<ConsoleOptions>().BindConfiguration("Console")
            .Validate(o => ConsoleOptions.Check(o) is null, "Console 配置无效：TicketLifetime 须在 30 秒到 10 分钟之间，Page 为小程序页面路径，EnvVersion 为 release/trial/develop。")
            .ValidateOnStart();
        return builder;
    }

    /// <summary>Where the console's files are: beside the binaries (they are copied there at build time).</summary>
    public static string AssetsRoot => Path.Combine(AppContext.BaseDirectory, "Features", "Console", "assets");

    /// <summary>Before authentication: the console's files need no login (the page asks for one itself).</summary>
    public static WebApplication UseConsoleFiles(this WebApplication app)
    {
        var files = new PhysicalFileProvider(AssetsRoot);
        app.Use(async (http, next) =>
        {
            if (http.Request.Path.Equals("/console", StringComparison.Ordinal))
            {
                http.Response.Redirect("/console/");
                return;
            }
            if (http.Request.Path.StartsWithSegments("/console"))
            {
                var headers = http.Response.Headers;
                headers.ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
                    + "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";
                headers.XContentTypeOptions = "nosniff";
                headers["Referrer-Policy"] = "same-origin";
                headers.CacheControl = "no-cache";
            }
            await next();
        });
        app.UseDefaultFiles(new DefaultFilesOptions { RequestPath = "/console", FileProvider = files });
        app.UseStaticFiles(new StaticFileOptions { RequestPath = "/console", FileProvider = files });
        return app;
    }

    /// <summary>After authentication: a change made with the console's cookie must carry the session's CSRF token.</summary>
    public static WebApplication UseConsoleCsrf(this WebApplication app)
    {
        app.Use(async (http, next) =>
        {
            if (http.Items[SessionChannels.ConsoleTokenItem] is string token && !HttpMethods.IsGet(http.Request.Method)
                && !HttpMethods.IsHead(http.Request.Method) && !HttpMethods.IsOptions(http.Request.Method))
            {
                var sent = http.Request.Headers[ConsoleLoginApi.CsrfHeader].ToString();
                var expected = ConsoleLoginApi.CsrfFor(token);
                if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(sent), Encoding.ASCII.GetBytes(expected)))
                {
                    var problem = Problems.Create(StatusCodes.Status403Forbidden, "console.csrf", "页面已过期", "页面已过期或请求来源不明，请刷新页面后重试。");
                    await problem.ExecuteAsync(http);
                    return;
                }
            }
            await next();
        });
        return app;
    }

    public static WebApplication MapConsole(this WebApplication app)
    {
        app.MapConsoleLogin(demoScan: app.Configuration.GetValue<bool>("Demo:Seed") && !app.Environment.IsProduction());
        return app;
    }
}
