using Dapper;
using EcoAid.Api.Infrastructure;
using EcoAid.Api.Infrastructure.Auth;
using EcoAid.Api.Infrastructure.Http;
using EcoAid.Api.Infrastructure.Validation;
using Microsoft.AspNetCore.Http.HttpResults;
using MySqlConnector;

namespace EcoAid.Api.Features.Organisation;

/// <summary>Party branches, the tenants. City users see and (admins) manage the branches of their city.</summary>
public static class BranchesApi
{
    public static IEndpointRouteBuilder MapBranches(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/branches").WithTags("Organisation").AddEndpointFilter<ValidationFilter>();
        group.MapGet("/", ListBranches).RequireAuthorization(Policies.CityReader).WithName(nameof(ListBranches)).WithSummary("支部列表（市局）");
        group.MapGet("/{id:long}", GetBranch).RequireAuthorization(Policies.BranchReader).WithName(nameof(GetBranch)).WithSummary("支部详情");
        group.MapPost("/", CreateBranch).Produces<BranchResponse>(201).Answers(409).WithIdempotency().RequireAuthorization(Policies.CityAdmin).WithName(nameof(CreateBranch)).WithSummary("新增支部");
        group.MapPut("/{id:long}", UpdateBranch).Produces<BranchResponse>(200).Answers(409).RequireAuthorization(Policies.CityAdmin).WithName(nameof(UpdateBranch)).WithSummary("修改支部");
        return routes;
    }

    public sealed record BranchRequest(string Name) : IValidatable
    {
        public void Validate(ValidationErrors errors) => errors.Required("name", Name, 100);
    }

    public sealed record BranchResponse(long Id, long CityId, string CityName, string Name, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

    private const string SelectBranch = """
        SELECT b.id, b.city_id, c.name AS city_name, b.name, b.created_at, b.updated_at
        FROM party_branches b JOIN cities c ON c.id = b.city_id
        """;

    static async Task<Results<Ok<PagedList<BranchResponse>>, ValidationProblem>> ListBranches(
        CurrentUser user, MySqlDataSource db, int? page, int? pageSize, CancellationToken ct)
    {
        if (!Paging.TryCreate(page, pageSize, out var paging, out var errors))
        {
            return Problems.Validation(errors);
        }
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var results = await connection.QueryMultipleAsync(new CommandDefinition($"""
            {SelectBranch} WHERE b.id IN @BranchIds ORDER BY b.id LIMIT @PageSize OFFSET @Offset;
            SELECT COUNT(*) FROM party_branches b WHERE b.id IN @BranchIds;
            """, new { user.BranchIds, paging.PageSize, paging.Offset }, cancellationToken: ct));
        var rows = (await results.ReadAsync<BranchResponse>()).ToList();
        return TypedResults.Ok(new PagedList<BranchResponse>(rows, await results.ReadSingleAsync<long>(), paging.Page, paging.PageSize));
    }

    static async Task<Results<Ok<BranchResponse>, ProblemHttpResult>> GetBranch(long id, CurrentUser user, MySqlDataSource db, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var row = await FindAsync(connection, id, user, ct);
        return row is null ? Problems.NotFound() : TypedResults.Ok(row);
    }

    private static Task<BranchResponse?> FindAsync(MySqlConnection connection, long id, CurrentUser user, CancellationToken ct) =>
        connection.QuerySingleOrDefaultAsync<BranchResponse>(new CommandDefinition(
            $"{SelectBranch} WHERE b.id = @id AND (b.id IN @BranchIds OR b.city_id = @CityLevelCityId)",
            new { id, user.BranchIds, CityLevelCityId = user.IsInRole(Roles.CityAdmin) ? user.CityId : null }, cancellationToken: ct))!;

    static async Task<IResult> CreateBranch(BranchRequest request, CurrentUser user, MySqlDataSource db, TimeProvider clock, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        try
        {
            var id = await connection.ExecuteScalarAsync<long>(new CommandDefinition("""
                INSERT INTO party_branches (city_id, name, created_at, updated_at) VALUES (@CityId, @Name, @now, @now);
                SELECT LAST_INSERT_ID();
                """, new { user.CityId, Name = request.Name.Trim(), now = clock.GetUtcNow().UtcDateTime }, cancellationToken: ct));
            return TypedResults.Created($"/api/branches/{id}", await FindAsync(connection, id, user, ct));
        }
        catch (MySqlException e) when (MySqlErrors.IsDuplicateKey(e))
        {
            return Problems.Conflict("branch.duplicate_name", "本市已有同名支部。");
        }
    }

    static async Task<IResult> UpdateBranch(long id, BranchRequest request, CurrentUser user, MySqlDataSource db, TimeProvider clock, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        if (await FindAsync(connection, id, user, ct) is null)
        {
            return Problems.NotFound();
        }
        try
        {
            await connection.ExecuteAsync(new CommandDefinition("UPDATE party_branches SET name = @Name, updated_at = @now WHERE id = @id",
                new { id, Name = request.Name.Trim(), now = clock.GetUtcNow().UtcDateTime }, cancellationToken: ct));
            return TypedResults.Ok(await FindAsync(connection, id, user, ct));
        }
        catch (MySqlException e) when (MySqlErrors.IsDuplicateKey(e))
        {
            return Problems.Conflict("branch.duplicate_name", "本市已有同名支部。");
        }
    }
}
