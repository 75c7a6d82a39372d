using Dapper;
using EcoAid.Api.Infrastructure;
using EcoAid.Api.Infrastructure.Auth;
using EcoAid.Api.Infrastructure.Http;
using EcoAid.Api.Infrastructure.Validation;
using Microsoft.AspNetCore.Http.HttpResults;
using MySqlConnector;

namespace EcoAid.Api.Features.Organisation;

/// <summary>Bureau departments (科室) a demand can be transferred to.</summary>
public static class DepartmentsApi
{
    public static IEndpointRouteBuilder MapDepartments(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/departments").WithTags("Organisation").AddEndpointFilter<ValidationFilter>();
        group.MapGet("/", ListDepartments).RequireAuthorization(Policies.BranchReader).WithName(nameof(ListDepartments)).WithSummary("科室列表");
        group.MapGet("/{id:long}", GetDepartment).RequireAuthorization(Policies.BranchReader).WithName(nameof(GetDepartment)).WithSummary("科室详情");
        group.MapPost("/", CreateDepartment).Produces<DepartmentResponse>(201).Answers(409).WithIdempotency().RequireAuthorization(Policies.OrgAdmin).WithName(nameof(CreateDepartment)).WithSummary("新增科室");
        group.MapPut("/{id:long}", UpdateDepartment).Produces<DepartmentResponse>(200).Answers(409).RequireAuthorization(Policies.OrgAdmin).WithName(nameof(UpdateDepartment)).WithSummary("修改科室");
        return routes;
    }

    public sealed record DepartmentRequest(string Name, string? Description, long? BranchId) : IValidatable
    {
        public void Validate(ValidationErrors errors)
        {
            errors.Required("name", Name, 100);
            errors.MaxLength("description", Description, 500);
        }
    }

    public sealed record DepartmentResponse(long Id, long BranchId, string Name, string? Description, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

    private const string SelectDepartment = "SELECT id, branch_id, name, description, created_at, updated_at FROM departments";

    static async Task<Results<Ok<PagedList<DepartmentResponse>>, ValidationProblem>> ListDepartments(
        CurrentUser user, MySqlDataSource db, int? page, int? pageSize, CancellationToken ct)
    {
        if (!Paging.TryCreate(page, pageSize, out var paging, out var errors))
        {
            return Problems.Validation(errors);
        }
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var results = await connection.QueryMultipleAsync(new CommandDefinition($"""
            {SelectDepartment} WHERE branch_id IN @BranchIds ORDER BY id LIMIT @PageSize OFFSET @Offset;
            SELECT COUNT(*) FROM departments WHERE branch_id IN @BranchIds;
            """, new { user.BranchIds, paging.PageSize, paging.Offset }, cancellationToken: ct));
        var rows = (await results.ReadAsync<DepartmentResponse>()).ToList();
        return TypedResults.Ok(new PagedList<DepartmentResponse>(rows, await results.ReadSingleAsync<long>(), paging.Page, paging.PageSize));
    }

    static async Task<Results<Ok<DepartmentResponse>, ProblemHttpResult>> GetDepartment(long id, CurrentUser user, MySqlDataSource db, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var row = await FindAsync(connection, id, user, ct);
        return row is null ? Problems.NotFound() : TypedResults.Ok(row);
    }

    private static Task<DepartmentResponse?> FindAsync(MySqlConnection connection, long id, CurrentUser user, CancellationToken ct) =>
        connection.QuerySingleOrDefaultAsync<DepartmentResponse>(new CommandDefinition(
            $"{SelectDepartment} WHERE id = @id AND branch_id IN @BranchIds", new { id, user.BranchIds }, cancellationToken: ct))!;

    static async Task<IResult> CreateDepartment(DepartmentRequest request, CurrentUser user, MySqlDataSource db, TimeProvider clock, CancellationToken ct)
    {
        if (!BranchTarget.TryResolve(user, request.BranchId, out var branchId, out var problem))
        {
            return problem!;
        }
        await using var connection = await db.OpenConnectionAsync(ct);
        try
        {
            var id = await connection.ExecuteScalarAsync<long>(new CommandDefinition("""
                INSERT INTO departments (branch_id, name, description, created_at, updated_at) VALUES (@branchId, @Name, @Description, @now, @now);
                SELECT LAST_INSERT_ID();
                """, new { branchId, Name = request.Name.Trim(), request.Description, now = clock.GetUtcNow().UtcDateTime }, cancellationToken: ct));
            return TypedResults.Created($"/api/departments/{id}", await FindAsync(connection, id, user, ct));
        }
        catch (MySqlException e) when (MySqlErrors.IsDuplicateKey(e))
        {
            return Problems.Conflict("department.duplicate_name", "本支部已有同名科室。");
        }
    }

    static async Task<IResult> UpdateDepartment(long id, DepartmentRequest request, CurrentUser user, MySqlDataSource db, TimeProvider clock, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var existing = await FindAsync(connection, id, user, ct);
        if (existing is null)
        {
            return Problems.NotFound();
        }
        if (request.BranchId is { } moved && moved != existing.BranchId)
        {
            return Problems.Validation("branchId", "科室不能转到其他支部。");
        }
        try
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE departments SET name = @Name, description = @Description, updated_at = @now WHERE id = @id",
                new { id, Name = request.Name.Trim(), request.Description, now = clock.GetUtcNow().UtcDateTime }, cancellationToken: ct));
            return TypedResults.Ok(await FindAsync(connection, id, user, ct));
        }
        catch (MySqlException e) when (MySqlErrors.IsDuplicateKey(e))
        {
            return Problems.Conflict("department.duplicate_name", "本支部已有同名科室。");
        }
    }
}
