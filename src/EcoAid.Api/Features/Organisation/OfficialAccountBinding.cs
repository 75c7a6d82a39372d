using System.Security.Cryptography;
using Dapper;
using EcoAid.Api.Features.WechatCallback;
using EcoAid.Api.Infrastructure.Auth;
using EcoAid.Api.Infrastructure.Http;
using EcoAid.Api.Infrastructure.Wechat;
using EcoAid.Wechat;
using Microsoft.Extensions.Options;
using MySqlConnector;

namespace EcoAid.Api.Features.Organisation;

/// <summary>
/// Binding a task-force member to the Official Account (wechat-reference §11.2): a short-lived, single-use scene
/// <c>bind:&lt;random&gt;</c> in a parameterised QR code; the scan's subscribe/SCAN event (handled by
/// <see cref="CallbackProcessor"/>) stores the member's Official Account openid.
/// </summary>
public static class OfficialAccountBinding
{
    public sealed record BindingQrCodeResponse(string Ticket, string Url, string ImageUrl, DateTimeOffset ExpiresAt);

    private const string SceneAlphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

    internal static async Task<IResult> CreateQrCode(long id, CurrentUser user, MySqlDataSource db, OfficialAccountApi officialAccount,
        IOptions<WechatOptions> options, TimeProvider clock, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var exists = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM members WHERE id = @id AND branch_id IN @BranchIds)", new { id, user.BranchIds }, cancellationToken: ct));
        if (!exists)
        {
            return Problems.NotFound();
        }
        if (!user.IsAnyOf(Roles.Admin, Roles.CityAdmin) && user.MemberId != id)
        {
            return Problems.Create(StatusCodes.Status403Forbidden, "member.not_self", "无权操作", "只能为自己生成绑定二维码，或请管理员生成。");
        }

        var lifetime = options.Value.OfficialAccount.BindingQrLifetime;
        var scene = CallbackProcessor.BindingScenePrefix + RandomNumberGenerator.GetString(SceneAlphabet, 20);
        var now = clock.GetUtcNow();
        var result = await officialAccount.CreateQrCodeAsync(scene, lifetime, ct);
        if (result.Error is { } error)
        {
            return error.Kind is WechatErrorKind.Transient or WechatErrorKind.QuotaExceeded
                ? Problems.Create(StatusCodes.Status503ServiceUnavailable, "wechat.unavailable", "微信服务暂不可用", "暂时无法生成二维码，请稍后重试。")
                : Problems.Create(StatusCodes.Status502BadGateway, "wechat.rejected", "微信服务拒绝了请求", $"微信未能生成二维码（错误码 {error.ErrCode}），请联系管理员检查公众号配置。");
        }
        var expiresAt = now + lifetime;
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO oa_binding_scenes (scene, member_id, created_by, created_at, expires_at) VALUES (@scene, @id, @UserId, @now, @expiresAt)
            """, new { scene, id, UserId = user.Id, now = now.UtcDateTime, expiresAt = expiresAt.UtcDateTime }, cancellationToken: ct));
        var ticket = result.Value!;
        var imageUrl = $"{options.Value.OfficialAccount.ShowQrCodeUrl}?ticket={Uri.EscapeDataString(ticket.Ticket)}";
        return TypedResults.Created($"/api/members/{id}", new BindingQrCodeResponse(ticket.Ticket, ticket.Url, imageUrl, expiresAt));
    }
}
