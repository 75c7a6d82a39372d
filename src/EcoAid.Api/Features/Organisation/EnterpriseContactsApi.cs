using Dapper;
using EcoAid.Api.Features.Audit;
using EcoAid.Api.Infrastructure;
using EcoAid.Api.Infrastructure.Auth;
using EcoAid.Api.Infrastructure.Http;
using EcoAid.Api.Infrastructure.Validation;
using MySqlConnector;

namespace EcoAid.Api.Features.Organisation;

/// <summary>
/// An enterprise's named contacts (企业联系人): name, role or title, phone, one of them primary. Everyone who reaches the
/// enterprise lists them (phones masked, as everywhere, except for administrators); the enterprise's own staff and the
/// administrators of its branch keep them. The enterprise record's contactName/contactPhone are the primary contact's.
/// </summary>
public static class EnterpriseContactsApi
{
    public const int MaxContacts = 20;

    public static IEndpointRouteBuilder MapEnterpriseContacts(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/enterprises/{id:long}/contacts").WithTags("Organisation").AddEndpointFilter<ValidationFilter>();
        group.MapGet("/", ListContacts).Produces<List<ContactResponse>>(200).RequireAuthorization(Policies.EnterpriseReader).WithName(nameof(ListContacts))
            .WithSummary("企业联系人列表").WithDescription("主要联系人排在最前；手机号除管理员外均打码。");
        group.MapPost("/", AddContact).Produces<ContactResponse>(201).Answers(403, 409).RequireAuthorization(Policies.EnterpriseContactEditor).WithName(nameof(AddContact))
            .WithSummary("新增企业联系人").WithDescription("企业自己的联系人或支部管理员维护。企业的第一位联系人自动成为主要联系人；primary=true 时改为主要联系人。" +
                $"每家企业最多 {MaxContacts} 位。userId 可关联该企业已绑定的小程序用户（未设置姓名时即以联系人姓名称呼）。");
        group.MapPut("/{contactId:long}", UpdateContact).Produces<ContactResponse>(200).Answers(403, 409).RequireAuthorization(Policies.EnterpriseContactEditor).WithName(nameof(UpdateContact))
            .WithSummary("修改企业联系人").WithDescription("primary=true 改为主要联系人（原主要联系人随之取消）；主要联系人不能直接取消，请把另一位设为主要联系人。");
        group.MapDelete("/{contactId:long}", RemoveContact).Produces(204).Answers(403, 409).RequireAuthorization(Policies.EnterpriseContactEditor).WithName(nameof(RemoveContact))
            .WithSummary("删除企业联系人").WithDescription("还有其他联系人时，主要联系人不能删除，请先指定新的主要联系人。");
        return routes;
    }

    public sealed record ContactRequest(string Name, string? Title, string? Phone, bool? Primary, long? UserId) : IValidatable
    {
        public void Validate(ValidationErrors errors)
        {
            errors.Required("name", Name, 50);
            errors.MaxLength("title", Title, 50);
            errors.Phone("phone", Phone?.Trim());
        }
    }

    /// <summary>A contact; <paramref name="Phone"/> is masked except for administrators.</summary>
    public sealed record ContactResponse(long Id, long EnterpriseId, string Name, string? Title, string? Phone, bool Primary, long? UserId,
        DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

    private sealed class ContactRow
    {
        public long Id { get; init; }
        public long EnterpriseId { get; init; }
        public string Name { get; init; } = "";
        public string? Title { get; init; }
        public string? Phone { get; init; }
        public bool IsPrimary { get; init; }
        public long? UserId { get; init; }
        public DateTimeOffset CreatedAt { get; init; }
        public DateTimeOffset UpdatedAt { get; init; }

        public ContactResponse ToResponse(CurrentUser user) => new(Id, EnterpriseId, Name, Title,
            user.SeesFullPhoneNumbers ? Phone : PhoneNumbers.Mask(Phone), IsPrimary, UserId, CreatedAt, UpdatedAt);
    }

    private const string SelectContact = """
        SELECT id, enterprise_id, name, title, phone, is_primary, user_id, created_at, updated_at FROM enterprise_contacts
        """;

    /// <summary>The enterprise if the user reaches it (staff: only their own), with its branch.</summary>
    private static Task<(long Id, long BranchId)?> EnterpriseInReachAsync(MySqlConnection c, MySqlTransaction? tx, long enterpriseId, CurrentUser user,
        CancellationToken ct) =>
        c.QuerySingleOrDefaultAsync<(long Id, long BranchId)?>(new CommandDefinition("""
            SELECT id, branch_id FROM enterprises WHERE id = @enterpriseId AND branch_id IN @BranchIds AND (@only IS NULL OR id = @only)
            """, new { enterpriseId, user.BranchIds, only = user.IsOnlyStaff ? user.EnterpriseId ?? -1 : (long?)null }, tx, cancellationToken: ct));

    /// <summary>Administrators keep the contacts of every enterprise they reach; staff those of their own enterprise only.</summary>
    private static bool MayEdit(CurrentUser user, long enterpriseId) =>
        user.IsAnyOf(Roles.Admin, Roles.CityAdmin) || (user.IsInRole(Roles.Staff) && user.EnterpriseId == enterpriseId);

    private static IResult NotAllowed() => Problems.Create(StatusCodes.Status403Forbidden, "enterprise_contact.not_allowed", "无权操作",
        "只有该企业自己的联系人或支部管理员可以维护企业联系人。");

    static async Task<IResult> ListContacts([Microsoft.AspNetCore.Mvc.FromRoute(Name = "id")] long enterpriseId, CurrentUser user, MySqlDataSource db, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        if (await EnterpriseInReachAsync(connection, null, enterpriseId, user, ct) is null)
        {
            return Problems.NotFound();
        }
        var rows = await connection.QueryAsync<ContactRow>(new CommandDefinition(
            $"{SelectContact} WHERE enterprise_id = @enterpriseId ORDER BY is_primary DESC, id", new { enterpriseId }, cancellationToken: ct));
        return TypedResults.Ok(rows.Select(r => r.ToResponse(user)).ToList());
    }

    static async Task<IResult> AddContact([Microsoft.AspNetCore.Mvc.FromRoute(Name = "id")] long enterpriseId, ContactRequest request, CurrentUser user, MySqlDataSource db, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        if (await EnterpriseInReachAsync(connection, tx, enterpriseId, user, ct) is not { } enterprise)
        {
            return Problems.NotFound();
        }
        if (!MayEdit(user, enterpriseId))
        {
            return NotAllowed();
        }
        await LockEnterpriseAsync(connection, tx, enterpriseId, ct);
        var count = await connection.ExecuteScalarAsync<int>(new CommandDefinition(
            "SELECT COUNT(*) FROM enterprise_contacts WHERE enterprise_id = @enterpriseId", new { enterpriseId }, tx, cancellationToken: ct));
        if (count >= MaxContacts)
        {
            return Problems.Conflict("enterprise_contact.too_many", $"每家企业最多登记 {MaxContacts} 位联系人。");
        }
        if (await CheckUserAsync(connection, tx, request.UserId, enterpriseId, null, ct) is { } badUser)
        {
            return badUser;
        }
        var primary = count == 0 || request.Primary == true;
        if (primary)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE enterprise_contacts SET is_primary = FALSE, updated_at = @now WHERE enterprise_id = @enterpriseId AND is_primary",
                new { enterpriseId, now = now.UtcDateTime }, tx, cancellationToken: ct));
        }
        var id = await connection.ExecuteScalarAsync<long>(new CommandDefinition("""
            INSERT INTO enterprise_contacts (enterprise_id, name, title, phone, is_primary, user_id, created_at, updated_at)
            VALUES (@enterpriseId, @name, @title, @phone, @primary, @UserId, @now, @now);
            SELECT LAST_INSERT_ID();
            """, new
        {
            enterpriseId, name = request.Name.Trim(), title = Blank(request.Title), phone = Blank(request.Phone), primary, request.UserId,
            now = now.UtcDateTime,
        }, tx, cancellationToken: ct));
        await SyncEnterpriseAsync(connection, tx, enterpriseId, now, ct);
        await AuditTrail.RecordAsync(connection, tx, AuditEvent.By(user, AuditKinds.EnterpriseContactChanged, "enterprise", enterpriseId,
            new { action = "added", contactId = id, primary }) with { BranchId = enterprise.BranchId }, now, ct);
        await tx.CommitAsync(ct);
        var row = await connection.QuerySingleAsync<ContactRow>(new CommandDefinition($"{SelectContact} WHERE id = @id", new { id }, cancellationToken: ct));
        return TypedResults.Created($"/api/enterprises/{enterpriseId}/contacts/{id}", row.ToResponse(user));
    }

    static async Task<IResult> UpdateContact([Microsoft.AspNetCore.Mvc.FromRoute(Name = "id")] long enterpriseId, long contactId, ContactRequest request, CurrentUser user, MySqlDataSource db, TimeProvider clock,
        CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        if (await EnterpriseInReachAsync(connection, tx, enterpriseId, user, ct) is not { } enterprise
            || await FindForUpdateAsync(connection, tx, enterpriseId, contactId, ct) is not { } existing)
        {
            return Problems.NotFound();
        }
        if (!MayEdit(user, enterpriseId))
        {
            return NotAllowed();
        }
        if (existing.IsPrimary && request.Primary == false)
        {
            return Problems.Conflict("enterprise_contact.primary_required", "企业须有一位主要联系人：请把另一位联系人设为主要联系人，本联系人随之取消。");
        }
        if (await CheckUserAsync(connection, tx, request.UserId, enterpriseId, contactId, ct) is { } badUser)
        {
            return badUser;
        }
        var primary = existing.IsPrimary || request.Primary == true;
        if (primary && !existing.IsPrimary)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE enterprise_contacts SET is_primary = FALSE, updated_at = @now WHERE enterprise_id = @enterpriseId AND is_primary",
                new { enterpriseId, now = now.UtcDateTime }, tx, cancellationToken: ct));
        }
        await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE enterprise_contacts SET name = @name, title = @title, phone = @phone, is_primary = @primary, user_id = @UserId, updated_at = @now
            WHERE id = @contactId
            """, new
        {
            contactId, name = request.Name.Trim(), title = Blank(request.Title), phone = Blank(request.Phone), primary, request.UserId,
            now = now.UtcDateTime,
        }, tx, cancellationToken: ct));
        await SyncEnterpriseAsync(connection, tx, enterpriseId, now, ct);
        await AuditTrail.RecordAsync(connection, tx, AuditEvent.By(user, AuditKinds.EnterpriseContactChanged, "enterprise", enterpriseId,
            new { action = "changed", contactId, primary }) with { BranchId = enterprise.BranchId }, now, ct);
        await tx.CommitAsync(ct);
        var row = await connection.QuerySingleAsync<ContactRow>(new CommandDefinition($"{SelectContact} WHERE id = @contactId", new { contactId },
            cancellationToken: ct));
        return TypedResults.Ok(row.ToResponse(user));
    }

    static async Task<IResult> RemoveContact([Microsoft.AspNetCore.Mvc.FromRoute(Name = "id")] long enterpriseId, long contactId, CurrentUser user, MySqlDataSource db, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        if (await EnterpriseInReachAsync(connection, tx, enterpriseId, user, ct) is not { } enterprise
            || await FindForUpdateAsync(connection, tx, enterpriseId, contactId, ct) is not { } existing)
        {
            return Problems.NotFound();
        }
        if (!MayEdit(user, enterpriseId))
        {
            return NotAllowed();
        }
        var others = await connection.ExecuteScalarAsync<int>(new CommandDefinition(
            "SELECT COUNT(*) FROM enterprise_contacts WHERE enterprise_id = @enterpriseId AND id <> @contactId", new { enterpriseId, contactId }, tx,
            cancellationToken: ct));
        if (existing.IsPrimary && others > 0)
        {
            return Problems.Conflict("enterprise_contact.primary_required", "这是企业的主要联系人：请先把另一位联系人设为主要联系人，再删除。");
        }
        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM enterprise_contacts WHERE id = @contactId", new { contactId }, tx, cancellationToken: ct));
        await SyncEnterpriseAsync(connection, tx, enterpriseId, now, ct);
        await AuditTrail.RecordAsync(connection, tx, AuditEvent.By(user, AuditKinds.EnterpriseContactChanged, "enterprise", enterpriseId,
            new { action = "removed", contactId }) with { BranchId = enterprise.BranchId }, now, ct);
        await tx.CommitAsync(ct);
        return TypedResults.NoContent();
    }

    /// <summary>Locks the enterprise's row: concurrent changes to its contacts (and to which one is primary) take turns.</summary>
    private static Task LockEnterpriseAsync(MySqlConnection c, MySqlTransaction tx, long enterpriseId, CancellationToken ct) =>
        c.ExecuteScalarAsync<long?>(new CommandDefinition("SELECT id FROM enterprises WHERE id = @enterpriseId FOR UPDATE", new { enterpriseId }, tx,
            cancellationToken: ct));

    private static async Task<ContactRow?> FindForUpdateAsync(MySqlConnection c, MySqlTransaction tx, long enterpriseId, long contactId, CancellationToken ct)
    {
        await LockEnterpriseAsync(c, tx, enterpriseId, ct);
        return await c.QuerySingleOrDefaultAsync<ContactRow>(new CommandDefinition($"{SelectContact} WHERE id = @contactId AND enterprise_id = @enterpriseId",
            new { enterpriseId, contactId }, tx, cancellationToken: ct));
    }

    /// <summary>
    /// The enterprise record's contactName/contactPhone, when given, are the primary contact's: they change it (or create
    /// it when the enterprise has none yet).
    /// </summary>
    internal static async Task SetPrimaryFromEnterpriseAsync(MySqlConnection c, long enterpriseId, string? name, string? phone, DateTimeOffset now,
        CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            return;
        }
        await using var tx = await c.BeginTransactionAsync(ct);
        await LockEnterpriseAsync(c, tx, enterpriseId, ct);
        var p = new { enterpriseId, name = name.Trim(), phone = Blank(phone), now = now.UtcDateTime };
        if (await c.ExecuteAsync(new CommandDefinition("""
            UPDATE enterprise_contacts SET name = @name, phone = @phone, updated_at = @now WHERE enterprise_id = @enterpriseId AND is_primary
            """, p, tx, cancellationToken: ct)) == 0)
        {
            await c.ExecuteAsync(new CommandDefinition("""
                INSERT INTO enterprise_contacts (enterprise_id, name, phone, is_primary, created_at, updated_at) VALUES (@enterpriseId, @name, @phone, TRUE, @now, @now)
                """, p, tx, cancellationToken: ct));
        }
        await tx.CommitAsync(ct);
    }

    /// <summary>A contact may be tied to a mini-program user who is staff of that enterprise, and to no other contact.</summary>
    private static async Task<IResult?> CheckUserAsync(MySqlConnection c, MySqlTransaction tx, long? userId, long enterpriseId, long? contactId, CancellationToken ct)
    {
        if (userId is null)
        {
            return null;
        }
        var staff = await c.ExecuteScalarAsync<bool>(new CommandDefinition("""
            SELECT EXISTS (SELECT 1 FROM users u JOIN user_roles r ON r.user_id = u.id AND r.role = 'staff' WHERE u.id = @userId AND u.enterprise_id = @enterpriseId)
            """, new { userId, enterpriseId }, tx, cancellationToken: ct));
        if (!staff)
        {
            return Problems.Validation("userId", "该用户不是本企业已绑定的联系人。");
        }
        var taken = await c.ExecuteScalarAsync<bool>(new CommandDefinition("""
            SELECT EXISTS (SELECT 1 FROM enterprise_contacts WHERE user_id = @userId AND (@contactId IS NULL OR id <> @contactId))
            """, new { userId, contactId }, tx, cancellationToken: ct));
        return taken ? Problems.Validation("userId", "该用户已关联到另一位联系人。") : null;
    }

    /// <summary>The enterprise record's contactName/contactPhone follow the primary contact (empty when there is none).</summary>
    internal static Task SyncEnterpriseAsync(MySqlConnection c, MySqlTransaction tx, long enterpriseId, DateTimeOffset now, CancellationToken ct) =>
        c.ExecuteAsync(new CommandDefinition("""
            UPDATE enterprises e LEFT JOIN enterprise_contacts p ON p.enterprise_id = e.id AND p.is_primary
            SET e.contact_name = p.name, e.contact_phone = p.phone, e.updated_at = @now
            WHERE e.id = @enterpriseId
            """, new { enterpriseId, now = now.UtcDateTime }, tx, cancellationToken: ct));

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
