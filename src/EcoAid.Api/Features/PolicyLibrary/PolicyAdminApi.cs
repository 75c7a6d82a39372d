using EcoAid.Api.Features.Organisation;
using System.Security.Cryptography;
using Dapper;
using EcoAid.Api.Features.Attachments;
using EcoAid.Api.Features.Calendar;
using EcoAid.Api.Features.Demands;
using EcoAid.Api.Infrastructure;
using EcoAid.Api.Infrastructure.Auth;
using EcoAid.Api.Infrastructure.Http;
using EcoAid.Api.Infrastructure.Validation;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using MySqlConnector;
using JsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;

namespace EcoAid.Api.Features.PolicyLibrary;

/// <summary>
/// Administrators write the library: drafts, edits (each leaving a revision), publish and unpublish, PDF attachments,
/// and read views and scans over time. Every change the public can see bumps the library version in its transaction.
/// </summary>
public static class PolicyAdminApi
{
    public static IEndpointRouteBuilder MapPolicyAdmin(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/policies").WithTags("Policies").RequireAuthorization(Policies.OrgAdmin).AddEndpointFilter<ValidationFilter>();
        group.MapPost("/", CreatePolicy).Produces<PolicyAdminView>(201).Answers(409, 422).WithBodyLimit(BodyLimits.PolicyBytes).WithName(nameof(CreatePolicy)).WithSummary("新建政策文件草稿（管理员）")
            .WithDescription("body 为 HTML（小程序 editor 组件的输出即可），只保留允许的标签和属性：脚本、样式、事件属性、iframe 和 javascript: 链接会被去掉。"
                + "category：project_approval、funding、honor、petition、credit_repair、laws_standards、explainer。支持 Idempotency-Key。");
        group.MapPut("/{id:long}", UpdatePolicy).Produces<PolicyAdminView>(200).Answers(409).WithBodyLimit(BodyLimits.PolicyBytes).WithName(nameof(UpdatePolicy)).WithSummary("修改政策文件（管理员）")
            .WithDescription("保存为新的修订版本，旧版本可在 revisions 中查看。已发布的文件修改后几秒内对所有读者生效。带 revision 时，若文件已被他人改过则返回 409 policy.edited_meanwhile。");
        group.MapPost("/{id:long}/publish", PublishPolicy).Produces<PolicyAdminView>(200).Answers(409).WithName(nameof(PublishPolicy)).WithSummary("发布（管理员）")
            .WithDescription("草稿或已撤回的文件发布后对所有人可见（各实例几秒内生效）；已发布的再发布返回 409 policy.invalid_transition。");
        group.MapPost("/{id:long}/unpublish", UnpublishPolicy).Produces<PolicyAdminView>(200).Answers(409).WithName(nameof(UnpublishPolicy)).WithSummary("撤回（管理员）")
            .WithDescription("撤回后公众读取返回 404，扫码也打不开；可再次发布。");
        group.MapGet("/manage", ListManagedPolicies).Produces<PagedList<PolicyAdminListItem>>(200).WithName(nameof(ListManagedPolicies)).WithSummary("管理列表（管理员）")
            .WithDescription("本支部（市局管理员：本市各支部）的全部文件，含草稿与已撤回。筛选：status、category、q（标题）。");
        group.MapGet("/{id:long}/manage", GetManagedPolicy).Produces<PolicyAdminView>(200).WithName(nameof(GetManagedPolicy)).WithSummary("管理详情（管理员）")
            .WithDescription("任意状态的文件，含保存的 body 与净化后的 bodyHtml、修订号。");
        group.MapGet("/{id:long}/revisions", ListPolicyRevisions).Produces<PagedList<PolicyRevisionView>>(200).WithName(nameof(ListPolicyRevisions)).WithSummary("修订历史（管理员）")
            .WithDescription("每次新建、修改、发布、撤回、增删附件留下的完整快照，新的在前。");
        var maxBytes = routes.ServiceProvider.GetRequiredService<IOptions<AttachmentOptions>>().Value.MaxBytes;
        group.MapPost("/{id:long}/attachments", UploadPolicyAttachment).Produces<PolicyAttachment>(201).WithBodyLimit(Uploads.BodyLimit(maxBytes)).RequireRateLimiting(Hardening.UploadPolicy).DisableAntiforgery().WithName(nameof(UploadPolicyAttachment))
            .WithSummary("上传 PDF 附件（管理员）").WithDescription("multipart/form-data，字段名 file，只接受 PDF（按内容识别），大小上限同 Attachments:MaxBytes。");
        group.MapDelete("/{id:long}/attachments/{attachmentId:long}", RemovePolicyAttachment).Produces<PolicyAdminView>(200).WithName(nameof(RemovePolicyAttachment))
            .WithSummary("移除附件（管理员）");
        group.MapGet("/stats", GetPolicyStats).Produces<PolicyStats>(200).WithName(nameof(GetPolicyStats)).WithSummary("浏览与扫码统计（管理员）")
            .WithDescription("from、to 为日期（yyyy-MM-dd，北京时间，默认最近 30 天，最长 366 天），可选 policyId。按日给出浏览数和扫码数，扫码再按来源分列，并列出浏览与扫码最多的文件。"
                + "各实例每隔几秒把计数写入数据库。");
        return routes;
    }

    static async Task<IResult> CreatePolicy(CreatePolicyRequest request, HttpRequest http, CurrentUser user, MySqlDataSource db, TimeProvider clock,
        IOptions<JsonOptions> json, CancellationToken ct)
    {
        if (Idempotency.ValidateHeader(http, out var key) is { } badKey)
        {
            return badKey;
        }
        if (!BranchTarget.TryResolve(user, request.BranchId, out var branchId, out var problem))
        {
            return problem!;
        }
        var clean = PolicyHtml.Sanitize(request.Body);
        var now = clock.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var claim = await Idempotency.ClaimAsync(connection, tx, user.Id, key, Idempotency.HashOf(request), now, ct);
        if (!claim.Proceed)
        {
            return claim.Answer!;
        }
        var id = await connection.ExecuteScalarAsync<long>(new CommandDefinition("""
            INSERT INTO policies (branch_id, category, title, summary, body, body_text, tags, source, effective_date, status, revision,
                                  created_by, created_at, updated_by, updated_at)
            VALUES (@branchId, @Category, @title, @summary, @body, @text, @tags, @source, @effective, 'draft', 1, @userId, @now, @userId, @now);
            SELECT LAST_INSERT_ID();
            """, new
        {
            branchId, request.Category, title = request.Title.Trim(), summary = request.Summary?.Trim() ?? "", body = clean.Html, text = clean.Text,
            tags = PolicyFields.TagsJson(request.Tags), source = Blank(request.Source), effective = request.EffectiveDate?.ToDateTime(TimeOnly.MinValue),
            userId = user.Id, now = now.UtcDateTime,
        }, tx, cancellationToken: ct));
        await SnapshotAsync(connection, tx, id, "created", user.Id, now, ct);
        var view = await AdminViewAsync(connection, tx, id, user, ct);
        var location = $"/api/policies/{id}/manage";
        await Idempotency.CompleteAsync(connection, tx, user.Id, key, StatusCodes.Status201Created, view, location, json.Value.SerializerOptions, ct);
        await tx.CommitAsync(ct);
        return TypedResults.Created(location, view);
    }

    static async Task<IResult> UpdatePolicy(long id, UpdatePolicyRequest request, CurrentUser user, MySqlDataSource db, TimeProvider clock,
        PolicyLibraryVersion versions, CancellationToken ct)
    {
        var clean = PolicyHtml.Sanitize(request.Body);
        var now = clock.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        if (await LockAsync(connection, tx, id, user, ct) is not { } current)
        {
            return Problems.NotFound();
        }
        if (request.Revision is { } expected && expected != current.Revision)
        {
            return Problems.Conflict("policy.edited_meanwhile", $"文件已被他人修改（当前为第 {current.Revision} 版），请刷新后再改。");
        }
        await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE policies SET category = @Category, title = @title, summary = @summary, body = @body, body_text = @text, tags = @tags,
                source = @source, effective_date = @effective, revision = revision + 1, updated_by = @userId, updated_at = @now
            WHERE id = @id
            """, new
        {
            id, request.Category, title = request.Title.Trim(), summary = request.Summary?.Trim() ?? "", body = clean.Html, text = clean.Text,
            tags = PolicyFields.TagsJson(request.Tags), source = Blank(request.Source), effective = request.EffectiveDate?.ToDateTime(TimeOnly.MinValue),
            userId = user.Id, now = now.UtcDateTime,
        }, tx, cancellationToken: ct));
        return await FinishAsync(connection, tx, id, "edited", current.Status == PolicyStatus.Published, user, now, versions, ct);
    }

    static Task<IResult> PublishPolicy(long id, CurrentUser user, MySqlDataSource db, TimeProvider clock, PolicyLibraryVersion versions, CancellationToken ct) =>
        TransitionAsync(id, PolicyStatus.Published, user, db, clock, versions, ct);

    static Task<IResult> UnpublishPolicy(long id, CurrentUser user, MySqlDataSource db, TimeProvider clock, PolicyLibraryVersion versions, CancellationToken ct) =>
        TransitionAsync(id, PolicyStatus.Unpublished, user, db, clock, versions, ct);

    private static async Task<IResult> TransitionAsync(long id, string to, CurrentUser user, MySqlDataSource db, TimeProvider clock,
        PolicyLibraryVersion versions, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        if (await LockAsync(connection, tx, id, user, ct) is not { } current)
        {
            return Problems.NotFound();
        }
        var publishing = to == PolicyStatus.Published;
        if (publishing == (current.Status == PolicyStatus.Published))
        {
            return Problems.Conflict("policy.invalid_transition", publishing ? "文件已经是发布状态。" : "只有已发布的文件可以撤回。");
        }
        await connection.ExecuteAsync(new CommandDefinition(publishing
            ? "UPDATE policies SET status = 'published', published_at = @now, revision = revision + 1, updated_by = @userId, updated_at = @now WHERE id = @id"
            : "UPDATE policies SET status = 'unpublished', unpublished_at = @now, revision = revision + 1, updated_by = @userId, updated_at = @now WHERE id = @id",
            new { id, userId = user.Id, now = now.UtcDateTime }, tx, cancellationToken: ct));
        return await FinishAsync(connection, tx, id, to, affectsPublic: true, user, now, versions, ct);
    }

    static async Task<IResult> ListManagedPolicies(CurrentUser user, MySqlDataSource db, int? page, int? pageSize, string? status, string? category, string? q,
        CancellationToken ct)
    {
        if (!Paging.TryCreate(page, pageSize, out var paging, out var errors))
        {
            return Problems.Validation(errors);
        }
        if (status is not null && !PolicyStatus.All.Contains(status))
        {
            return Problems.Validation("status", ValidationErrors.OneOfMessage(PolicyStatus.All));
        }
        var filters = "p.branch_id IN @BranchIds AND (@status IS NULL OR p.status = @status) AND (@category IS NULL OR p.category = @category)"
            + " AND (@q IS NULL OR p.title LIKE @q)";
        var args = new
        {
            user.BranchIds, status, category, q = string.IsNullOrWhiteSpace(q) ? null : "%" + Infrastructure.Database.Sql.EscapeLike(q.Trim()) + "%",
            paging.PageSize, paging.Offset,
        };
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var results = await connection.QueryMultipleAsync(new CommandDefinition($"""
            SELECT p.id, p.branch_id, p.title, p.category, p.status, p.revision, p.updated_at, p.published_at
            FROM policies p WHERE {filters} ORDER BY p.updated_at DESC, p.id DESC LIMIT @PageSize OFFSET @Offset;
            SELECT COUNT(*) FROM policies p WHERE {filters};
            """, args, cancellationToken: ct));
        var items = (await results.ReadAsync<(long Id, long BranchId, string Title, string Category, string Status, int Revision, DateTimeOffset UpdatedAt, DateTimeOffset? PublishedAt)>())
            .Select(r => new PolicyAdminListItem(r.Id, r.BranchId, r.Title, r.Category, PolicyCategories.Names.GetValueOrDefault(r.Category, r.Category), r.Status,
                r.Revision, r.UpdatedAt, r.PublishedAt)).ToList();
        return TypedResults.Ok(new PagedList<PolicyAdminListItem>(items, await results.ReadSingleAsync<long>(), paging.Page, paging.PageSize));
    }

    static async Task<IResult> GetManagedPolicy(long id, CurrentUser user, MySqlDataSource db, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var view = await AdminViewAsync(connection, null, id, user, ct);
        return view is null ? Problems.NotFound() : TypedResults.Ok(view);
    }

    static async Task<IResult> ListPolicyRevisions(long id, CurrentUser user, MySqlDataSource db, int? page, int? pageSize, CancellationToken ct)
    {
        if (!Paging.TryCreate(page, pageSize, out var paging, out var errors))
        {
            return Problems.Validation(errors);
        }
        await using var connection = await db.OpenConnectionAsync(ct);
        if (!await InReachAsync(connection, id, user, ct))
        {
            return Problems.NotFound();
        }
        await using var results = await connection.QueryMultipleAsync(new CommandDefinition($"""
            SELECT r.revision, r.action, r.title, r.category, r.summary, r.body, r.tags, r.source, r.effective_date, r.status, r.edited_by,
                   {PersonNames.Name} AS edited_by_name, r.edited_at
            FROM policy_revisions r LEFT JOIN users u ON u.id = r.edited_by
            WHERE r.policy_id = @id ORDER BY r.revision DESC LIMIT @PageSize OFFSET @Offset;
            SELECT COUNT(*) FROM policy_revisions WHERE policy_id = @id;
            """, new { id, paging.PageSize, paging.Offset }, cancellationToken: ct));
        var items = (await results.ReadAsync<RevisionRow>()).Select(r => new PolicyRevisionView(r.Revision, r.Action, r.Title, r.Category, r.Summary, r.Body,
            PolicyFields.ParseTags(r.Tags), r.Source, r.EffectiveDate is { } d ? DateOnly.FromDateTime(d) : null, r.Status, r.EditedBy, r.EditedByName, r.EditedAt)).ToList();
        return TypedResults.Ok(new PagedList<PolicyRevisionView>(items, await results.ReadSingleAsync<long>(), paging.Page, paging.PageSize));
    }

    private sealed class RevisionRow
    {
        public int Revision { get; init; }
        public string Action { get; init; } = "";
        public string Title { get; init; } = "";
        public string Category { get; init; } = "";
        public string Summary { get; init; } = "";
        public string Body { get; init; } = "";
        public string Tags { get; init; } = "[]";
        public string? Source { get; init; }
        public DateTime? EffectiveDate { get; init; }
        public string Status { get; init; } = "";
        public long EditedBy { get; init; }
        public string? EditedByName { get; init; }
        public DateTimeOffset EditedAt { get; init; }
    }

    private static readonly IReadOnlySet<string> PdfOnly = new HashSet<string> { "application/pdf" };

    static async Task<IResult> UploadPolicyAttachment(long id, HttpRequest request, CurrentUser user, MySqlDataSource db, IAttachmentStore store,
        IOptions<AttachmentOptions> options, TimeProvider clock, PolicyLibraryVersion versions, CancellationToken ct)
    {
        await using (var probeConnection = await db.OpenConnectionAsync(ct))
        {
            if (!await InReachAsync(probeConnection, id, user, ct))
            {
                return Problems.NotFound();
            }
        }
        var (file, problem) = await Uploads.ReceiveAsync(request, store, options.Value.MaxBytes, PdfOnly, "政策文件的附件只能是 PDF。", clock, ct);
        if (file is null)
        {
            return problem!;
        }
        var now = clock.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        if (await LockAsync(connection, tx, id, user, ct) is not { } current)
        {
            return Problems.NotFound();
        }
        var attachmentId = await connection.ExecuteScalarAsync<long>(new CommandDefinition("""
            INSERT INTO attachments (branch_id, uploaded_by, storage_key, content_type, size_bytes, sha256, file_name, created_at)
            SELECT branch_id, @userId, @StorageKey, 'application/pdf', @Size, @Sha256, @FileName, @now FROM policies WHERE id = @id;
            SELECT LAST_INSERT_ID();
            """, new { id, userId = user.Id, file.StorageKey, file.Size, file.Sha256, file.FileName, now = now.UtcDateTime }, tx, cancellationToken: ct));
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO policy_attachments (policy_id, attachment_id, position)
            SELECT @id, @attachmentId, COALESCE(MAX(position), 0) + 1 FROM policy_attachments WHERE policy_id = @id;
            UPDATE policies SET revision = revision + 1, updated_by = @userId, updated_at = @now WHERE id = @id;
            """, new { id, attachmentId, userId = user.Id, now = now.UtcDateTime }, tx, cancellationToken: ct));
        var result = await FinishAsync(connection, tx, id, "attachment_added", current.Status == PolicyStatus.Published, user, now, versions, ct);
        return result is Ok<PolicyAdminView> ok
            ? TypedResults.Created($"/api/policies/{id}/attachments/{attachmentId}", ok.Value!.Attachments.Single(a => a.Id == attachmentId))
            : result;
    }

    static async Task<IResult> RemovePolicyAttachment(long id, long attachmentId, CurrentUser user, MySqlDataSource db, TimeProvider clock,
        PolicyLibraryVersion versions, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        if (await LockAsync(connection, tx, id, user, ct) is not { } current)
        {
            return Problems.NotFound();
        }
        var removed = await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM policy_attachments WHERE policy_id = @id AND attachment_id = @attachmentId", new { id, attachmentId }, tx, cancellationToken: ct));
        if (removed == 0)
        {
            return Problems.NotFound();
        }
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE policies SET revision = revision + 1, updated_by = @userId, updated_at = @now WHERE id = @id",
            new { id, userId = user.Id, now = now.UtcDateTime }, tx, cancellationToken: ct));
        var result = await FinishAsync(connection, tx, id, "attachment_removed", current.Status == PolicyStatus.Published, user, now, versions, ct);
        return result is Ok<PolicyAdminView> ? TypedResults.NoContent() : result;
    }

    public sealed record DayStats(DateOnly Date, long Views, long Scans);
    public sealed record SourceStats(string Source, long Scans);
    public sealed record DocumentStats(long Id, string Title, string Category, long Views, long Scans);
    public sealed record PolicyStats(DateOnly From, DateOnly To, long Views, long Scans, IReadOnlyList<DayStats> Days, IReadOnlyList<SourceStats> Sources,
        IReadOnlyList<DocumentStats> Documents);

    static async Task<IResult> GetPolicyStats(CurrentUser user, MySqlDataSource db, PolicyCounters counters, TimeProvider clock, DateOnly? from, DateOnly? to,
        long? policyId, CancellationToken ct)
    {
        var last = to ?? WorkingCalendar.Today(clock.GetUtcNow());
        var first = from ?? last.AddDays(-29);
        if (first > last || last.DayNumber - first.DayNumber > 365)
        {
            return Problems.Validation("from", "from 须不晚于 to，且区间不超过 366 天。");
        }
        // What this instance counted so far goes in first; other instances' counts arrive within their flush interval.
        await counters.FlushAsync(ct);
        var args = new { user.BranchIds, policyId, first = first.ToDateTime(TimeOnly.MinValue), last = last.ToDateTime(TimeOnly.MinValue) };
        const string inReach = "p.branch_id IN @BranchIds AND (@policyId IS NULL OR p.id = @policyId)";
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var results = await connection.QueryMultipleAsync(new CommandDefinition($"""
            SELECT v.day, SUM(v.views) FROM policy_daily_views v JOIN policies p ON p.id = v.policy_id
            WHERE {inReach} AND v.day BETWEEN @first AND @last GROUP BY v.day;
            SELECT s.day, SUM(s.scans) FROM policy_daily_scans s JOIN policies p ON p.id = s.policy_id
            WHERE {inReach} AND s.day BETWEEN @first AND @last GROUP BY s.day;
            SELECT s.source, SUM(s.scans) AS scans FROM policy_daily_scans s JOIN policies p ON p.id = s.policy_id
            WHERE {inReach} AND s.day BETWEEN @first AND @last GROUP BY s.source ORDER BY scans DESC, s.source;
            SELECT p.id, p.title, p.category,
                   COALESCE((SELECT SUM(v.views) FROM policy_daily_views v WHERE v.policy_id = p.id AND v.day BETWEEN @first AND @last), 0) AS views,
                   COALESCE((SELECT SUM(s.scans) FROM policy_daily_scans s WHERE s.policy_id = p.id AND s.day BETWEEN @first AND @last), 0) AS scans
            FROM policies p WHERE {inReach}
            ORDER BY views + scans DESC, p.id DESC LIMIT 20;
            """, args, cancellationToken: ct));
        var views = (await results.ReadAsync<(DateTime Day, decimal Count)>()).ToDictionary(r => DateOnly.FromDateTime(r.Day), r => (long)r.Count);
        var scans = (await results.ReadAsync<(DateTime Day, decimal Count)>()).ToDictionary(r => DateOnly.FromDateTime(r.Day), r => (long)r.Count);
        var sources = (await results.ReadAsync<(string Source, decimal Scans)>()).Select(r => new SourceStats(r.Source, (long)r.Scans)).ToList();
        var documents = (await results.ReadAsync<(long Id, string Title, string Category, decimal Views, decimal Scans)>())
            .Where(d => d.Views + d.Scans > 0 || policyId is not null)
            .Select(d => new DocumentStats(d.Id, d.Title, d.Category, (long)d.Views, (long)d.Scans)).ToList();
        var days = new List<DayStats>();
        for (var day = first; day <= last; day = day.AddDays(1))
        {
            days.Add(new DayStats(day, views.GetValueOrDefault(day), scans.GetValueOrDefault(day)));
        }
        return TypedResults.Ok(new PolicyStats(first, last, views.Values.Sum(), scans.Values.Sum(), days, sources, documents));
    }

    private sealed record Locked(string Status, int Revision);

    private static async Task<Locked?> LockAsync(MySqlConnection connection, MySqlTransaction tx, long id, CurrentUser user, CancellationToken ct) =>
        await connection.QuerySingleOrDefaultAsync<Locked>(new CommandDefinition(
            "SELECT status, revision FROM policies WHERE id = @id AND branch_id IN @BranchIds FOR UPDATE", new { id, user.BranchIds }, tx, cancellationToken: ct));

    private static async Task<bool> InReachAsync(MySqlConnection connection, long id, CurrentUser user, CancellationToken ct) =>
        await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM policies WHERE id = @id AND branch_id IN @BranchIds)", new { id, user.BranchIds }, cancellationToken: ct));

    /// <summary>Records the revision, bumps the public version when readers can see the change, commits, and answers with the document.</summary>
    private static async Task<IResult> FinishAsync(MySqlConnection connection, MySqlTransaction tx, long id, string action, bool affectsPublic, CurrentUser user,
        DateTimeOffset now, PolicyLibraryVersion versions, CancellationToken ct)
    {
        await SnapshotAsync(connection, tx, id, action, user.Id, now, ct);
        var version = affectsPublic ? await PolicyLibraryVersion.BumpAsync(connection, tx, ct) : 0;
        var view = await AdminViewAsync(connection, tx, id, user, ct);
        await tx.CommitAsync(ct);
        versions.Observe(version);
        return TypedResults.Ok(view!);
    }

    /// <summary>Every change leaves a snapshot, and the search index is cut again from the same revision in the same transaction.</summary>
    internal static async Task SnapshotAsync(MySqlConnection connection, MySqlTransaction tx, long id, string action, long userId, DateTimeOffset now, CancellationToken ct)
    {
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO policy_revisions (policy_id, revision, action, category, title, summary, body, tags, source, effective_date, status, edited_by, edited_at)
            SELECT id, revision, @action, category, title, summary, body, tags, source, effective_date, status, @userId, @now FROM policies WHERE id = @id
            """, new { id, action, userId, now = now.UtcDateTime }, tx, cancellationToken: ct));
        await PolicySearchIndex.IndexAsync(connection, tx, [id], ct);
    }

    private static async Task<PolicyAdminView?> AdminViewAsync(MySqlConnection connection, MySqlTransaction? tx, long id, CurrentUser user, CancellationToken ct)
    {
        var row = await connection.QuerySingleOrDefaultAsync<PolicyRow>(new CommandDefinition(
            $"{PoliciesApi.SelectPolicy} WHERE p.id = @id AND p.branch_id IN @BranchIds", new { id, user.BranchIds }, tx, cancellationToken: ct));
        return row?.ToAdminView(await PoliciesApi.AttachmentsOfAsync(connection, tx, id, ct));
    }

    private static string? Blank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();

}
