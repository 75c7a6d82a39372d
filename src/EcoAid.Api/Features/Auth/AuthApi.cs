using Dapper;
using EcoAid.Api.Infrastructure;
using EcoAid.Api.Infrastructure.Auth;
using EcoAid.Api.Infrastructure.Http;
using EcoAid.Api.Infrastructure.Validation;
using EcoAid.Api.Infrastructure.Wechat;
using EcoAid.Wechat;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using MySqlConnector;

namespace EcoAid.Api.Features.Auth;

public sealed class AuthOptions
{
    /// <summary>How long a session token stays valid after login.</summary>
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromDays(7);
}

public static partial class AuthApi
{
    internal static IEndpointRouteBuilder MapAuthEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/auth").WithTags("Auth").AddEndpointFilter<ValidationFilter>();
        group.MapPost("/login", Login).Answers(403, 502).AllowAnonymous().RequireRateLimiting(Hardening.LoginPolicy).WithName(nameof(Login))
            .WithSummary("用 wx.login 的 code 登录").WithDescription("通过 code2Session 换取 openid，返回本服务的会话令牌。code 只能使用一次。" +
                "同一客户端地址、同一微信用户每分钟的登录次数有限，超过返回 429（带 Retry-After）。");
        group.MapPost("/logout", Logout).Produces(204).RequireAuthorization(Policies.User).WithName(nameof(Logout)).WithSummary("退出登录（吊销当前令牌）");
        return routes;
    }

    public sealed record LoginRequest(string Code) : IValidatable
    {
        public void Validate(ValidationErrors errors) => errors.Required("code", Code, 128);
    }

    public sealed record LoginResponse(string Token, DateTimeOffset ExpiresAt, Me.MeApi.MeResponse User);

    static async Task<Results<Ok<LoginResponse>, ProblemHttpResult, ValidationProblem>> Login(
        LoginRequest request, WechatApiClient wechat, IOptions<WechatOptions> wechatOptions, IOptions<AuthOptions> authOptions,
        IOptions<BootstrapOptions> bootstrap, UserLoginLimiter perUser, HttpContext http, MySqlDataSource db, TimeProvider clock,
        ILoggerFactory loggers, CancellationToken ct)
    {
        var session = await wechat.Code2SessionAsync(wechatOptions.Value.MiniProgramApp, request.Code, ct);
        if (session.Error is { } error)
        {
            Log.LoginRefused(loggers.CreateLogger(typeof(AuthApi)), error.ErrCode, error.Rid);
            return error.ErrCode switch
            {
                WechatErrorCodes.InvalidCode or WechatErrorCodes.CodeBeenUsed =>
                    Problems.BadRequest("auth.invalid_code", "登录凭证无效或已使用，请重新登录。"),
                WechatErrorCodes.CodeBlocked =>
                    Problems.Create(StatusCodes.Status403Forbidden, "auth.blocked", "登录被拦截", "微信判定此次登录存在风险，请稍后再试。"),
                WechatErrorCodes.MinuteQuotaReached =>
                    Problems.Create(StatusCodes.Status429TooManyRequests, "rate_limited", "操作过于频繁", "登录过于频繁，请一分钟后再试。"),
                _ when error.Kind is WechatErrorKind.Transient or WechatErrorKind.QuotaExceeded =>
                    Problems.Create(StatusCodes.Status503ServiceUnavailable, "wechat.unavailable", "微信服务暂不可用", "暂时无法连接微信服务，请稍后重试。"),
                _ => Problems.Create(StatusCodes.Status502BadGateway, "wechat.rejected", "微信服务拒绝了请求", "服务配置有误，请联系管理员。"),
            };
        }

        var openId = session.Value!.Openid;
        if (perUser.TryAcquire(openId) is { } wait)
        {
            // The code is spent at WeChat already; the user logs in again with a fresh one after the wait.
            Hardening.SetRetryAfter(http, wait);
            return Problems.Create(StatusCodes.Status429TooManyRequests, "auth.too_many_logins", "登录过于频繁",
                "该微信账号登录过于频繁，请稍后再试。");
        }

        var now = clock.GetUtcNow();
        var token = Secrets.NewSessionToken();
        var expiresAt = now + authOptions.Value.SessionLifetime;

        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        const string upsertUser = """
            INSERT INTO users (openid, unionid, display_name, created_at, last_login_at)
            VALUES (@openId, @unionId, '微信用户', @now, @now)
            ON DUPLICATE KEY UPDATE last_login_at = VALUES(last_login_at), unionid = COALESCE(VALUES(unionid), unionid);
            SELECT id FROM users WHERE openid = @openId;
            """;
        var userId = await connection.ExecuteScalarAsync<long>(new CommandDefinition(upsertUser,
            new { openId, unionId = session.Value.Unionid, now = now.UtcDateTime }, tx, cancellationToken: ct));

        if (bootstrap.Value.CityAdminOpenIds.Contains(openId))
        {
            await Bootstrap.GrantCityAdminAsync(connection, tx, userId, bootstrap.Value, now, ct);
        }

        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO sessions (user_id, token_hash, created_at, expires_at) VALUES (@userId, @hash, @now, @expiresAt)",
            new { userId, hash = Secrets.Hash(token), now = now.UtcDateTime, expiresAt = expiresAt.UtcDateTime }, tx, cancellationToken: ct));
        await Audit.AuditTrail.RecordLoginAsync(connection, tx, userId, null, now, ct);
        await tx.CommitAsync(ct);

        var me = await Me.MeApi.LoadAsync(connection, userId, ct);
        return TypedResults.Ok(new LoginResponse(token, expiresAt, me!));
    }

    static async Task<NoContent> Logout(CurrentUser user, MySqlDataSource db, TimeProvider clock, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE sessions SET revoked_at = @now WHERE id = @SessionId AND revoked_at IS NULL",
            new { now = clock.GetUtcNow().UtcDateTime, user.SessionId }, cancellationToken: ct));
        return TypedResults.NoContent();
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 2000, Level = LogLevel.Information, Message = "Login refused by WeChat: errcode {ErrCode} (rid {Rid})")]
        public static partial void LoginRefused(ILogger logger, int errCode, string rid);
    }
}
