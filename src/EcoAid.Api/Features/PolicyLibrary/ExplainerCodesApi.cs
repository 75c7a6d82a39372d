using System.Globalization;
using Dapper;
using EcoAid.Api.Infrastructure;
using EcoAid.Api.Infrastructure.Auth;
using EcoAid.Api.Infrastructure.Http;
using EcoAid.Wechat;
using Microsoft.Extensions.Options;
using MySqlConnector;

namespace EcoAid.Api.Features.PolicyLibrary;

/// <summary>Settings under <c>Explainers</c>: how the mini-program codes of 码上说执法 are made.</summary>
public sealed class ExplainerOptions
{
    /// <summary>The mini-program page a scanned code opens (no leading '/', no query); it reads <c>query.scene</c>.</summary>
    public string? Page { get; set; }

    /// <summary>WeChat's check_path: the page must exist in the released version (switch off while it is not released yet).</summary>
    public bool CheckPath { get; set; } = true;

    /// <summary><c>release</c>, <c>trial</c> or <c>develop</c>: which version of the mini-program the code opens.</summary>
    public string EnvVersion { get; set; } = "release";

    /// <summary>The code's width in pixels, 280–1280.</summary>
    public int Width { get; set; } = 430;

    public static string? Check(ExplainerOptions o) =>
        string.IsNullOrWhiteSpace(o.Page) ? "Explainers:Page 未配置（扫码后打开的小程序页面，如 pages/explainer/index）。"
        : o.Page.StartsWith('/') || o.Page.Contains('?') || o.Page.Length > 128 ? "Explainers:Page 不能以 / 开头、不能带查询参数，且不超过 128 个字符。"
        : o.EnvVersion is not ("release" or "trial" or "develop") ? "Explainers:EnvVersion 只能是 release、trial 或 develop。"
        : o.Width is < 280 or > 1280 ? "Explainers:Width 须在 280 到 1280 之间。"
        : null;
}

/// <summary>
/// Scenes: what a code carries, at most 32 characters of WeChat's allowed set. Ours are <c>p{id}</c> for a document's
/// own code and <c>p{id}-{source}</c> for a signboard's, the source being letters, digits, '_' and '-'.
/// </summary>
public static class ExplainerScenes
{
    public const int MaxLength = 32;
    public const int MaxSourceLength = 20;
    private const string WechatAllowed = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$&'()*+,/:;=?@-._~";

    public static string For(long policyId, string source) =>
        "p" + policyId.ToString(CultureInfo.InvariantCulture) + (source.Length == 0 ? "" : "-" + source);

    /// <summary>A scene WeChat would accept: 1–32 characters from its allowed set.</summary>
    public static bool IsValid(string? scene) => scene is { Length: > 0 and <= MaxLength } && scene.All(WechatAllowed.Contains);

    public static string? CheckSource(string source) =>
        source.Length > MaxSourceLength ? $"来源标记不能超过 {MaxSourceLength} 个字符。"
        : source.Any(c => !char.IsAsciiLetterOrDigit(c) && c is not ('_' or '-')) ? "来源标记只能包含英文字母、数字、下划线和短横线（微信小程序码的 scene 不支持中文等字符）。"
        : null;
}

/// <summary>The mini-program code of a document (码上说执法), made once per document and source and kept in the database.</summary>
public static partial class ExplainerCodesApi
{
    public static IEndpointRouteBuilder MapExplainerCodes(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/api/policies/{id:long}/qrcode", GetPolicyQrCode).ProducesFile("image/png", "image/jpeg").Answers(502).WithTags("Policies").RequireAuthorization(Policies.OrgAdmin)
            .WithName(nameof(GetPolicyQrCode))
            .WithSummary("文件的小程序码（管理员）")
            .WithDescription("返回图片（微信 getUnlimitedQRCode 生成，每个文件每个来源只生成一次并保存）。source 为张贴位置的来源标记（如 gate、workshop-2），"
                + "只能用英文字母、数字、_ 和 -，最多 20 个字符；不带 source 为文件本身的码。scene 在应答头 X-Qr-Scene 中。扫码后小程序打开 Explainers:Page 配置的页面。");
        return routes;
    }

    static async Task<IResult> GetPolicyQrCode(long id, string? source, CurrentUser user, MySqlDataSource db, MiniProgramApi wechat,
        IOptions<ExplainerOptions> options, PolicyLibraryVersion versions, TimeProvider clock, HttpContext http, ILoggerFactory loggers, CancellationToken ct)
    {
        var tag = source?.Trim() ?? "";
        if (ExplainerScenes.CheckSource(tag) is { } invalid)
        {
            return Problems.Validation("source", invalid);
        }
        await using var connection = await db.OpenConnectionAsync(ct);
        var exists = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM policies WHERE id = @id AND branch_id IN @BranchIds)", new { id, user.BranchIds }, cancellationToken: ct));
        if (!exists)
        {
            return Problems.NotFound();
        }
        var scene = ExplainerScenes.For(id, tag);
        if (!ExplainerScenes.IsValid(scene))
        {
            return Problems.Validation("source", "来源标记太长：小程序码的 scene 最多 32 个字符。");
        }
        var page = options.Value.Page!;
        var stored = await connection.QuerySingleOrDefaultAsync<(string Page, string ContentType, byte[] Image)?>(new CommandDefinition(
            "SELECT page, content_type, image FROM policy_qrcodes WHERE policy_id = @id AND source = @tag", new { id, tag }, cancellationToken: ct));
        if (stored is { } kept && kept.Page == page)
        {
            return Image(http, scene, kept.ContentType, kept.Image);
        }

        // A code is made once; only a changed page setting makes it again (the scene, and so every printed code, stays valid).
        var o = options.Value;
        var result = await wechat.GetUnlimitedQrCodeAsync(new UnlimitedQrCodeRequest(scene, page, o.CheckPath, o.EnvVersion, o.Width), ct);
        if (result.Error is { } error)
        {
            Log.CodeRefused(loggers.CreateLogger(typeof(ExplainerCodesApi)), id, error.ErrCode, error.Rid);
            return Refused(error, page);
        }
        var image = result.Value!;
        var now = clock.GetUtcNow().UtcDateTime;
        await using var tx = await connection.BeginTransactionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO policy_qrcodes (policy_id, source, scene, page, content_type, image, created_by, created_at)
            VALUES (@id, @tag, @scene, @page, @ContentType, @Content, @userId, @now)
            ON DUPLICATE KEY UPDATE page = VALUES(page), content_type = VALUES(content_type), image = VALUES(image), created_at = VALUES(created_at)
            """, new { id, tag, scene, page, image.ContentType, image.Content, userId = user.Id, now }, tx, cancellationToken: ct));
        // A new scene must resolve at once on every instance, so it counts as a change of the library.
        var version = await PolicyLibraryVersion.BumpAsync(connection, tx, ct);
        await tx.CommitAsync(ct);
        versions.Observe(version);
        return Image(http, scene, image.ContentType, image.Content);
    }

    private static IResult Image(HttpContext http, string scene, string contentType, byte[] image)
    {
        http.Response.Headers["X-Qr-Scene"] = scene;
        http.Response.Headers.CacheControl = "private, no-cache";
        return Results.File(image, contentType, $"{scene}.{(contentType.Contains("jpeg", StringComparison.Ordinal) ? "jpg" : "png")}");
    }

    /// <summary>WeChat's refusals as problems an administrator can act on; the errcode travels along for support.</summary>
    private static IResult Refused(WechatError error, string page)
    {
        var extensions = new Dictionary<string, object?> { ["wechatErrCode"] = error.ErrCode };
        var (status, code, title, detail) = error.ErrCode switch
        {
            41030 => (StatusCodes.Status502BadGateway, "qrcode.page_invalid", "小程序页面无效",
                $"微信说页面 {page} 不存在或尚未发布：请检查 Explainers:Page，或在小程序发布前关闭 Explainers:CheckPath。"),
            45063 => (StatusCodes.Status502BadGateway, "qrcode.not_permitted", "无权生成小程序码", "微信拒绝为此小程序生成小程序码，请检查小程序的接口权限。"),
            40169 or 40129 or 40097 => (StatusCodes.Status502BadGateway, "qrcode.rejected", "微信拒绝了小程序码参数", $"微信拒绝了生成参数（错误码 {error.ErrCode}），请联系管理员。"),
            _ when error.Kind is WechatErrorKind.Transient or WechatErrorKind.QuotaExceeded =>
                (StatusCodes.Status503ServiceUnavailable, "wechat.unavailable", "微信服务暂不可用", "微信暂时无法生成小程序码，请稍后重试。"),
            _ => (StatusCodes.Status502BadGateway, "wechat.rejected", "微信服务拒绝了请求", $"微信拒绝生成小程序码（错误码 {error.ErrCode}），请联系管理员。"),
        };
        return TypedResults.Problem(detail: detail, statusCode: status, title: title,
            extensions: new Dictionary<string, object?>(extensions) { ["code"] = code });
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 6010, Level = LogLevel.Warning, Message = "WeChat refused a mini-program code for policy {PolicyId}: errcode {ErrCode}, rid {Rid}")]
        public static partial void CodeRefused(ILogger logger, long policyId, int errCode, string rid);
    }
}
