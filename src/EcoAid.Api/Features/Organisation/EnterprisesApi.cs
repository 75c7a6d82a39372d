using Dapper;
using EcoAid.Api.Infrastructure;
using EcoAid.Api.Infrastructure.Auth;
using EcoAid.Api.Infrastructure.Http;
using EcoAid.Api.Infrastructure.Validation;
using Microsoft.AspNetCore.Http.HttpResults;
using MySqlConnector;

namespace EcoAid.Api.Features.Organisation;

/// <summary>
/// The assisted enterprises (帮促企业) of a branch, each with one liaison member (包挂). contactName/contactPhone are the
/// primary one of its named contacts (<see cref="EnterpriseContactsApi"/>).
/// </summary>
public static class EnterprisesApi
{
    public static IEndpointRouteBuilder MapEnterprises(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/enterprises").WithTags("Organisation").AddEndpointFilter<ValidationFilter>();
        group.MapGet("/", ListEnterprises).RequireAuthorization(Policies.EnterpriseReader).WithName(nameof(ListEnterprises))
            .WithSummary("企业列表").WithDescription("支部用户看本支部的企业，市局用户看全市，企业联系人只看到自己的企业。q 按名称或信用代码筛选。");
        group.MapGet("/{id:long}", GetEnterprise).RequireAuthorization(Policies.EnterpriseReader).WithName(nameof(GetEnterprise)).WithSummary("企业详情");
        group.MapPost("/", CreateEnterprise).Produces<EnterpriseResponse>(201).Answers(409).WithIdempotency().RequireAuthorization(Policies.OrgAdmin).WithName(nameof(CreateEnterprise)).WithSummary("新增企业");
        group.MapPut("/{id:long}", UpdateEnterprise).Produces<EnterpriseResponse>(200).Answers(409).RequireAuthorization(Policies.OrgAdmin).WithName(nameof(UpdateEnterprise)).WithSummary("修改企业");
        return routes;
    }

    public sealed record EnterpriseRequest(string Name, string CreditCode, string? Address, string? Industry, string? ContactName,
        string? ContactPhone, long? LiaisonMemberId, long? BranchId) : IValidatable
    {
        /// <summary>The code as stored: normalized (full-width, case, spaces and dashes do not matter).</summary>
        [System.Text.Json.Serialization.JsonIgnore]
        public string NormalizedCreditCode => Uscc.Normalize(CreditCode ?? "");

        public void Validate(ValidationErrors errors)
        {
            errors.Required("name", Name, 100);
            if (string.IsNullOrWhiteSpace(CreditCode))
            {
                errors.Add("creditCode", "不能为空。");
            }
            else if (Uscc.Check(NormalizedCreditCode) is { } problem)
            {
                errors.Add("creditCode", problem);
            }
            errors.MaxLength("address", Address, 200);
            errors.MaxLength("industry", Industry, 100);
            errors.MaxLength("contactName", ContactName, 50);
            errors.Phone("contactPhone", ContactPhone);
        }
    }

    public sealed record EnterpriseResponse(long Id, long BranchId, string Name, string CreditCode, string? Address, string? Industry,
        string? ContactName, string? ContactPhone, long? LiaisonMemberId, string? LiaisonMemberName, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

    private sealed class EnterpriseRow
    {
        public long Id { get; init; }
        public long BranchId { get; init; }
        public string Name { get; init; } = "";
        public string CreditCode { get; init; } = "";
        public string? Address { get; init; }
        public string? Industry { get; init; }
        public string? ContactName { get; init; }
        public string? ContactPhone { get; init; }
        public long? LiaisonMemberId { get; init; }
        public string? LiaisonMemberName { get; init; }
        public DateTimeOffset CreatedAt { get; init; }
        public DateTimeOffset UpdatedAt { get; init; }

        public EnterpriseResponse ToResponse(CurrentUser user) => new(Id, BranchId, Name, CreditCode, Address, Industry, ContactName,
            user.SeesFullPhoneNumbers ? ContactPhone : PhoneNumbers.Mask(ContactPhone), LiaisonMemberId, LiaisonMemberName, CreatedAt, UpdatedAt);
    }

    private const string SelectEnterprise = """
        SELECT e.id, e.branch_id, e.name, e.credit_code, e.address, e.industry, e.contact_name, e.contact_phone,
               e.liaison_member_id, m.name AS liaison_member_name, e.created_at, e.updated_at
        FROM enterprises e LEFT JOIN members m ON m.id = e.liaison_member_id
        """;

    // Staff reach only their own enterprise; everyone else the enterprises of the branches they reach.
    private const string ReachFilter = "e.branch_id IN @BranchIds AND (@OnlyEnterpriseId IS NULL OR e.id = @OnlyEnterpriseId)";

    private static object Reach(CurrentUser user) => new { user.BranchIds, OnlyEnterpriseId = user.IsOnlyStaff ? user.EnterpriseId ?? -1 : (long?)null };

    static async Task<Results<Ok<PagedList<EnterpriseResponse>>, ValidationProblem>> ListEnterprises(
        CurrentUser user, MySqlDataSource db, TimeProvider clock, int? page, int? pageSize, string? q, CancellationToken ct)
    {
        if (!Paging.TryCreate(page, pageSize, out var paging, out var errors))
        {
            return Problems.Validation(errors);
        }
        var parameters = new DynamicParameters(Reach(user));
        parameters.AddDynamicParams(new { paging.PageSize, paging.Offset, Q = string.IsNullOrWhiteSpace(q) ? null : $"%{Infrastructure.Database.Sql.EscapeLike(q.Trim())}%" });
        var sql = $"""
            {SelectEnterprise} WHERE {ReachFilter} AND (@Q IS NULL OR e.name LIKE @Q OR e.credit_code LIKE @Q)
            ORDER BY e.id LIMIT @PageSize OFFSET @Offset;
            SELECT COUNT(*) FROM enterprises e WHERE {ReachFilter} AND (@Q IS NULL OR e.name LIKE @Q OR e.credit_code LIKE @Q);
            """;
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var results = await connection.QueryMultipleAsync(new CommandDefinition(sql, parameters, cancellationToken: ct));
        var rows = (await results.ReadAsync<EnterpriseRow>()).Select(r => r.ToResponse(user)).ToList();
        var total = await results.ReadSingleAsync<long>();
        await Audit.PersonalDataAudit.PhonesShownAsync(connection, user, "enterprise", null, rows.Select(r => (r.Id, r.ContactPhone)), clock.GetUtcNow(), ct);
        return TypedResults.Ok(new PagedList<EnterpriseResponse>(rows, total, paging.Page, paging.PageSize));
    }

    static async Task<Results<Ok<EnterpriseResponse>, ProblemHttpResult>> GetEnterprise(long id, CurrentUser user, MySqlDataSource db, TimeProvider clock,
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
        // The contact person's name and phone are personal data.
        await Audit.PersonalDataAudit.RecordOpenedAsync(connection, user, "enterprise", id, ["contactName", "contactPhone"], own: false, now, ct);
        await Audit.PersonalDataAudit.PhonesShownAsync(connection, user, "enterprise", id, [(response.Id, response.ContactPhone)], now, ct);
        return TypedResults.Ok(response);
    }

    private static async Task<EnterpriseRow?> FindAsync(MySqlConnection connection, long id, CurrentUser user, CancellationToken ct)
    {
        var parameters = new DynamicParameters(Reach(user));
        parameters.Add("id", id);
        return await connection.QuerySingleOrDefaultAsync<EnterpriseRow>(new CommandDefinition(
            $"{SelectEnterprise} WHERE e.id = @id AND {ReachFilter}", parameters, cancellationToken: ct));
    }

    static async Task<IResult> CreateEnterprise(EnterpriseRequest request, CurrentUser user, MySqlDataSource db, TimeProvider clock, CancellationToken ct)
    {
        if (!BranchTarget.TryResolve(user, request.BranchId, out var branchId, out var problem))
        {
            return problem!;
        }
        await using var connection = await db.OpenConnectionAsync(ct);
        if (await CheckLiaisonAsync(connection, request.LiaisonMemberId, branchId, ct) is { } invalid)
        {
            return invalid;
        }
        const string insert = """
            INSERT INTO enterprises (branch_id, name, credit_code, address, industry, contact_name, contact_phone, liaison_member_id, created_at, updated_at)
            VALUES (@branchId, @Name, @CreditCode, @Address, @Industry, @ContactName, @ContactPhone, @LiaisonMemberId, @now, @now);
            SELECT LAST_INSERT_ID();
            """;
        try
        {
            var id = await connection.ExecuteScalarAsync<long>(new CommandDefinition(insert, new
            {
                branchId, Name = request.Name.Trim(), CreditCode = request.NormalizedCreditCode, request.Address, request.Industry,
                request.ContactName, request.ContactPhone, request.LiaisonMemberId, now = clock.GetUtcNow().UtcDateTime,
            }, cancellationToken: ct));
            await EnterpriseContactsApi.SetPrimaryFromEnterpriseAsync(connection, id, request.ContactName, request.ContactPhone, clock.GetUtcNow(), ct);
            return TypedResults.Created($"/api/enterprises/{id}", (await FindAsync(connection, id, user, ct))!.ToResponse(user));
        }
        catch (MySqlException e) when (MySqlErrors.IsDuplicateKey(e, "uq_enterprises_credit_code"))
        {
            return DuplicateCreditCode();
        }
    }

    static async Task<IResult> UpdateEnterprise(long id, EnterpriseRequest request, CurrentUser user, MySqlDataSource db, TimeProvider clock, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var existing = await FindAsync(connection, id, user, ct);
        if (existing is null)
        {
            return Problems.NotFound();
        }
        if (request.BranchId is { } moved && moved != existing.BranchId)
        {
            return Problems.Validation("branchId", "企业不能转到其他支部。");
        }
        if (await CheckLiaisonAsync(connection, request.LiaisonMemberId, existing.BranchId, ct) is { } invalid)
        {
            return invalid;
        }
        const string update = """
            UPDATE enterprises SET name = @Name, credit_code = @CreditCode, address = @Address, industry = @Industry,
                contact_name = @ContactName, contact_phone = @ContactPhone, liaison_member_id = @LiaisonMemberId, updated_at = @now
            WHERE id = @id
            """;
        try
        {
            await connection.ExecuteAsync(new CommandDefinition(update, new
            {
                id, Name = request.Name.Trim(), CreditCode = request.NormalizedCreditCode, request.Address, request.Industry,
                request.ContactName, request.ContactPhone, request.LiaisonMemberId, now = clock.GetUtcNow().UtcDateTime,
            }, cancellationToken: ct));
            await EnterpriseContactsApi.SetPrimaryFromEnterpriseAsync(connection, id, request.ContactName, request.ContactPhone, clock.GetUtcNow(), ct);
            return TypedResults.Ok((await FindAsync(connection, id, user, ct))!.ToResponse(user));
        }
        catch (MySqlException e) when (MySqlErrors.IsDuplicateKey(e, "uq_enterprises_credit_code"))
        {
            return DuplicateCreditCode();
        }
    }

    private static ProblemHttpResult DuplicateCreditCode() =>
        Problems.Conflict("enterprise.duplicate_credit_code", "已有企业使用此统一社会信用代码。");

    private static async Task<IResult?> CheckLiaisonAsync(MySqlConnection connection, long? memberId, long branchId, CancellationToken ct)
    {
        if (memberId is null)
        {
            return null;
        }
        var exists = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM members WHERE id = @memberId AND branch_id = @branchId)", new { memberId, branchId }, cancellationToken: ct));
        return exists ? null : Problems.Validation("liaisonMemberId", "包挂成员不存在或不属于本支部。");
    }
}
