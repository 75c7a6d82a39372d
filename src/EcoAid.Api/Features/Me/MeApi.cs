using System.Data.Common;
using Dapper;
using EcoAid.Api.Infrastructure;
using EcoAid.Api.Infrastructure.Auth;
using EcoAid.Api.Infrastructure.Http;
using EcoAid.Api.Infrastructure.Validation;
using Microsoft.AspNetCore.Http.HttpResults;
using EcoAid.Wechat;
using MySqlConnector;

namespace EcoAid.Api.Features.Me;

public static class MeApi
{
    internal static IEndpointRouteBuilder MapMeEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/me").WithTags("Me").RequireAuthorization(Policies.User).AddEndpointFilter<ValidationFilter>();
        group.MapGet("/", GetMe).WithName(nameof(GetMe)).WithSummary("当前用户");
        group.MapPost("/phone", SetPhone).Answers(502).WithName(nameof(SetPhone)).WithSummary("绑定手机号")
            .WithDescription("用 <button open-type=\"getPhoneNumber\"> 回调中的 code（不是 wx.login 的 code）换取并保存手机号；返回的当前用户中手机号打码显示。");
        group.MapPatch("/", UpdateMe).WithName(nameof(UpdateMe)).WithSummary("修改姓名")
            .WithDescription("displayName：在时间线、通知和导出中显示的姓名（1 到 20 个字，不能是“微信用户”）。手机号请走 POST /api/me/phone。");
        group.MapPost("/bind", Bind).Answers(409).WithName(nameof(Bind)).WithSummary("用邀请码绑定身份")
            .WithDescription("兑换一次性邀请码：成为某企业的联系人，或专班成员、服务专员、支部书记、科室联络人、管理员。");
        return routes;
    }

    public sealed record MeResponse(long Id, string DisplayName, IReadOnlyList<string> Roles, long? CityId, long? BranchId,
        long? EnterpriseId, long? MemberId, long? DepartmentId, string? PhoneMasked);

    public sealed record PhoneRequest(string Code) : IValidatable
    {
        public void Validate(ValidationErrors errors) => errors.Required("code", Code, 128);
    }

    static async Task<Results<Ok<MeResponse>, ProblemHttpResult>> SetPhone(PhoneRequest request, CurrentUser user, MiniProgramApi miniProgram,
        MySqlDataSource db, CancellationToken ct)
    {
        var result = await miniProgram.GetUserPhoneNumberAsync(request.Code, ct);
        if (result.Error is { } error)
        {
            return error.ErrCode == WechatErrorCodes.InvalidCode
                ? Problems.BadRequest("phone.invalid_code", "手机号授权已失效，请重新点击获取手机号。")
                : error.Kind is WechatErrorKind.Transient or WechatErrorKind.QuotaExceeded
                    ? Problems.Create(StatusCodes.Status503ServiceUnavailable, "wechat.unavailable", "微信服务暂不可用", "暂时无法获取手机号，请稍后重试。")
                    : Problems.Create(StatusCodes.Status502BadGateway, "wechat.rejected", "微信服务拒绝了请求", "暂时无法获取手机号，请联系管理员。");
        }
        var info = result.Value!;
        // Mainland numbers are kept as their 11 digits; others with their country code.
        var phone = info.CountryCode is null or "86" ? info.PurePhoneNumber : info.PhoneNumber;
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("UPDATE users SET phone = @phone WHERE id = @Id", new { phone, user.Id }, cancellationToken: ct));
        return TypedResults.Ok((await LoadAsync(connection, user.Id, ct))!);
    }

    public sealed record UpdateMeRequest(string DisplayName) : IValidatable
    {
        public void Validate(ValidationErrors errors)
        {
            errors.Required("displayName", DisplayName, 20);
            if (DisplayName?.Trim() == DefaultDisplayName)
            {
                errors.Add("displayName", "请填写您的真实姓名。");
            }
        }
    }

    /// <summary>The name a user has until they give theirs.</summary>
    public const string DefaultDisplayName = Organisation.PersonNames.Placeholder;

    static async Task<Ok<MeResponse>> UpdateMe(UpdateMeRequest request, CurrentUser user, MySqlDataSource db, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("UPDATE users SET display_name = @name WHERE id = @Id",
            new { name = request.DisplayName.Trim(), user.Id }, cancellationToken: ct));
        return TypedResults.Ok((await LoadAsync(connection, user.Id, ct))!);
    }

    public sealed record BindRequest(string InviteCode) : IValidatable
    {
        public void Validate(ValidationErrors errors) => errors.Required("inviteCode", InviteCode, 32);
    }

    static async Task<Ok<MeResponse>> GetMe(CurrentUser user, MySqlDataSource db, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return TypedResults.Ok((await LoadAsync(connection, user.Id, ct))!);
    }

    public static async Task<MeResponse?> LoadAsync(DbConnection connection, long userId, CancellationToken ct)
    {
        const string sql = """
            SELECT id, display_name, city_id, branch_id, enterprise_id, member_id, department_id, phone FROM users WHERE id = @userId;
            SELECT role FROM user_roles WHERE user_id = @userId ORDER BY role;
            """;
        await using var results = await connection.QueryMultipleAsync(new CommandDefinition(sql, new { userId }, cancellationToken: ct));
        var row = await results.ReadSingleOrDefaultAsync<UserRow>();
        var roles = (await results.ReadAsync<string>()).ToList();
        return row is null ? null : new MeResponse(row.Id, row.DisplayName, roles, row.CityId, row.BranchId, row.EnterpriseId,
            row.MemberId, row.DepartmentId, PhoneNumbers.Mask(row.Phone));
    }

    private sealed class UserRow
    {
        public long Id { get; init; }
        public string DisplayName { get; init; } = "";
        public long? CityId { get; init; }
        public long? BranchId { get; init; }
        public long? EnterpriseId { get; init; }
        public long? MemberId { get; init; }
        public long? DepartmentId { get; init; }
        public string? Phone { get; init; }
    }

    static async Task<Results<Ok<MeResponse>, ProblemHttpResult>> Bind(BindRequest request, CurrentUser user, MySqlDataSource db, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var invite = await connection.QuerySingleOrDefaultAsync<Invites.InvitesApi.InviteRow>(new CommandDefinition("""
            SELECT id, role, city_id, branch_id, enterprise_id, member_id, department_id, expires_at, redeemed_at
            FROM invites WHERE code_hash = @hash FOR UPDATE
            """, new { hash = Secrets.Hash(Secrets.NormalizeInviteCode(request.InviteCode)) }, tx, cancellationToken: ct));

        if (invite is null)
        {
            return Problems.BadRequest("invite.invalid", "邀请码不正确，请核对后重新输入。");
        }
        if (invite.RedeemedAt is not null)
        {
            return Problems.BadRequest("invite.used", "此邀请码已被使用，请向管理员索取新的邀请码。");
        }
        if (invite.ExpiresAt <= now)
        {
            return Problems.BadRequest("invite.expired", "此邀请码已过期，请向管理员索取新的邀请码。");
        }

        var current = (await connection.QuerySingleAsync<BindingRow>(new CommandDefinition(
            "SELECT city_id, branch_id, enterprise_id, member_id, department_id FROM users WHERE id = @Id FOR UPDATE", new { user.Id }, tx, cancellationToken: ct)));
        if (current.BranchId is { } branchId && branchId != invite.BranchId || current.CityId is { } cityId && cityId != invite.CityId
            || current.BranchId is not null && invite.BranchId is null)
        {
            return Problems.Conflict("invite.other_branch", "您已绑定其他支部，不能再绑定此邀请码。如需调整请联系管理员。");
        }
        if (Conflicts(current.EnterpriseId, invite.EnterpriseId) || Conflicts(current.MemberId, invite.MemberId) || Conflicts(current.DepartmentId, invite.DepartmentId))
        {
            return Problems.Conflict("invite.already_bound", "您已绑定了其他企业、成员或科室，不能再绑定此邀请码。");
        }

        const string bind = """
            UPDATE users SET city_id = @CityId, branch_id = COALESCE(@BranchId, branch_id),
                enterprise_id = COALESCE(@EnterpriseId, enterprise_id), member_id = COALESCE(@MemberId, member_id),
                department_id = COALESCE(@DepartmentId, department_id),
                display_name = COALESCE((SELECT name FROM members WHERE id = @MemberId), display_name)
            WHERE id = @UserId;
            INSERT INTO user_roles (user_id, role, granted_at) VALUES (@UserId, @Role, @now) ON DUPLICATE KEY UPDATE role = role;
            UPDATE invites SET redeemed_by = @UserId, redeemed_at = @now WHERE id = @InviteId;
            """;
        await connection.ExecuteAsync(new CommandDefinition(bind, new
        {
            invite.CityId, invite.BranchId, invite.EnterpriseId, invite.MemberId, invite.DepartmentId, invite.Role,
            UserId = user.Id, InviteId = invite.Id, now,
        }, tx, cancellationToken: ct));
        await Audit.AuditTrail.RecordAsync(connection, tx, new Audit.AuditEvent(Audit.AuditKinds.RoleGranted, user.Id, invite.BranchId, invite.CityId,
            "user", user.Id, new { role = invite.Role, inviteId = invite.Id }), clock.GetUtcNow(), ct);
        await tx.CommitAsync(ct);
        return TypedResults.Ok((await LoadAsync(connection, user.Id, ct))!);
    }

    private static bool Conflicts(long? current, long? offered) => current is not null && offered is not null && current != offered;

    private sealed class BindingRow
    {
        public long? CityId { get; init; }
        public long? BranchId { get; init; }
        public long? EnterpriseId { get; init; }
        public long? MemberId { get; init; }
        public long? DepartmentId { get; init; }
    }
}
