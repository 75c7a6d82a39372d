using System.Globalization;
using System.Net;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.RateLimiting;

namespace EcoAid.Api.Infrastructure.Http;

/// <summary>Rate limits per client address and per user (<c>RateLimits:*</c>); every refusal is a 429 with Retry-After.</summary>
public sealed class RateLimitOptions
{
    /// <summary>Logins one client address may attempt per minute.</summary>
    public int LoginsPerMinutePerAddress { get; set; } = 20;

    /// <summary>Logins one WeChat user (openid, known once code2Session has answered) may complete per minute.</summary>
    public int LoginsPerMinutePerUser { get; set; } = 5;

    /// <summary>Uploads (attachments, policy files) one user may send per minute.</summary>
    public int UploadsPerMinutePerUser { get; set; } = 30;

    /// <summary>Demands one user may submit per minute (the daily cap is counted in the database besides).</summary>
    public int SubmissionsPerMinutePerUser { get; set; } = 10;

    /// <summary>
    /// Demand-list exports one instance generates at a time (<see cref="ExportGate"/>): each reads every demand in reach
    /// and holds a thread and a connection for its seconds, so a further one is refused with Retry-After rather than pile up.
    /// </summary>
    public int ConcurrentExports { get; set; } = 2;
}

/// <summary>The reverse proxy in front (<c>Http:KnownProxies</c>): only its X-Forwarded-For is believed.</summary>
public sealed class HttpEdgeOptions
{
    /// <summary>Addresses of the proxies whose X-Forwarded-For and X-Forwarded-Proto are trusted; empty: none (the peer is the client).</summary>
    public string[] KnownProxies { get; set; } = [];
}

/// <summary>
/// What every answer and every request goes through, kept apart from the features: development-only switches refused
/// elsewhere, no <c>Server</c> header, the known proxy's forwarded headers, security headers, body limits and rate limits.
/// </summary>
public static class Hardening
{
    public const string LoginPolicy = "login";
    public const string UploadPolicy = "uploads";
    public const string SubmissionPolicy = "submissions";

    /// <summary>The switches that only a developer's machine may turn on: they fake WeChat, write demo data or open a door for the benchmark.</summary>
    public static readonly string[] DevelopmentOnlySwitches = ["Sandbox:Enabled", "Demo:Seed", "Bench:Enabled"];

    public static WebApplicationBuilder AddEcoAidHardening(this WebApplicationBuilder builder)
    {
        if (!builder.Environment.IsDevelopment())
        {
            foreach (var name in DevelopmentOnlySwitches)
            {
                if (builder.Configuration.GetValue<bool>(name))
                {
                    throw new InvalidOperationException(
                        $"{name} 只能在开发环境（Development）中开启，当前环境是 {builder.Environment.EnvironmentName}。");
                }
            }
        }
        builder.WebHost.ConfigureKestrel(k => k.AddServerHeader = false);

        var edge = builder.Configuration.GetSection("Http").Get<HttpEdgeOptions>() ?? new HttpEdgeOptions();
        builder.Services.Configure<ForwardedHeadersOptions>(o =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            o.ForwardLimit = 1;
            o.KnownProxies.Clear();
            o.KnownIPNetworks.Clear();
            foreach (var proxy in edge.KnownProxies)
            {
                o.KnownProxies.Add(IPAddress.TryParse(proxy, out var address)
                    ? address
                    : throw new InvalidOperationException($"Http:KnownProxies 中的 {proxy} 不是 IP 地址。"));
            }
        });

        builder.Services.AddOptions<RateLimitOptions>().BindConfiguration("RateLimits")
            .Validate(o => o.LoginsPerMinutePerAddress > 0 && o.LoginsPerMinutePerUser > 0 && o.UploadsPerMinutePerUser > 0
                && o.SubmissionsPerMinutePerUser > 0 && o.ConcurrentExports > 0, "RateLimits:* 必须为正。")
            .ValidateOnStart();
        builder.Services.AddSingleton<UserLoginLimiter>();
        builder.Services.AddSingleton<ExportGate>();
        var limits = builder.Configuration.GetSection("RateLimits").Get<RateLimitOptions>() ?? new RateLimitOptions();
        builder.Services.AddRateLimiter(o =>
        {
            o.AddPolicy(LoginPolicy, http => RateLimitPartition.GetFixedWindowLimiter("address:" + ClientAddress(http),
                _ => PerMinute(limits.LoginsPerMinutePerAddress)));
            o.AddPolicy(UploadPolicy, http => RateLimitPartition.GetFixedWindowLimiter("user:" + UserKey(http),
                _ => PerMinute(limits.UploadsPerMinutePerUser)));
            o.AddPolicy(SubmissionPolicy, http => RateLimitPartition.GetFixedWindowLimiter("user:" + UserKey(http),
                _ => PerMinute(limits.SubmissionsPerMinutePerUser)));
            o.OnRejected = async (context, ct) =>
            {
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromMinutes(1);
                await WriteTooManyAsync(context.HttpContext, retryAfter, "rate_limited", "操作过于频繁，请稍后再试。");
            };
        });
        return builder;
    }

    internal static FixedWindowRateLimiterOptions PerMinute(int permits) =>
        new() { PermitLimit = permits, Window = TimeSpan.FromMinutes(1), QueueLimit = 0, AutoReplenishment = true };

    private static string ClientAddress(HttpContext http) => http.Connection.RemoteIpAddress?.ToString() ?? "unknown";

    private static string UserKey(HttpContext http) =>
        http.User.FindFirst(System.Security.Claims.ClaimTypes.NameIdentifier)?.Value ?? "anonymous:" + ClientAddress(http);

    /// <summary>A 429 with Retry-After (whole seconds, at least 1) and a Chinese problem.</summary>
    public static async Task WriteTooManyAsync(HttpContext http, TimeSpan retryAfter, string code, string detail)
    {
        SetRetryAfter(http, retryAfter);
        await Problems.Create(StatusCodes.Status429TooManyRequests, code, "操作过于频繁", detail).ExecuteAsync(http);
    }

    public static void SetRetryAfter(HttpContext http, TimeSpan retryAfter) =>
        http.Response.Headers.RetryAfter = Math.Max(1, (long)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);

    /// <summary>Adds Retry-After to an answer (the daily cap's 429).</summary>
    public static IResult WithRetryAfter(IResult inner, TimeSpan retryAfter) => new RetryAfterResult(inner, retryAfter);

    private sealed class RetryAfterResult(IResult inner, TimeSpan retryAfter) : IResult
    {
        public Task ExecuteAsync(HttpContext http)
        {
            SetRetryAfter(http, retryAfter);
            return inner.ExecuteAsync(http);
        }
    }

    /// <summary>Before authentication: forwarded headers, security headers, body limits.</summary>
    public static WebApplication UseEcoAidHardening(this WebApplication app)
    {
        app.UseForwardedHeaders();
        app.Use((http, next) =>
        {
            http.Response.OnStarting(() =>
            {
                var headers = http.Response.Headers;
                headers.XContentTypeOptions = "nosniff";
                headers.XFrameOptions = "DENY";
                // A page that sets its own policy (the desk console, whose scripts are its own files) keeps it.
                if (!headers.ContainsKey("Referrer-Policy"))
                {
                    headers["Referrer-Policy"] = "no-referrer";
                }
                if (headers.ContainsKey("Content-Security-Policy"))
                {
                    headers.Remove("Server");
                    return Task.CompletedTask;
                }
                // The API answers JSON and files: nothing in them may run or be framed. The reference page (/docs) needs its own scripts.
                headers.ContentSecurityPolicy = http.Request.Path.StartsWithSegments("/docs")
                    ? "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
                    : "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'; sandbox";
                headers.Remove("Server");
                return Task.CompletedTask;
            });
            return next(http);
        });
        app.UseBodyLimits();
        return app;
    }

    /// <summary>After authentication, so that limits per user know the user.</summary>
    public static WebApplication UseEcoAidRateLimits(this WebApplication app)
    {
        app.UseRateLimiter();
        return app;
    }
}

/// <summary>
/// Logins per WeChat user. The user is known only once code2Session has answered, after the endpoint's own limit per
/// address, so the login handler acquires here itself. Partitions are keyed by openid in memory only; nothing is logged.
/// </summary>
public sealed class UserLoginLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<string> limiter;

    public UserLoginLimiter(Microsoft.Extensions.Options.IOptions<RateLimitOptions> options)
    {
        var permits = options.Value.LoginsPerMinutePerUser;
        limiter = PartitionedRateLimiter.Create<string, string>(openId =>
            RateLimitPartition.GetFixedWindowLimiter(openId, _ => Hardening.PerMinute(permits)));
    }

    /// <summary>Null when the login may go on; otherwise how long the user must wait.</summary>
    public TimeSpan? TryAcquire(string openId)
    {
        using var lease = limiter.AttemptAcquire(openId);
        if (lease.IsAcquired)
        {
            return null;
        }
        return lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromMinutes(1);
    }

    public void Dispose() => limiter.Dispose();
}

/// <summary>
/// How many demand-list exports this instance generates at once. Taken in the handler rather than as a rate-limiting
/// policy: the middleware would hold the permit until the file had been sent, and a slow reader would then keep others
/// out for as long as it reads; the permit covers the reading and writing, which hold a thread and a connection.
/// </summary>
public sealed class ExportGate(Microsoft.Extensions.Options.IOptions<RateLimitOptions> options) : IDisposable
{
    private readonly ConcurrencyLimiter limiter = new(new ConcurrencyLimiterOptions { PermitLimit = options.Value.ConcurrentExports, QueueLimit = 0 });

    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(30);

    /// <summary>A permit (dispose it when the file is written), or one that was not acquired: answer <see cref="Busy"/>.</summary>
    public RateLimitLease Enter() => limiter.AttemptAcquire();

    public static IResult Busy() => Hardening.WithRetryAfter(
        Problems.Create(StatusCodes.Status429TooManyRequests, "export.busy", "导出繁忙", "正在生成的导出较多，请半分钟后再试。"), RetryAfter);

    public void Dispose() => limiter.Dispose();
}
