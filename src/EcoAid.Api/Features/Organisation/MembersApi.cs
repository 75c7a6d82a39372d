using Dapper;
using EcoAid.Api.Infrastructure;
using EcoAid.Api.Infrastructure.Auth;
using EcoAid.Api.Infrastructure.Http;
using EcoAid.Api.Infrastructure.Validation;
using Microsoft.AspNetCore.Http.HttpResults;
using MySqlConnector;

namespace EcoAid.Api.Features.Organisation;

/// <summary>The task force (助企工作专班): Party members of the branch who work the demands.</summary>
public static class MembersApi
{
    public static IEndpointRouteBuilder MapMembers(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/members").WithTags("Organisation").AddEndpointFilter<ValidationFilter>();
        group.MapGet("/", ListMembers).RequireAuthorization(Policies.BranchReader).WithName(nameof(ListMembers)).WithSummary("专班成员列表");
        group.MapGet("/{id:long}", GetMember).RequireAuthorization(Policies.BranchReader).WithName(nameof(GetMember)).WithSummary("成员详情");
        group.MapPost("/", CreateMember).Produces<MemberResponse>(201).WithIdempotency().RequireAuthorization(Policies.OrgAdmin).WithName(nameof(CreateMember)).WithSummary("新增成员");
        group.MapPut("/{id:long}", UpdateMember).Produces<MemberResponse>(200).RequireAuthorization(Policies.OrgAdmin).WithName(nameof(UpdateMember)).WithSummary("修改成员");
        group.MapPost("/{id:long}/official-account-qrcode", OfficialAccountBinding.CreateQrCode).Produces<OfficialAccountBinding.BindingQrCodeResponse>(201).Answers(502).RequireAuthorization(Policies.BranchReader)
            .WithName("CreateOfficialAccountBindingQrCode").WithSummary("生成绑定公众号的二维码")
            .WithDescription("管理员为本支部成员、成员为自己生成带参二维码（短时有效、仅能使用一次）。用微信扫码关注或进入公众号后，该成员即与公众号 openid 绑定，之后的待办提醒通过公众号模板消息送达。");
        return routes;
    }

    /// <summary>专班组长 or 专班成员.</summary>
    public static readonly string[] TaskForceRoles = ["leader", "member"];

    public sealed record MemberRequest(string Name, string? Title, string? TaskForceRole, string? Phone, long? BranchId) : IValidatable
    {
        public void Validate(ValidationErrors errors)
        {
            errors.Required("name", Name, 50);
            errors.MaxLength("title", Title, 100);
            if (TaskForceRole is not null)
            {
                errors.OneOf("taskForceRole", TaskForceRole, TaskForceRoles);
            }
            errors.Phone("phone", Phone);
        }
    }

    public sealed record MemberResponse(long Id, long BranchId, string Name, string? Title, string TaskForceRole, string? Phone,
        IReadOnlyList<long> LiaisonEnterpriseIds, OfficialAccountStatus OfficialAccount, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

    /// <summary>Whether the member's Official Account is bound (a QR scan linked it) and still followed.</summary>
    public sealed record OfficialAccountStatus(bool Bound, bool Following, DateTimeOffset? BoundAt);

    private sealed class MemberRow
    {
        public long Id { get; init; }
        public long BranchId { get; init; }
        public string Name { get; init; } = "";
        public string? Title { get; init; }
        public string TaskForceRole { get; init; } = "";
        public string? Phone { get; init; }
        public string? LiaisonEnterpriseIds { get; init; }
        public string? OaOpenid { get; init; }
        public bool OaFollowing { get; init; }
        public DateTimeOffset? OaBoundAt { get; init; }
        public DateTimeOffset CreatedAt { get; init; }
        public DateTimeOffset UpdatedAt { get; init; }

        public MemberResponse ToResponse(CurrentUser user) => new(Id, BranchId, Name, Title, TaskForceRole,
            user.SeesFullPhoneNumbers ? Phone : PhoneNumbers.Mask(Phone),
            Infrastructure.Database.IdLists.Parse(LiaisonEnterpriseIds),
            new OfficialAccountStatus(OaOpenid is not null, OaOpenid is not null && OaFollowing, OaBoundAt), CreatedAt, UpdatedAt);
    }

    private const string SelectMember = """
        SELECT m.id, m.branch_id, m.name, m.title, m.task_force_role, m.phone, m.oa_openid, m.oa_following, m.oa_bound_at, m.created_at, m.updated_at,
               (SELECT JSON_ARRAYAGG(e.id) FROM enterprises e WHERE e.liaison_member_id = m.id) AS liaison_enterprise_ids
        FROM members m
        """;

    static async Task<Results<Ok<PagedList<MemberResponse>>, ValidationProblem>> ListMembers(
        CurrentUser user, MySqlDataSource db, TimeProvider clock, int? page, int? pageSize, CancellationToken ct)
    {
        if (!Paging.TryCreate(page, pageSize, out var paging, out var errors))
        {
            return Problems.Validation(errors);
        }
        var sql = $"""
            {SelectMember} WHERE m.branch_id IN @BranchIds ORDER BY m.id LIMIT @PageSize OFFSET @Offset;
            SELECT COUNT(*) FROM members m WHERE m.branch_id IN @BranchIds;
            """;
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var results = await connection.QueryMultipleAsync(new CommandDefinition(sql,
            new { user.BranchIds, paging.PageSize, paging.Offset }, cancellationToken: ct));
        var rows = (await results.ReadAsync<MemberRow>()).Select(r => r.ToResponse(user)).ToList();
        var total = await results.ReadSingleAsync<long>();
        await Audit.PersonalDataAudit.PhonesShownAsync(connection, user, "member", null, rows.Select(r => (r.Id, r.Phone)), clock.GetUtcNow(), ct);
        return TypedResults.Ok(new PagedList<MemberResponse>(rows, total, paging.Page, paging.PageSize));
    }

    static async Task<Results<Ok<MemberResponse>, ProblemHttpResult>> GetMember(long id, CurrentUser user, MySqlDataSource db, TimeProvider clock,
        CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var row = await FindAsync(connection, id, user, ct);
        if (row is null)
        {
            return Problems.NotFound();
        }
        var response = row.ToResponse(user);
        var now = clock.GetUtcNow();
        await Audit.PersonalDataAudit.RecordOpenedAsync(connection, user, "member", id, ["name", "phone", "officialAccount"], own: user.MemberId == id, now, ct);
        await Audit.PersonalDataAudit.PhonesShownAsync(connection, user, "member", id, [(response.Id, response.Phone)], now, ct);
        return TypedResults.Ok(response);
    }

    private static Task<MemberRow?> FindAsync(MySqlConnection connection, long id, CurrentUser user, CancellationToken ct) =>
        connection.QuerySingleOrDefaultAsync<MemberRow>(new CommandDefinition(
            $"{SelectMember} WHERE m.id = @id AND m.branch_id IN @BranchIds", new { id, user.BranchIds }, cancellationToken: ct))!;

    static async Task<IResult> CreateMember(MemberRequest request, CurrentUser user, MySqlDataSource db, TimeProvider clock, CancellationToken ct)
    {
        if (!BranchTarget.TryResolve(user, request.BranchId, out var branchId, out var problem))
        {
            return problem!;
        }
        const string insert = """
            INSERT INTO members (branch_id, name, title, task_force_role, phone, created_at, updated_at)
            VALUES (@branchId, @Name, @Title, @TaskForceRole, @Phone, @now, @now);
            SELECT LAST_INSERT_ID();
            """;
        await using var connection = await db.OpenConnectionAsync(ct);
        var id = await connection.ExecuteScalarAsync<long>(new CommandDefinition(insert, new
        {
            branchId, Name = request.Name.Trim(), request.Title, TaskForceRole = request.TaskForceRole ?? "member", request.Phone,
            now = clock.GetUtcNow().UtcDateTime,
        }, cancellationToken: ct));
        return TypedResults.Created($"/api/members/{id}", (await FindAsync(connection, id, user, ct))!.ToResponse(user));
    }

    static async Task<IResult> UpdateMember(long id, MemberRequest request, CurrentUser user, MySqlDataSource db, TimeProvider clock, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var existing = await FindAsync(connection, id, user, ct);
        if (existing is null)
        {
            return Problems.NotFound();
        }
        if (request.BranchId is { } moved && moved != existing.BranchId)
        {
            return Problems.Validation("branchId", "成员不能转到其他支部。");
        }
        await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE members SET name = @Name, title = @Title, task_force_role = @TaskForceRole, phone = @Phone, updated_at = @now WHERE id = @id
            """, new
        {
            id, Name = request.Name.Trim(), request.Title, TaskForceRole = request.TaskForceRole ?? existing.TaskForceRole, request.Phone,
            now = clock.GetUtcNow().UtcDateTime,
        }, cancellationToken: ct));
        return TypedResults.Ok((await FindAsync(connection, id, user, ct))!.ToResponse(user));
    }
}
