using System.Security.Cryptography;
using System.Text;
using Dapper;
using EcoAid.Api.Features.Auth;
using EcoAid.Api.Features.Calendar;
using EcoAid.Api.Infrastructure;
using EcoAid.Api.Infrastructure.Auth;
using EcoAid.Api.Infrastructure.Http;
using EcoAid.Api.Infrastructure.Validation;
using EcoAid.Wechat;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using MySqlConnector;

namespace EcoAid.Api.Features.Console;

/// <summary>Settings under <c>Console</c>: the desk console and its login by scanning.</summary>
public sealed class ConsoleOptions
{
    /// <summary>How long a login ticket (the code on the screen) can be scanned and confirmed.</summary>
    public TimeSpan TicketLifetime { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>The mini-program page the login code opens (no leading '/', no query); it reads <c>query.scene</c>.</summary>
    public string Page { get; set; } = "pages/console-login/index";

    /// <summary>WeChat's check_path for the login code.</summary>
    public bool CheckPath { get; set; } = true;

    /// <summary><c>release</c>, <c>trial</c> or <c>develop</c>.</summary>
    public string EnvVersion { get; set; } = "release";

    public static string? Check(ConsoleOptions o) =>
        o.TicketLifetime < TimeSpan.FromSeconds(30) || o.TicketLifetime > TimeSpan.FromMinutes(10) ? "Console:TicketLifetime 须在 30 秒到 10 分钟之间。"
        : string.IsNullOrWhiteSpace(o.Page) || o.Page.StartsWith('/') || o.Page.Contains('?') ? "Console:Page 须为小程序页面路径，不能以 / 开头、不能带查询参数。"
        : o.EnvVersion is not ("release" or "trial" or "develop") ? "Console:EnvVersion 只能是 release、trial 或 develop。"
        : null;
}

/// <summary>
/// Login to the desk console by scanning: the browser asks for a one-time ticket (bound to it by an HttpOnly cookie whose
/// hash is kept with the ticket), shows it as a mini-program code, the mini-program confirms it with the user's own
/// session, and the browser that asked — only that one — exchanges the confirmed ticket, once, for a console session in
/// an HttpOnly, SameSite=Strict cookie. Changes made with that cookie need the session's CSRF token in a header.
/// </summary>
public static class ConsoleLoginApi
{
    public const string BrowserCookie = "ecoaid_console_bind";
    public const string CsrfHeader = "X-CSRF-Token";

    /// <summary>Roles that work at a desk. Enterprise staff (and users with no role) may not confirm a console login.</summary>
    public static readonly IReadOnlyList<string> DeskRoles =
        [Roles.Member, Roles.Commissioner, Roles.Secretary, Roles.DepartmentLiaison, Roles.Admin, Roles.CityViewer, Roles.CityAdmin];

    public static IEndpointRouteBuilder MapConsoleLogin(this IEndpointRouteBuilder routes, bool demoScan)
    {
        var login = routes.MapGroup("/api/console-login").WithTags("Console").AddEndpointFilter<ValidationFilter>();
        login.MapPost("/", CreateTicket).AllowAnonymous().WithName(nameof(CreateTicket))
            .WithSummary("工作台：申请扫码登录票据")
            .WithDescription("电脑上的工作台调用：返回一次性票据（短时有效、只能用一次，并绑定到申请它的浏览器），以及票据小程序码的地址。");
        login.MapGet("/{ticket}", GetTicket).AllowAnonymous().WithName(nameof(GetTicket))
            .WithSummary("工作台：查询票据状态").WithDescription("只有申请票据的浏览器能查询：pending（待扫码确认）、confirmed（已确认，可换取会话）、used、expired。");
        login.MapGet("/{ticket}/qrcode", GetTicketCode).ProducesFile("image/png", "image/jpeg").Answers(410, 502).AllowAnonymous().WithName(nameof(GetTicketCode))
            .WithSummary("工作台：票据的小程序码").WithDescription("微信 getUnlimitedQRCode 生成，scene 即票据；扫码后小程序打开 Console:Page 配置的确认页。");
        login.MapPost("/{ticket}/confirm", Confirm).Answers(403, 409, 410).RequireAuthorization(Policies.User).WithName("ConfirmConsoleLogin")
            .WithSummary("小程序：确认登录电脑工作台")
            .WithDescription("小程序确认页扫码后调用（带用户自己的会话令牌）。只有专班成员、服务专员、支部书记、科室联络人、管理员和市局人员可以确认；企业联系人会被拒绝（403 console_login.role_not_allowed）。");
        login.MapPost("/{ticket}/session", CreateSession).Answers(409, 410).AllowAnonymous().WithName(nameof(CreateSession))
            .WithSummary("工作台：用已确认的票据换取工作台会话")
            .WithDescription("只有申请票据的浏览器、只能换一次。会话放在 HttpOnly、SameSite=Strict 的 Cookie 中；之后的修改请求须在 X-CSRF-Token 请求头中带上返回的 csrfToken。");
        if (demoScan)
        {
            login.MapPost("/{ticket}/demo-confirm", DemoConfirm).AllowAnonymous().WithName(nameof(DemoConfirm)).ExcludeFromDescription();
        }

        var console = routes.MapGroup("/api/console").WithTags("Console");
        console.MapGet("/session", GetSession).Answers(404).RequireAuthorization(Policies.User).WithName("GetConsoleSession")
            .WithSummary("工作台：当前会话").WithDescription("当前用户、会话到期时间和 CSRF 令牌。只接受工作台的 Cookie 会话。");
        console.MapPost("/logout", LogoutConsole).Answers(404).RequireAuthorization(Policies.User).WithName(nameof(LogoutConsole))
            .WithSummary("工作台：退出登录").WithDescription("吊销工作台会话并清除 Cookie。");
        return routes;
    }

    public sealed record TicketResponse(string Ticket, DateTimeOffset ExpiresAt, string QrCodeUrl, bool DemoScan);

    public sealed record TicketStatus(string Status, DateTimeOffset ExpiresAt);

    /// <param name="Today">The service's today in Asia/Shanghai: the console dates its defaults (this month, due soon) from it, not
    /// from the desk computer's clock.</param>
    public sealed record SessionResponse(string CsrfToken, DateTimeOffset ExpiresAt, Me.MeApi.MeResponse User, DateOnly Today);

    public sealed record DemoConfirmRequest(string OpenId) : IValidatable
    {
        public void Validate(ValidationErrors errors) => errors.Required("openId", OpenId, 64);
    }

    /// <summary>The CSRF token of a console session: derived from its secret token, so nothing more is stored.</summary>
    public static string CsrfFor(string sessionToken) =>
        Base64Url(SHA256.HashData(Encoding.UTF8.GetBytes("ecoaid-console-csrf:" + sessionToken)));

    static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    static bool LooksLikeTicket(string ticket) => ticket.Length == 22 && ticket.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    static string? BrowserSecret(HttpContext http) =>
        http.Request.Cookies.TryGetValue(BrowserCookie, out var value) && value is { Length: > 20 and < 100 } ? value : null;

    static CookieOptions CookieOptionsFor(HttpContext http, string path, DateTimeOffset? expires) => new()
    {
        HttpOnly = true, SameSite = SameSiteMode.Strict, Secure = http.Request.IsHttps, Path = path, Expires = expires, IsEssential = true,
    };

    static async Task<Created<TicketResponse>> CreateTicket(HttpContext http, MySqlDataSource db, TimeProvider clock,
        IOptions<ConsoleOptions> options, IConfiguration configuration, CancellationToken ct)
    {
        var browser = BrowserSecret(http);
        if (browser is null)
        {
            browser = Base64Url(RandomNumberGenerator.GetBytes(32));
            http.Response.Cookies.Append(BrowserCookie, browser, CookieOptionsFor(http, "/api/console-login", null));
        }
        var ticket = Base64Url(RandomNumberGenerator.GetBytes(16)); // 22 characters: fits a scene (≤ 32) with room to spare
        var now = clock.GetUtcNow();
        var expiresAt = now + options.Value.TicketLifetime;
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            DELETE FROM console_login_tickets WHERE expires_at < @old ORDER BY expires_at LIMIT 100;
            INSERT INTO console_login_tickets (ticket_hash, browser_hash, created_at, expires_at) VALUES (@hash, @browserHash, @now, @expiresAt);
            """, new { old = (now - TimeSpan.FromDays(1)).UtcDateTime, hash = Secrets.Hash(ticket), browserHash = Secrets.Hash(browser),
                now = now.UtcDateTime, expiresAt = expiresAt.UtcDateTime }, cancellationToken: ct));
        var url = $"/api/console-login/{ticket}/qrcode";
        return TypedResults.Created($"/api/console-login/{ticket}", new TicketResponse(ticket, expiresAt, url, configuration.GetValue<bool>("Demo:Seed")));
    }

    private sealed record TicketRow(long Id, byte[] BrowserHash, DateTime ExpiresAt, long? ConfirmedBy, DateTime? ConfirmedAt, DateTime? UsedAt);

    static async Task<TicketRow?> FindAsync(MySqlConnection connection, string ticket, CancellationToken ct) =>
        !LooksLikeTicket(ticket) ? null : await connection.QuerySingleOrDefaultAsync<TicketRow>(new CommandDefinition("""
            SELECT id, browser_hash, expires_at, confirmed_by, confirmed_at, used_at FROM console_login_tickets WHERE ticket_hash = @hash
            """, new { hash = Secrets.Hash(ticket) }, cancellationToken: ct));

    /// <summary>The ticket, if the browser asking is the one it was issued to.</summary>
    static async Task<TicketRow?> FindBoundAsync(MySqlConnection connection, HttpContext http, string ticket, CancellationToken ct)
    {
        var row = await FindAsync(connection, ticket, ct);
        return row is not null && BrowserSecret(http) is { } browser && CryptographicOperations.FixedTimeEquals(row.BrowserHash, Secrets.Hash(browser))
            ? row : null;
    }

    static string StatusOf(TicketRow row, DateTime now) =>
        row.UsedAt is not null ? "used" : row.ConfirmedAt is not null ? (row.ConfirmedAt > now - ExchangeGrace || row.ExpiresAt > now ? "confirmed" : "expired")
        : row.ExpiresAt > now ? "pending" : "expired";

    /// <summary>A ticket confirmed just before it expires can still be exchanged for this long after the confirmation.</summary>
    static readonly TimeSpan ExchangeGrace = TimeSpan.FromMinutes(1);

    static async Task<Results<Ok<TicketStatus>, ProblemHttpResult>> GetTicket(string ticket, HttpContext http, MySqlDataSource db, TimeProvider clock, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var row = await FindBoundAsync(connection, http, ticket, ct);
        if (row is null)
        {
            return Problems.NotFound("登录二维码不存在，请刷新页面。");
        }
        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(new TicketStatus(StatusOf(row, clock.GetUtcNow().UtcDateTime), new DateTimeOffset(row.ExpiresAt, TimeSpan.Zero)));
    }

    static async Task<IResult> GetTicketCode(string ticket, HttpContext http, MySqlDataSource db, MiniProgramApi wechat, TimeProvider clock,
        IOptions<ConsoleOptions> options, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var row = await FindBoundAsync(connection, http, ticket, ct);
        if (row is null)
        {
            return Problems.NotFound("登录二维码不存在，请刷新页面。");
        }
        if (StatusOf(row, clock.GetUtcNow().UtcDateTime) != "pending")
        {
            return Problems.Create(StatusCodes.Status410Gone, "console_login.expired", "二维码已失效", "登录二维码已过期或已使用，请刷新二维码。");
        }
        var o = options.Value;
        var result = await wechat.GetUnlimitedQrCodeAsync(new UnlimitedQrCodeRequest(ticket, o.Page, o.CheckPath, o.EnvVersion, 280), ct);
        if (result.Error is { } error)
        {
            return error.Kind is WechatErrorKind.Transient or WechatErrorKind.QuotaExceeded
                ? Problems.Create(StatusCodes.Status503ServiceUnavailable, "wechat.unavailable", "微信服务暂不可用", "暂时无法生成登录二维码，请稍后刷新。")
                : Problems.Create(StatusCodes.Status502BadGateway, "wechat.rejected", "微信服务拒绝了请求", "无法生成登录二维码，请联系管理员检查小程序配置。");
        }
        http.Response.Headers.CacheControl = "no-store";
        return Results.File(result.Value!.Content, result.Value.ContentType);
    }

    static async Task<Results<NoContent, ProblemHttpResult>> Confirm(string ticket, CurrentUser user, HttpContext http, MySqlDataSource db,
        TimeProvider clock, CancellationToken ct)
    {
        if (http.Items.ContainsKey(SessionChannels.ConsoleTokenItem))
        {
            return Problems.Create(StatusCodes.Status403Forbidden, "console_login.app_only", "请在小程序中确认", "请用微信扫码，在小程序中确认登录。");
        }
        return await ConfirmAsUserAsync(ticket, user.Id, user.Roles, db, clock, ct);
    }

    static async Task<Results<NoContent, ProblemHttpResult>> ConfirmAsUserAsync(string ticket, long userId, IReadOnlySet<string> roles,
        MySqlDataSource db, TimeProvider clock, CancellationToken ct)
    {
        if (!roles.Overlaps(DeskRoles))
        {
            return Problems.Create(StatusCodes.Status403Forbidden, "console_login.role_not_allowed", "无权登录工作台",
                roles.Contains(Roles.Staff)
                    ? "企业联系人不能登录电脑工作台，请继续在小程序中提交和查看诉求。"
                    : "您还没有绑定支部的身份，不能登录电脑工作台；请先用邀请码绑定身份。");
        }
        await using var connection = await db.OpenConnectionAsync(ct);
        var row = await FindAsync(connection, ticket, ct);
        if (row is null)
        {
            return Problems.NotFound("登录二维码无效，请在电脑上刷新二维码后重新扫码。");
        }
        var now = clock.GetUtcNow().UtcDateTime;
        var changed = await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE console_login_tickets SET confirmed_by = @userId, confirmed_at = @now
            WHERE id = @Id AND confirmed_at IS NULL AND used_at IS NULL AND expires_at > @now
            """, new { userId, now, row.Id }, cancellationToken: ct));
        if (changed == 1)
        {
            return TypedResults.NoContent();
        }
        return row.ConfirmedAt is not null || row.UsedAt is not null
            ? Problems.Conflict("console_login.used", "该登录二维码已被使用，请在电脑上刷新二维码后重新扫码。")
            : Problems.Create(StatusCodes.Status410Gone, "console_login.expired", "二维码已失效", "登录二维码已过期，请在电脑上刷新二维码后重新扫码。");
    }

    static async Task<IResult> DemoConfirm(string ticket, DemoConfirmRequest request, HttpContext http,
        MySqlDataSource db, TimeProvider clock, CancellationToken ct)
    {
        // Dev run only (Demo:Seed, which Production refuses): the sandbox plays the scan as a demo persona.
        await using var connection = await db.OpenConnectionAsync(ct);
        if (await FindBoundAsync(connection, http, ticket, ct) is null)
        {
            return Problems.NotFound("登录二维码不存在，请刷新页面。");
        }
        var userId = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT id FROM users WHERE openid = @OpenId AND openid LIKE 'demo-%'", new { request.OpenId }, cancellationToken: ct));
        if (userId is null)
        {
            return Problems.NotFound("没有这个演示身份。");
        }
        var roles = (await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT role FROM user_roles WHERE user_id = @userId", new { userId }, cancellationToken: ct))).ToHashSet();
        return await ConfirmAsUserAsync(ticket, userId.Value, roles, db, clock, ct);
    }

    static async Task<Results<Ok<SessionResponse>, ProblemHttpResult>> CreateSession(string ticket, HttpContext http, MySqlDataSource db,
        TimeProvider clock, IOptions<AuthOptions> auth, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var row = await FindBoundAsync(connection, http, ticket, ct);
        if (row is null)
        {
            return Problems.NotFound("登录二维码不存在，请刷新页面。");
        }
        var now = clock.GetUtcNow();
        var status = StatusOf(row, now.UtcDateTime);
        if (status != "confirmed")
        {
            return status switch
            {
                "pending" => Problems.Conflict("console_login.not_confirmed", "请先用微信扫码并在小程序中确认登录。"),
                "used" => Problems.Conflict("console_login.used", "该登录二维码已被使用，请刷新二维码后重新扫码。"),
                _ => Problems.Create(StatusCodes.Status410Gone, "console_login.expired", "二维码已失效", "登录二维码已过期，请刷新二维码后重新扫码。"),
            };
        }

        var token = Secrets.NewSessionToken();
        var expiresAt = now + auth.Value.SessionLifetime;
        await using var tx = await connection.BeginTransactionAsync(ct);
        var claimed = await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE console_login_tickets SET used_at = @now WHERE id = @Id AND used_at IS NULL AND confirmed_at IS NOT NULL",
            new { now = now.UtcDateTime, row.Id }, tx, cancellationToken: ct));
        if (claimed != 1)
        {
            return Problems.Conflict("console_login.used", "该登录二维码已被使用，请刷新二维码后重新扫码。");
        }
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO sessions (user_id, token_hash, created_at, expires_at, channel) VALUES (@userId, @hash, @now, @expiresAt, 'console')
            """, new { userId = row.ConfirmedBy, hash = Secrets.Hash(token), now = now.UtcDateTime, expiresAt = expiresAt.UtcDateTime }, tx, cancellationToken: ct));
        // A desk login is a login like the app's, so their administrator sees it.
        await Audit.AuditTrail.RecordLoginAsync(connection, tx, row.ConfirmedBy!.Value, new { channel = "console" }, now, ct);
        await tx.CommitAsync(ct);

        // A browser-session cookie: the session row's expiry (Auth:SessionLifetime) is what the server enforces, and a shared
        // PC forgets the login when the browser closes.
        http.Response.Cookies.Append(SessionChannels.ConsoleCookie, token, CookieOptionsFor(http, "/", null));
        var me = await Me.MeApi.LoadAsync(connection, row.ConfirmedBy!.Value, ct);
        return TypedResults.Ok(new SessionResponse(CsrfFor(token), expiresAt, me!, WorkingCalendar.Today(clock.GetUtcNow())));
    }

    static async Task<Results<Ok<SessionResponse>, ProblemHttpResult>> GetSession(CurrentUser user, HttpContext http, MySqlDataSource db, TimeProvider clock,
        CancellationToken ct)
    {
        if (http.Items[SessionChannels.ConsoleTokenItem] is not string token)
        {
            return Problems.NotFound("这不是工作台会话。");
        }
        await using var connection = await db.OpenConnectionAsync(ct);
        var expiresAt = await connection.ExecuteScalarAsync<DateTime>(new CommandDefinition(
            "SELECT expires_at FROM sessions WHERE id = @SessionId", new { user.SessionId }, cancellationToken: ct));
        var me = await Me.MeApi.LoadAsync(connection, user.Id, ct);
        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(new SessionResponse(CsrfFor(token), new DateTimeOffset(expiresAt, TimeSpan.Zero), me!, WorkingCalendar.Today(clock.GetUtcNow())));
    }

    static async Task<Results<NoContent, ProblemHttpResult>> LogoutConsole(CurrentUser user, HttpContext http, MySqlDataSource db, TimeProvider clock, CancellationToken ct)
    {
        if (!http.Items.ContainsKey(SessionChannels.ConsoleTokenItem))
        {
            return Problems.NotFound("这不是工作台会话；小程序请用 /api/auth/logout 退出。");
        }
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE sessions SET revoked_at = @now WHERE id = @SessionId AND revoked_at IS NULL",
            new { now = clock.GetUtcNow().UtcDateTime, user.SessionId }, cancellationToken: ct));
        http.Response.Cookies.Delete(SessionChannels.ConsoleCookie, CookieOptionsFor(http, "/", null));
        return TypedResults.NoContent();
    }
}
