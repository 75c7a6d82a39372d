using Dapper;
using EcoAid.Api.Infrastructure;
using EcoAid.Api.Infrastructure.Auth;
using EcoAid.Api.Infrastructure.Http;
using EcoAid.Api.Infrastructure.Validation;
using Microsoft.AspNetCore.Http.HttpResults;
using MySqlConnector;

namespace EcoAid.Api.Features.Visits;

/// <summary>The branch's expert pool (专家库): external specialists who join on-site and expert visits.</summary>
public static class ExpertsApi
{
    public static IEndpointRouteBuilder MapExperts(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/experts").WithTags("Visits").AddEndpointFilter<ValidationFilter>();
        group.MapGet("/", ListExperts).RequireAuthorization(Policies.BranchReader).WithName(nameof(ListExperts))
            .WithSummary("专家库").WithDescription("本支部（市局用户为全市）的专家：姓名、专业方向、单位、电话（管理员以外打码显示）。q 按姓名或专业方向筛选。");
        group.MapPost("/", CreateExpert).Produces<ExpertResponse>(201).WithIdempotency().RequireAuthorization(Policies.OrgAdmin).WithName(nameof(CreateExpert)).WithSummary("新增专家")
            .WithDescription("支部管理员为本支部新增；市管理员须给出 branchId。name、specialty 必填，phone 为 11 位手机号。");
        group.MapPut("/{id:long}", UpdateExpert).Produces<ExpertResponse>(200).RequireAuthorization(Policies.OrgAdmin).WithName(nameof(UpdateExpert)).WithSummary("修改专家")
            .WithDescription("整体替换姓名、专业方向、单位、电话；专家不能转到其他支部。");
        return routes;
    }

    public sealed record ExpertRequest(string Name, string Specialty, string? Organisation, string? Phone, long? BranchId) : IValidatable
    {
        public void Validate(ValidationErrors errors)
        {
            errors.Required("name", Name, 50);
            errors.Required("specialty", Specialty, 100);
            errors.MaxLength("organisation", Organisation, 100);
            errors.Phone("phone", Phone);
        }
    }

    public sealed record ExpertResponse(long Id, long BranchId, string Name, string Specialty, string? Organisation, string? Phone);

    internal sealed class ExpertRow
    {
        public long Id { get; init; }
        public long BranchId { get; init; }
        public string Name { get; init; } = "";
        public string Specialty { get; init; } = "";
        public string? Organisation { get; init; }
        public string? Phone { get; init; }

        public ExpertResponse ToResponse(CurrentUser user) =>
            new(Id, BranchId, Name, Specialty, Organisation, user.SeesFullPhoneNumbers ? Phone : PhoneNumbers.Mask(Phone));
    }

    internal const string SelectExpert = "SELECT x.id, x.branch_id, x.name, x.specialty, x.organisation, x.phone FROM experts x";

    static async Task<Results<Ok<PagedList<ExpertResponse>>, ValidationProblem>> ListExperts(CurrentUser user, MySqlDataSource db, TimeProvider clock,
        int? page, int? pageSize, string? q, CancellationToken ct)
    {
        if (!Paging.TryCreate(page, pageSize, out var paging, out var errors))
        {
            return Problems.Validation(errors);
        }
        var where = "x.branch_id IN @BranchIds AND (@Q IS NULL OR x.name LIKE @Q OR x.specialty LIKE @Q)";
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var results = await connection.QueryMultipleAsync(new CommandDefinition($"""
            {SelectExpert} WHERE {where} ORDER BY x.id LIMIT @PageSize OFFSET @Offset;
            SELECT COUNT(*) FROM experts x WHERE {where};
            """, new
        {
            user.BranchIds, paging.PageSize, paging.Offset,
            Q = string.IsNullOrWhiteSpace(q) ? null : "%" + Infrastructure.Database.Sql.EscapeLike(q.Trim()) + "%",
        }, cancellationToken: ct));
        var rows = (await results.ReadAsync<ExpertRow>()).Select(r => r.ToResponse(user)).ToList();
        var total = await results.ReadSingleAsync<long>();
        await Audit.PersonalDataAudit.PhonesShownAsync(connection, user, "expert", null, rows.Select(r => (r.Id, r.Phone)), clock.GetUtcNow(), ct);
        return TypedResults.Ok(new PagedList<ExpertResponse>(rows, total, paging.Page, paging.PageSize));
    }

    private static Task<ExpertRow?> FindAsync(MySqlConnection connection, long id, CurrentUser user, CancellationToken ct) =>
        connection.QuerySingleOrDefaultAsync<ExpertRow>(new CommandDefinition(
            $"{SelectExpert} WHERE x.id = @id AND x.branch_id IN @BranchIds", new { id, user.BranchIds }, cancellationToken: ct))!;

    static async Task<IResult> CreateExpert(ExpertRequest request, CurrentUser user, MySqlDataSource db, TimeProvider clock, CancellationToken ct)
    {
        if (!BranchTarget.TryResolve(user, request.BranchId, out var branchId, out var problem))
        {
            return problem!;
        }
        await using var connection = await db.OpenConnectionAsync(ct);
        var id = await connection.ExecuteScalarAsync<long>(new CommandDefinition("""
            INSERT INTO experts (branch_id, name, specialty, organisation, phone, created_at, updated_at)
            VALUES (@branchId, @Name, @Specialty, @Organisation, @Phone, @now, @now);
            SELECT LAST_INSERT_ID();
            """, new
        {
            branchId, Name = request.Name.Trim(), Specialty = request.Specialty.Trim(), Organisation = request.Organisation?.Trim(), request.Phone,
            now = clock.GetUtcNow().UtcDateTime,
        }, cancellationToken: ct));
        return TypedResults.Created($"/api/experts/{id}", (await FindAsync(connection, id, user, ct))!.ToResponse(user));
    }

    static async Task<IResult> UpdateExpert(long id, ExpertRequest request, CurrentUser user, MySqlDataSource db, TimeProvider clock, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var existing = await FindAsync(connection, id, user, ct);
        if (existing is null)
        {
            return Problems.NotFound();
        }
        if (request.BranchId is { } moved && moved != existing.BranchId)
        {
            return Problems.Validation("branchId", "专家不能转到其他支部。");
        }
        await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE experts SET name = @Name, specialty = @Specialty, organisation = @Organisation, phone = @Phone, updated_at = @now WHERE id = @id
            """, new
        {
            id, Name = request.Name.Trim(), Specialty = request.Specialty.Trim(), Organisation = request.Organisation?.Trim(), request.Phone,
            now = clock.GetUtcNow().UtcDateTime,
        }, cancellationToken: ct));
        return TypedResults.Ok((await FindAsync(connection, id, user, ct))!.ToResponse(user));
    }
}
