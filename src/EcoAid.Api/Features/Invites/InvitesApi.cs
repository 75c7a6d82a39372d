using Dapper;
using EcoAid.Api.Infrastructure.Auth;
using EcoAid.Api.Infrastructure.Http;
using EcoAid.Api.Infrastructure.Validation;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using MySqlConnector;

namespace EcoAid.Api.Features.Invites;

public sealed class InviteOptions
{
    /// <summary>How long an invite code can be redeemed.</summary>
    public TimeSpan Lifetime { get; set; } = TimeSpan.FromDays(7);
}

public static class InvitesApi
{
    internal static IEndpointRouteBuilder MapInviteEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/invites").WithTags("Invites").RequireAuthorization(Policies.OrgAdmin).AddEndpointFilter<ValidationFilter>();
        group.MapPost("/", CreateInvite).WithName(nameof(CreateInvite)).WithSummary("生成一次性邀请码")
            .WithDescription("管理员为企业联系人、专班成员、服务专员、支部书记、科室联络人或管理员生成邀请码；市级管理员还可邀请市局用户。邀请码只显示这一次。");
        return routes;
    }

    static readonly string[] InvitableRoles = [.. Roles.All];

    public sealed record CreateInviteRequest(string Role, long? BranchId, long? EnterpriseId, long? MemberId, long? DepartmentId) : IValidatable
    {
        public void Validate(ValidationErrors errors)
        {
            errors.OneOf("role", Role, InvitableRoles);
            switch (Role)
            {
                case Roles.Staff when EnterpriseId is null:
                    errors.Add("enterpriseId", "邀请企业联系人时须指定企业。");
                    break;
                case Roles.Member or Roles.Commissioner or Roles.Secretary when MemberId is null:
                    errors.Add("memberId", "邀请专班成员时须指定成员。");
                    break;
                case Roles.DepartmentLiaison when DepartmentId is null:
                    errors.Add("departmentId", "邀请科室联络人时须指定科室。");
                    break;
            }
        }
    }

    public sealed record InviteResponse(long Id, string Code, string Role, long? BranchId, long? EnterpriseId, long? MemberId,
        long? DepartmentId, DateTimeOffset ExpiresAt);

    internal sealed class InviteRow
    {
        public long Id { get; init; }
        public string Role { get; init; } = "";
        public long CityId { get; init; }
        public long? BranchId { get; init; }
        public long? EnterpriseId { get; init; }
        public long? MemberId { get; init; }
        public long? DepartmentId { get; init; }
        public DateTime ExpiresAt { get; init; }
        public DateTime? RedeemedAt { get; init; }
    }

    static async Task<Results<Created<InviteResponse>, ProblemHttpResult, ValidationProblem>> CreateInvite(
        CreateInviteRequest request, CurrentUser user, MySqlDataSource db, TimeProvider clock, IOptions<InviteOptions> options, CancellationToken ct)
    {
        var cityLevel = Roles.CityLevel.Contains(request.Role);
        if (cityLevel && !user.IsInRole(Roles.CityAdmin))
        {
            return Problems.Create(StatusCodes.Status403Forbidden, "auth.forbidden", "无权操作", "只有市级管理员可以邀请市局用户。");
        }

        long? branchId = null;
        if (!cityLevel)
        {
            branchId = user.IsInRole(Roles.Admin) ? user.BranchId : request.BranchId;
            if (branchId is null)
            {
                return Problems.Validation("branchId", "市级管理员邀请支部用户时须指定支部。");
            }
            if (!user.Reaches(branchId.Value) || request.BranchId is { } asked && asked != branchId)
            {
                return Problems.NotFound("指定的支部不存在或不在您的管理范围内。");
            }
        }

        await using var connection = await db.OpenConnectionAsync(ct);
        // The linked record must belong to the invite's branch; one of another branch answers 404 like any unreachable row.
        const string checkLinks = """
            SELECT
              (@EnterpriseId IS NULL OR EXISTS (SELECT 1 FROM enterprises WHERE id = @EnterpriseId AND branch_id = @branchId)) AS enterprise_ok,
              (@MemberId IS NULL OR EXISTS (SELECT 1 FROM members WHERE id = @MemberId AND branch_id = @branchId)) AS member_ok,
              (@DepartmentId IS NULL OR EXISTS (SELECT 1 FROM departments WHERE id = @DepartmentId AND branch_id = @branchId)) AS department_ok
            """;
        var links = await connection.QuerySingleAsync<(bool EnterpriseOk, bool MemberOk, bool DepartmentOk)>(new CommandDefinition(checkLinks,
            new { request.EnterpriseId, request.MemberId, request.DepartmentId, branchId }, cancellationToken: ct));
        if (!links.EnterpriseOk || !links.MemberOk || !links.DepartmentOk)
        {
            return Problems.NotFound("指定的企业、成员或科室不存在或不在您的管理范围内。");
        }

        // Only the record the role needs is linked; anything else sent along is ignored.
        var enterpriseId = request.Role == Roles.Staff ? request.EnterpriseId : null;
        var memberId = Roles.TaskForce.Contains(request.Role) ? request.MemberId : null;
        var departmentId = request.Role == Roles.DepartmentLiaison ? request.DepartmentId : null;
        var code = Secrets.NewInviteCode();
        var now = clock.GetUtcNow();
        var expiresAt = now + options.Value.Lifetime;
        const string insert = """
            INSERT INTO invites (code_hash, role, city_id, branch_id, enterprise_id, member_id, department_id, created_by, created_at, expires_at)
            VALUES (@hash, @Role, @CityId, @branchId, @enterpriseId, @memberId, @departmentId, @createdBy, @now, @expiresAt);
            SELECT LAST_INSERT_ID();
            """;
        var cityId = user.CityId ?? await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT city_id FROM party_branches WHERE id = @branchId", new { branchId }, cancellationToken: ct));
        var id = await connection.ExecuteScalarAsync<long>(new CommandDefinition(insert, new
        {
            hash = Secrets.Hash(code), request.Role, CityId = cityId, branchId, enterpriseId, memberId, departmentId,
            createdBy = user.Id, now = now.UtcDateTime, expiresAt = expiresAt.UtcDateTime,
        }, cancellationToken: ct));
        await Audit.AuditTrail.RecordAsync(connection, null, Audit.AuditEvent.By(user, Audit.AuditKinds.InviteCreated, "invite", id,
            new { role = request.Role, branchId, enterpriseId, memberId, departmentId }) with { BranchId = branchId, CityId = cityId }, now, ct);
        return TypedResults.Created($"/api/invites/{id}", new InviteResponse(id, code, request.Role, branchId, enterpriseId, memberId, departmentId, expiresAt));
    }
}
