using EcoAid.Api.Features.Organisation;
using Dapper;
using EcoAid.Api.Features.Notifications;
using EcoAid.Api.Infrastructure;
using EcoAid.Api.Infrastructure.Auth;
using EcoAid.Api.Infrastructure.Http;
using EcoAid.Api.Infrastructure.Validation;
using Microsoft.Extensions.Options;
using MySqlConnector;
using JsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;

namespace EcoAid.Api.Features.PolicyLibrary;

public static class MaterialPolicies
{
    /// <summary>Who sends material lists: commissioners to any enterprise of their branch, members to those in their reach.</summary>
    public const string Sender = "material-sender";
    /// <summary>Who follows what was sent to an enterprise and who read it.</summary>
    public const string Tracker = "material-tracker";
    /// <summary>Enterprise staff, who receive lists.</summary>
    public const string Recipient = "material-recipient";

    public static IServiceCollection AddMaterialPolicies(this IServiceCollection services)
    {
        services.AddAuthorizationBuilder()
            .AddPolicy(Sender, p => p.RequireRole(Roles.Member, Roles.Commissioner))
            .AddPolicy(Tracker, p => p.RequireRole(Roles.Member, Roles.Commissioner, Roles.Secretary))
            .AddPolicy(Recipient, p => p.RequireRole(Roles.Staff));
        return services;
    }
}

/// <summary>
/// 送政策 / 资料清单: a list of published documents with a note, sent to an enterprise. Its staff see it and mark it
/// read; the sender sees who read what and when. Sending queues a "material received" notification to the staff.
/// </summary>
public static class MaterialsApi
{
    public const int MaxDocuments = 50;

    public static IEndpointRouteBuilder MapMaterials(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/api/enterprises/{id:long}/materials", SendMaterials).Produces<SentMaterialList>(201).Answers(409, 422).WithTags("Materials").RequireAuthorization(MaterialPolicies.Sender)
            .AddEndpointFilter<ValidationFilter>().WithName(nameof(SendMaterials)).WithSummary("向企业发送资料清单（送政策）")
            .WithDescription("服务专员可发给本支部任一企业；党员只能发给自己包挂的企业或自己负责诉求的企业（否则 404）。policyIds 须为已发布的文件（1 到 50 个），note 最多 500 字。"
                + "发送后企业联系人收到“资料送达”通知。支持 Idempotency-Key。");
        routes.MapGet("/api/enterprises/{id:long}/materials", ListSentMaterials).Produces<List<SentMaterialList>>(200).WithTags("Materials").RequireAuthorization(MaterialPolicies.Tracker)
            .WithName(nameof(ListSentMaterials)).WithSummary("发给企业的资料清单及阅读情况")
            .WithDescription("每份清单列出文件、附言、发送人，以及企业联系人中谁在何时阅读。范围同发送；支部书记可看本支部全部企业。");
        var staff = routes.MapGroup("/api/materials").WithTags("Materials").RequireAuthorization(MaterialPolicies.Recipient);
        staff.MapGet("/", ListMyMaterials).Produces<PagedList<MyMaterialList>>(200).WithName(nameof(ListMyMaterials)).WithSummary("我的企业收到的资料清单")
            .WithDescription("新的在前；readAt 为我第一次标记已读的时间。文件已撤回时 available 为 false。");
        staff.MapGet("/{id:long}", GetMyMaterial).Produces<MyMaterialList>(200).WithName(nameof(GetMyMaterial)).WithSummary("资料清单详情").WithDescription("不是发给我的企业的清单返回 404。");
        staff.MapPost("/{id:long}/read", MarkMaterialRead).Produces<ReadReceipt>(200).WithName(nameof(MarkMaterialRead)).WithSummary("标记已读")
            .WithDescription("记录我的阅读回执（只记第一次的时间，重复调用不改变）。");
        return routes;
    }

    public sealed record SendMaterialsRequest(IReadOnlyList<long> PolicyIds, string? Note) : IValidatable
    {
        public void Validate(ValidationErrors errors)
        {
            if (PolicyIds is null || PolicyIds.Count == 0)
            {
                errors.Add("policyIds", "请至少选择一个文件。");
            }
            else if (PolicyIds.Count > MaxDocuments)
            {
                errors.Add("policyIds", $"一份清单最多 {MaxDocuments} 个文件。");
            }
            else if (PolicyIds.Distinct().Count() != PolicyIds.Count)
            {
                errors.Add("policyIds", "文件不能重复。");
            }
            errors.MaxLength("note", Note, 500);
        }
    }

    public sealed record MaterialDocument(long PolicyId, string Title, string Category, string CategoryName, bool Available);
    public sealed record MaterialRead(long UserId, string DisplayName, DateTimeOffset ReadAt);
    public sealed record SentMaterialList(long Id, long EnterpriseId, string EnterpriseName, string? Note, long SentBy, string SenderName, DateTimeOffset SentAt,
        IReadOnlyList<MaterialDocument> Documents, IReadOnlyList<MaterialRead> Reads);
    public sealed record MyMaterialList(long Id, string? Note, string SenderName, DateTimeOffset SentAt, IReadOnlyList<MaterialDocument> Documents, DateTimeOffset? ReadAt);
    public sealed record ReadReceipt(long Id, DateTimeOffset ReadAt);

    private sealed record EnterpriseInReach(long Id, long BranchId, string Name);

    /// <summary>
    /// The enterprise if the user may send to (or track) it: commissioners (and, for tracking, secretaries) reach every
    /// enterprise of their branch; a member the enterprises they are liaison for, or whose demands they own.
    /// </summary>
    private static async Task<EnterpriseInReach?> EnterpriseAsync(MySqlConnection connection, MySqlTransaction? tx, long id, CurrentUser user, bool tracking, CancellationToken ct)
    {
        var wholeBranch = user.IsInRole(Roles.Commissioner) || tracking && user.IsInRole(Roles.Secretary);
        return await connection.QuerySingleOrDefaultAsync<EnterpriseInReach>(new CommandDefinition("""
            SELECT e.id, e.branch_id, e.name FROM enterprises e
            WHERE e.id = @id AND e.branch_id IN @BranchIds
              AND (@wholeBranch OR e.liaison_member_id = @memberId
                   OR EXISTS (SELECT 1 FROM demands d WHERE d.enterprise_id = e.id AND d.owner_member_id = @memberId))
            """, new { id, user.BranchIds, wholeBranch, memberId = user.MemberId ?? -1 }, tx, cancellationToken: ct));
    }

    static async Task<IResult> SendMaterials(long id, SendMaterialsRequest request, HttpRequest http, CurrentUser user, MySqlDataSource db, TimeProvider clock,
        IOptions<JsonOptions> json, CancellationToken ct)
    {
        if (Idempotency.ValidateHeader(http, out var key) is { } badKey)
        {
            return badKey;
        }
        var now = clock.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(ct);
        var enterprise = await EnterpriseAsync(connection, null, id, user, tracking: false, ct);
        if (enterprise is null)
        {
            return Problems.NotFound("指定的企业不存在或不在您的范围内。");
        }
        var published = (await connection.QueryAsync<(long Id, string Title)>(new CommandDefinition(
            "SELECT id, title FROM policies WHERE id IN @PolicyIds AND status = 'published'", new { request.PolicyIds }, cancellationToken: ct))).ToList();
        if (published.Count != request.PolicyIds.Count)
        {
            var missing = request.PolicyIds.Except(published.Select(p => p.Id));
            return Problems.Validation("policyIds", $"以下文件不存在或未发布：{string.Join("、", missing)}。");
        }

        await using var tx = await connection.BeginTransactionAsync(ct);
        var claim = await Idempotency.ClaimAsync(connection, tx, user.Id, key, Idempotency.HashOf(new { id, request }), now, ct);
        if (!claim.Proceed)
        {
            return claim.Answer!;
        }
        var note = string.IsNullOrWhiteSpace(request.Note) ? null : request.Note.Trim();
        var listId = await connection.ExecuteScalarAsync<long>(new CommandDefinition("""
            INSERT INTO material_lists (branch_id, enterprise_id, note, sent_by, sent_at) VALUES (@BranchId, @Id, @note, @userId, @now);
            SELECT LAST_INSERT_ID();
            """, new { enterprise.BranchId, enterprise.Id, note, userId = user.Id, now = now.UtcDateTime }, tx, cancellationToken: ct));
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO material_list_items (list_id, policy_id, position) VALUES (@listId, @policyId, @position)",
            request.PolicyIds.Select((policyId, i) => new { listId, policyId, position = i + 1 }), tx, cancellationToken: ct));
        var senderName = await SenderNameAsync(connection, tx, user, ct);
        await Outbox.EnqueueAsync(connection, tx, NotificationKinds.MaterialReceived, await Outbox.EnterpriseStaffAsync(connection, tx, enterprise.Id, ct), null,
            new
            {
                // Keys as NotificationCatalog names them for material_received (templates lay them out).
                materialId = listId, enterpriseId = enterprise.Id, enterpriseName = enterprise.Name, senderName, count = request.PolicyIds.Count,
                title = published.First(p => p.Id == request.PolicyIds[0]).Title, titles = TitlesText(request.PolicyIds, published), note, sentAt = now,
            }, now, ct);
        var sent = (await SentListsAsync(connection, tx, enterprise, listId, ct)).Single();
        var location = $"/api/enterprises/{enterprise.Id}/materials";
        await Idempotency.CompleteAsync(connection, tx, user.Id, key, StatusCodes.Status201Created, sent, location, json.Value.SerializerOptions, ct);
        await tx.CommitAsync(ct);
        return TypedResults.Created(location, sent);
    }

    static async Task<IResult> ListSentMaterials(long id, CurrentUser user, MySqlDataSource db, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var enterprise = await EnterpriseAsync(connection, null, id, user, tracking: true, ct);
        if (enterprise is null)
        {
            return Problems.NotFound("指定的企业不存在或不在您的范围内。");
        }
        return TypedResults.Ok(await SentListsAsync(connection, null, enterprise, null, ct));
    }

    static async Task<IResult> ListMyMaterials(CurrentUser user, MySqlDataSource db, int? page, int? pageSize, CancellationToken ct)
    {
        if (!Paging.TryCreate(page, pageSize, out var paging, out var errors))
        {
            return Problems.Validation(errors);
        }
        await using var connection = await db.OpenConnectionAsync(ct);
        var args = new { enterpriseId = user.EnterpriseId ?? -1, user.BranchIds, userId = user.Id, paging.PageSize, paging.Offset };
        await using var results = await connection.QueryMultipleAsync(new CommandDefinition($"""
            {SelectMine} WHERE l.enterprise_id = @enterpriseId AND l.branch_id IN @BranchIds ORDER BY l.sent_at DESC, l.id DESC LIMIT @PageSize OFFSET @Offset;
            SELECT COUNT(*) FROM material_lists l WHERE l.enterprise_id = @enterpriseId AND l.branch_id IN @BranchIds;
            """, args, cancellationToken: ct));
        var rows = (await results.ReadAsync<MineRow>()).ToList();
        var total = await results.ReadSingleAsync<long>();
        var documents = await DocumentsAsync(connection, null, rows.Select(r => r.Id).ToList(), ct);
        var items = rows.Select(r => new MyMaterialList(r.Id, r.Note, r.SenderName, r.SentAt, documents.GetValueOrDefault(r.Id, []), r.ReadAt)).ToList();
        return TypedResults.Ok(new PagedList<MyMaterialList>(items, total, paging.Page, paging.PageSize));
    }

    static async Task<IResult> GetMyMaterial(long id, CurrentUser user, MySqlDataSource db, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var row = await MineAsync(connection, null, id, user, ct);
        if (row is null)
        {
            return Problems.NotFound();
        }
        var documents = await DocumentsAsync(connection, null, [row.Id], ct);
        return TypedResults.Ok(new MyMaterialList(row.Id, row.Note, row.SenderName, row.SentAt, documents.GetValueOrDefault(row.Id, []), row.ReadAt));
    }

    static async Task<IResult> MarkMaterialRead(long id, CurrentUser user, MySqlDataSource db, TimeProvider clock, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        if (await MineAsync(connection, null, id, user, ct) is null)
        {
            return Problems.NotFound();
        }
        // The first read counts; a repeated call (a retry, a second visit) keeps it.
        var readAt = await connection.ExecuteScalarAsync<DateTime>(new CommandDefinition("""
            INSERT INTO material_reads (list_id, user_id, read_at) VALUES (@id, @userId, @now) ON DUPLICATE KEY UPDATE read_at = read_at;
            SELECT read_at FROM material_reads WHERE list_id = @id AND user_id = @userId;
            """, new { id, userId = user.Id, now = clock.GetUtcNow().UtcDateTime }, cancellationToken: ct));
        return TypedResults.Ok(new ReadReceipt(id, new DateTimeOffset(DateTime.SpecifyKind(readAt, DateTimeKind.Utc))));
    }

    private const string SelectMine = $"""
        SELECT l.id, l.note, {PersonNames.Name} AS sender_name, l.sent_at, r.read_at
        FROM material_lists l
        JOIN users u ON u.id = l.sent_by
        LEFT JOIN material_reads r ON r.list_id = l.id AND r.user_id = @userId
        """;

    private sealed class MineRow
    {
        public long Id { get; init; }
        public string? Note { get; init; }
        public string SenderName { get; init; } = "";
        public DateTimeOffset SentAt { get; init; }
        public DateTimeOffset? ReadAt { get; init; }
    }

    /// <summary>A list sent to the staff user's own enterprise; anything else does not exist for them.</summary>
    private static async Task<MineRow?> MineAsync(MySqlConnection connection, MySqlTransaction? tx, long id, CurrentUser user, CancellationToken ct) =>
        await connection.QuerySingleOrDefaultAsync<MineRow>(new CommandDefinition(
            $"{SelectMine} WHERE l.id = @id AND l.enterprise_id = @enterpriseId AND l.branch_id IN @BranchIds",
            new { id, enterpriseId = user.EnterpriseId ?? -1, user.BranchIds, userId = user.Id }, tx, cancellationToken: ct));

    private static async Task<Dictionary<long, List<MaterialDocument>>> DocumentsAsync(MySqlConnection connection, MySqlTransaction? tx, IReadOnlyList<long> listIds,
        CancellationToken ct)
    {
        if (listIds.Count == 0)
        {
            return [];
        }
        var rows = await connection.QueryAsync<(long ListId, long PolicyId, string Title, string Category, string Status)>(new CommandDefinition("""
            SELECT i.list_id, p.id, p.title, p.category, p.status FROM material_list_items i JOIN policies p ON p.id = i.policy_id
            WHERE i.list_id IN @listIds ORDER BY i.list_id, i.position
            """, new { listIds }, tx, cancellationToken: ct));
        return rows.GroupBy(r => r.ListId).ToDictionary(g => g.Key, g => g.Select(r => new MaterialDocument(r.PolicyId, r.Title, r.Category,
            PolicyCategories.Names.GetValueOrDefault(r.Category, r.Category), r.Status == PolicyStatus.Published)).ToList());
    }

    private static async Task<IReadOnlyList<SentMaterialList>> SentListsAsync(MySqlConnection connection, MySqlTransaction? tx, EnterpriseInReach enterprise, long? onlyId,
        CancellationToken ct)
    {
        await using var results = await connection.QueryMultipleAsync(new CommandDefinition($"""
            SELECT l.id, l.note, l.sent_by, {PersonNames.Name} AS sender_name, l.sent_at
            FROM material_lists l JOIN users u ON u.id = l.sent_by
            WHERE l.enterprise_id = @Id AND (@onlyId IS NULL OR l.id = @onlyId) ORDER BY l.sent_at DESC, l.id DESC;
            SELECT r.list_id, r.user_id, {PersonNames.Name}, r.read_at
            FROM material_reads r JOIN material_lists l ON l.id = r.list_id JOIN users u ON u.id = r.user_id
            WHERE l.enterprise_id = @Id AND (@onlyId IS NULL OR l.id = @onlyId) ORDER BY r.read_at;
            """, new { enterprise.Id, onlyId }, tx, cancellationToken: ct));
        var lists = (await results.ReadAsync<(long Id, string? Note, long SentBy, string SenderName, DateTime SentAt)>()).ToList();
        var reads = (await results.ReadAsync<(long ListId, long UserId, string DisplayName, DateTime ReadAt)>()).ToLookup(r => r.ListId);
        var documents = await DocumentsAsync(connection, tx, lists.Select(l => l.Id).ToList(), ct);
        return lists.Select(l => new SentMaterialList(l.Id, enterprise.Id, enterprise.Name, l.Note, l.SentBy, l.SenderName, Utc(l.SentAt),
            documents.GetValueOrDefault(l.Id, []), reads[l.Id].Select(r => new MaterialRead(r.UserId, r.DisplayName, Utc(r.ReadAt))).ToList())).ToList();
    }

    /// <summary>"甲、乙 等": the first two titles in the order sent, and "等" when there are more (the count is said apart).</summary>
    internal static string TitlesText(IReadOnlyList<long> order, IReadOnlyList<(long Id, string Title)> titles)
    {
        var byId = titles.ToDictionary(t => t.Id, t => t.Title);
        return string.Join("、", order.Distinct().Take(2).Select(id => byId[id])) + (order.Distinct().Count() > 2 ? " 等" : "");
    }

    private static async Task<string> SenderNameAsync(MySqlConnection connection, MySqlTransaction tx, CurrentUser user, CancellationToken ct) =>
        await connection.ExecuteScalarAsync<string>(new CommandDefinition(
            $"SELECT {PersonNames.Name} FROM users u WHERE u.id = @Id", new { user.Id }, tx, cancellationToken: ct))
        ?? "工作人员";

    private static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));
}
