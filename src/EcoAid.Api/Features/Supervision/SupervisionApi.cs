using System.Data.Common;
using System.Security.Cryptography;
using System.Text.Json;
using Dapper;
using EcoAid.Api.Features.Audit;
using EcoAid.Api.Features.Demands;
using EcoAid.Api.Features.Organisation;
using EcoAid.Api.Infrastructure;
using EcoAid.Api.Infrastructure.Auth;
using EcoAid.Api.Infrastructure.Export;
using EcoAid.Api.Infrastructure.Http;
using EcoAid.Api.Infrastructure.Validation;
using Microsoft.Extensions.Options;
using MySqlConnector;

namespace EcoAid.Api.Features.Supervision;

/// <summary>
/// The ministry's 监督帮扶 list: upload (a preview, nothing imported yet), a corrected column mapping, apply (one demand
/// per row, source mee_assignment, once per batch and row), 销号 of a resolved item, and the export back in the list's
/// own columns. Commissioners and the secretary of the batch's branch; anything outside their branches answers 404.
/// </summary>
public static class SupervisionApi
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static IEndpointRouteBuilder MapSupervision(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/supervision").WithTags("Supervision").AddEndpointFilter<ValidationFilter>()
            .RequireAuthorization(DemandPolicies.Manager);
        group.MapGet("/fields", ListFields).Produces<List<FieldView>>(200).WithName("ListSupervisionFields").WithSummary("监督帮扶清单可识别的字段");
        var maxBytes = routes.ServiceProvider.GetRequiredService<Microsoft.Extensions.Options.IOptions<SupervisionOptions>>().Value.MaxUploadBytes;
        group.MapPost("/batches", Upload).Produces<BatchPreview>(201).Produces<BatchPreview>(200).Answers(422).WithBodyLimit(Attachments.Uploads.BodyLimit(maxBytes)).RequireRateLimiting(Infrastructure.Http.Hardening.UploadPolicy).WithIdempotency().DisableAntiforgery().WithName("UploadSupervisionList")
            .WithSummary("上传监督帮扶问题清单（预览）").WithDescription("multipart/form-data，字段名 file（.xlsx），可选 branchId。返回预览：列映射、逐行匹配的企业与问题。" +
                "同一文件再次上传返回原批次（duplicate=true）。拒绝：非 xlsx、解压过大、超过行数上限、含公式、表头合并单元格。");
        group.MapGet("/batches", ListBatches).Produces<List<BatchListItem>>(200).WithName("ListSupervisionBatches").WithSummary("监督帮扶清单批次列表");
        group.MapGet("/batches/{id:long}", GetBatch).Produces<BatchPreview>(200).WithName("GetSupervisionBatch").WithSummary("批次预览与导入结果");
        group.MapPut("/batches/{id:long}/mapping", SetMapping).Produces<BatchPreview>(200).Answers(409).WithName("SetSupervisionMapping")
            .WithSummary("更正列映射").WithDescription("columns[i] 为第 i 列（从 0 起）对应的字段代码，null 为不读取。已导入的批次不能再改。");
        group.MapPost("/batches/{id:long}/apply", Apply).Produces<ApplyResult>(200).Answers(409, 422).WithName("ApplySupervisionBatch")
            .WithSummary("导入：每行生成一条诉求").WithDescription("需要选择企业或未匹配的行须在 choices 中给出 enterpriseId 或 skip=true。幂等：同一批次再次导入不会重复生成。");
        group.MapGet("/batches/{id:long}/export", Export).ProducesFile(Infrastructure.Export.Spreadsheet.ContentType).WithName("ExportSupervisionBatch")
            .WithSummary("按原清单列导出").WithDescription("xlsx，列与上传的清单相同，填入整改情况和是否销号（原清单没有这两列时加在最后）。");
        group.MapPost("/items/{id:long}/close-out", CloseOut).Produces<ItemView>(200).Answers(409).WithName("CloseOutSupervisionItem")
            .WithSummary("销号").WithDescription("诉求已办结（待企业确认或已关闭）后，服务专员填写佐证和核查人予以销号；时间线记一条公开事件。");
        return routes;
    }

    static IResult ListFields() => TypedResults.Ok(ListColumns.Fields.Select(f => new FieldView(f.Code, f.Name)).ToList());

    static async Task<IResult> Upload(HttpRequest request, CurrentUser user, MySqlDataSource db, TimeProvider clock, IOptions<SupervisionOptions> options,
        CancellationToken ct)
    {
        var max = options.Value.MaxUploadBytes;
        if (request.ContentLength > max + 64 * 1024)
        {
            return TooLarge(max);
        }
        if (!request.HasFormContentType)
        {
            return Problems.Create(StatusCodes.Status415UnsupportedMediaType, "request.unsupported_media_type", "不支持的内容类型", "请以 multipart/form-data 上传，文件字段名为 file。");
        }
        IFormCollection form;
        try
        {
            form = await request.ReadFormAsync(new Microsoft.AspNetCore.Http.Features.FormOptions { MultipartBodyLengthLimit = max + 64 * 1024 }, ct);
        }
        catch (InvalidDataException e) when (e.Message.Contains("limit", StringComparison.OrdinalIgnoreCase))
        {
            return TooLarge(max);
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            return Problems.BadRequest("request.invalid", "上传的内容不完整或格式不正确，请重新上传。");
        }
        var file = form.Files.GetFile("file");
        if (file is null || file.Length == 0)
        {
            return Problems.Validation("file", "请选择要上传的清单文件。");
        }
        if (file.Length > max)
        {
            return TooLarge(max);
        }
        long branchId;
        if (form.TryGetValue("branchId", out var asked) && asked.Count > 0 && !string.IsNullOrEmpty(asked[0]))
        {
            if (!long.TryParse(asked[0], out branchId) || !user.Reaches(branchId))
            {
                return Problems.NotFound("指定的支部不存在或不在您的范围内。");
            }
        }
        else if (user.BranchIds.Count == 1)
        {
            branchId = user.BranchIds[0];
        }
        else
        {
            return Problems.Validation("branchId", "请指定导入到哪个支部（branchId）。");
        }

        byte[] bytes;
        using (var buffer = new MemoryStream())
        {
            await file.CopyToAsync(buffer, ct);
            bytes = buffer.ToArray();
        }
        var (table, refusal) = ListFile.Read(bytes, options.Value);
        if (refusal is not null)
        {
            return Problems.Create(StatusCodes.Status422UnprocessableEntity, refusal.Code, refusal.Title, refusal.Detail);
        }
        var sha = SHA256.HashData(bytes);
        var fileName = Path.GetFileName(file.FileName ?? "");
        fileName = string.IsNullOrWhiteSpace(fileName) ? "监督帮扶问题清单.xlsx" : fileName[..Math.Min(fileName.Length, 200)];
        var now = clock.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(ct);
        var existing = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT id FROM mee_batches WHERE branch_id = @branchId AND file_sha256 = @sha", new { branchId, sha }, cancellationToken: ct));
        if (existing is { } same)
        {
            var batch = await LoadAsync(connection, null, same, user, ct);
            return TypedResults.Ok(await PreviewAsync(connection, batch!, duplicate: true, ct));
        }
        var id = await connection.ExecuteScalarAsync<long>(new CommandDefinition("""
            INSERT IGNORE INTO mee_batches (branch_id, file_name, file_sha256, headers, cells, mapping, row_count, status, created_by, created_at)
            VALUES (@branchId, @fileName, @sha, @headers, @cells, @mapping, @rowCount, 'preview', @userId, @now);
            SELECT id FROM mee_batches WHERE branch_id = @branchId AND file_sha256 = @sha;
            """, new
        {
            branchId, fileName, sha, headers = JsonSerializer.Serialize(table!.Headers, Json), cells = JsonSerializer.Serialize(table.Rows, Json),
            mapping = JsonSerializer.Serialize(ListColumns.Guess(table.Headers), Json), rowCount = table.Rows.Count, userId = user.Id, now = now.UtcDateTime,
        }, cancellationToken: ct));
        await AuditTrail.RecordAsync(connection, null, AuditEvent.By(user, AuditKinds.SupervisionListUploaded, "supervision_batch", id,
            new { rows = table.Rows.Count }) with { BranchId = branchId }, now, ct);
        var created = await LoadAsync(connection, null, id, user, ct);
        return TypedResults.Created($"/api/supervision/batches/{id}", await PreviewAsync(connection, created!, duplicate: false, ct));
    }

    static async Task<IResult> ListBatches(CurrentUser user, MySqlDataSource db, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<BatchListItem>(new CommandDefinition("""
            SELECT b.id AS Id, b.file_name AS FileName, b.status AS Status, b.row_count AS RowCount,
                   (SELECT COUNT(*) FROM mee_items i WHERE i.batch_id = b.id) AS Items,
                   (SELECT COUNT(*) FROM mee_items i WHERE i.batch_id = b.id AND i.closed_out_at IS NOT NULL) AS ClosedOut,
                   b.created_at AS CreatedAt, b.applied_at AS AppliedAt
            FROM mee_batches b WHERE b.branch_id IN @BranchIds ORDER BY b.id DESC LIMIT 200
            """, new { user.BranchIds }, cancellationToken: ct));
        return TypedResults.Ok(rows.ToList());
    }

    static async Task<IResult> GetBatch(long id, CurrentUser user, MySqlDataSource db, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var batch = await LoadAsync(connection, null, id, user, ct);
        return batch is null ? Problems.NotFound() : TypedResults.Ok(await PreviewAsync(connection, batch, duplicate: false, ct));
    }

    static async Task<IResult> SetMapping(long id, SetMappingRequest request, CurrentUser user, MySqlDataSource db, TimeProvider clock, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var batch = await LoadAsync(connection, tx, id, user, ct, forUpdate: true);
        if (batch is null)
        {
            return Problems.NotFound();
        }
        if (batch.Status == "applied")
        {
            return Problems.Conflict("supervision.already_applied", "该批次已导入，列映射不能再改。");
        }
        if (request.Columns.Length != batch.HeaderList.Count)
        {
            return Problems.Validation("columns", $"清单共有 {batch.HeaderList.Count} 列，请为每一列给出字段（不读取的列为 null）。");
        }
        await connection.ExecuteAsync(new CommandDefinition("UPDATE mee_batches SET mapping = @mapping WHERE id = @id",
            new { id, mapping = JsonSerializer.Serialize(request.Columns, Json) }, tx, cancellationToken: ct));
        await AuditTrail.RecordAsync(connection, tx, AuditEvent.By(user, AuditKinds.SupervisionMappingChanged, "supervision_batch", id,
            new { columns = request.Columns }) with { BranchId = batch.BranchId }, clock.GetUtcNow(), ct);
        await tx.CommitAsync(ct);
        var fresh = await LoadAsync(connection, null, id, user, ct);
        return TypedResults.Ok(await PreviewAsync(connection, fresh!, duplicate: false, ct));
    }

    static async Task<IResult> Apply(long id, ApplyBatchRequest? request, CurrentUser user, MySqlDataSource db, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        // The batch row is locked for the whole import: a second apply of the same batch waits, then finds every row done.
        var batch = await LoadAsync(connection, tx, id, user, ct, forUpdate: true);
        if (batch is null)
        {
            return Problems.NotFound();
        }
        var registered = await RegisteredAsync(connection, tx, batch.BranchId, ct);
        var plan = Plan(batch, registered);
        if (plan.MappingProblems.Count > 0)
        {
            return Problems.Create(StatusCodes.Status422UnprocessableEntity, "supervision.mapping_incomplete", "列映射不完整", string.Join("；", plan.MappingProblems));
        }
        var existing = (await connection.QueryAsync<(long ItemId, int RowNo, long DemandId, string Number, long EnterpriseId)>(new CommandDefinition("""
            SELECT i.id, i.row_no, i.demand_id, d.number, i.enterprise_id FROM mee_items i JOIN demands d ON d.id = i.demand_id WHERE i.batch_id = @id
            """, new { id }, tx, cancellationToken: ct))).ToDictionary(r => r.RowNo);
        var choices = (request?.Choices ?? []).GroupBy(c => c.RowNumber).ToDictionary(g => g.Key, g => g.Last());
        var unknownRows = choices.Keys.Where(r => plan.Rows.All(p => p.RowNumber != r)).ToList();
        if (unknownRows.Count > 0)
        {
            return Problems.Validation("choices", $"清单中没有第 {string.Join("、", unknownRows)} 行。");
        }
        var registeredIds = registered.ToDictionary(e => e.Id);
        var unresolved = new List<string>();
        var toCreate = new List<(ListRow Row, EnterpriseMatcher.Registered Enterprise)>();
        var skipped = 0;
        foreach (var row in plan.Rows)
        {
            if (existing.ContainsKey(row.RowNumber))
            {
                continue;
            }
            choices.TryGetValue(row.RowNumber, out var choice);
            if (choice?.Skip == true)
            {
                skipped++;
                continue;
            }
            if (row.Blocked)
            {
                unresolved.Add($"第 {row.RowNumber} 行：{string.Join("，", row.Problems)}");
                continue;
            }
            if (choice?.EnterpriseId is { } chosen)
            {
                if (!registeredIds.TryGetValue(chosen, out var picked))
                {
                    return Problems.Validation("choices", $"第 {row.RowNumber} 行选择的企业不存在或不在本支部。");
                }
                toCreate.Add((row, picked));
            }
            else if (row.Match == "matched")
            {
                toCreate.Add((row, registeredIds[row.EnterpriseId!.Value]));
            }
            else
            {
                unresolved.Add($"第 {row.RowNumber} 行：{(row.Match == "choose" ? "请在候选企业中选择" : "企业未登记，请选择企业或跳过")}");
            }
        }
        if (unresolved.Count > 0)
        {
            return Problems.Create(StatusCodes.Status422UnprocessableEntity, "supervision.rows_unresolved", "还有行需要处理",
                string.Join("；", unresolved) + "。");
        }

        var items = existing.Values.Select(e => new AppliedItem(e.ItemId, e.RowNo, e.DemandId, e.Number, e.EnterpriseId, false)).ToList();
        var enterprises = (await connection.QueryAsync<(long Id, long? LiaisonMemberId)>(new CommandDefinition(
            "SELECT id, liaison_member_id FROM enterprises WHERE branch_id = @BranchId", new { batch.BranchId }, tx, cancellationToken: ct))).ToDictionary(e => e.Id);
        foreach (var (row, enterprise) in toCreate)
        {
            var type = row.ProblemType is { Length: > 0 } t ? t : "监督帮扶问题";
            var title = Shorten($"【监督帮扶】{type}：{row.Description}", DemandLimits.Title);
            var description = Shorten($"{row.Description}\n——监督帮扶交办清单《{batch.FileName}》第 {row.RowNumber} 行" +
                (row.AssignedOn is { Length: > 0 } a ? $"；交办时间 {a}" : "") + (row.FoundOn is { Length: > 0 } f ? $"；发现时间 {f}" : "") +
                (row.Deadline is { } dl ? $"；整改时限 {dl:yyyy-MM-dd}" : ""), DemandLimits.Description);
            var (demandId, number) = await DemandIntake.InsertAsync(connection, tx, new DemandIntake.NewDemand(batch.BranchId, enterprise.Id, enterprise.Name,
                enterprises[enterprise.Id].LiaisonMemberId, CategoryOf(type), "mee_assignment", title, description, false, row.Deadline, "passed", user.Id,
                $"由监督帮扶交办清单导入（批次 {batch.Id}，第 {row.RowNumber} 行）", null), now, ct);
            if (row.Deadline is { } due)
            {
                // The list's deadline is the due date from the start; accepting the demand may set another.
                await connection.ExecuteAsync(new CommandDefinition("UPDATE demands SET due_date = @due WHERE id = @demandId",
                    new { due = due.ToDateTime(TimeOnly.MinValue), demandId }, tx, cancellationToken: ct));
            }
            var itemId = await connection.ExecuteScalarAsync<long>(new CommandDefinition("""
                INSERT INTO mee_items (batch_id, row_no, demand_id, enterprise_id, due_date) VALUES (@batchId, @rowNo, @demandId, @enterpriseId, @due);
                SELECT LAST_INSERT_ID();
                """, new { batchId = batch.Id, rowNo = row.RowNumber, demandId, enterpriseId = enterprise.Id, due = row.Deadline?.ToDateTime(TimeOnly.MinValue) },
                tx, cancellationToken: ct));
            items.Add(new AppliedItem(itemId, row.RowNumber, demandId, number, enterprise.Id, true));
        }
        await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE mee_batches SET status = 'applied', applied_by = COALESCE(applied_by, @userId), applied_at = COALESCE(applied_at, @now) WHERE id = @id
            """, new { id, userId = user.Id, now = now.UtcDateTime }, tx, cancellationToken: ct));
        if (toCreate.Count > 0)
        {
            // A second apply that creates nothing changes nothing, and is not an event.
            await AuditTrail.RecordAsync(connection, tx, AuditEvent.By(user, AuditKinds.SupervisionApplied, "supervision_batch", id, new
            {
                created = toCreate.Count, skipped, demandIds = items.Where(i => i.Created).Select(i => i.DemandId).ToList(),
            }) with { BranchId = batch.BranchId }, now, ct);
        }
        await tx.CommitAsync(ct);
        return TypedResults.Ok(new ApplyResult(id, toCreate.Count, existing.Count, skipped, items.OrderBy(i => i.RowNumber).ToList()));
    }

    static async Task<IResult> CloseOut(long id, CloseOutRequest request, CurrentUser user, MySqlDataSource db, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var item = await connection.QuerySingleOrDefaultAsync<ItemRow>(new CommandDefinition($"""
            {ItemSelect} WHERE i.id = @id AND b.branch_id IN @BranchIds FOR UPDATE
            """, new { id, user.BranchIds }, tx, cancellationToken: ct));
        if (item is null)
        {
            return Problems.NotFound();
        }
        if (item.ClosedOutAt is not null)
        {
            return Problems.Conflict("supervision.already_closed_out", "该问题已销号。");
        }
        if (item.Status is not (DemandStatus.Resolved or DemandStatus.Closed))
        {
            return Problems.Conflict("supervision.not_resolved", $"诉求 {item.Number} 尚未办结，办结后才能销号。");
        }
        if (!await DemandStore.OwnsAttachmentsAsync(connection, tx, user.Id, request.AttachmentIds, ct))
        {
            return Problems.Validation("attachmentIds", "附件不存在，或不是您上传的。");
        }
        await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE mee_items SET closed_out_at = @now, closed_out_by = @userId, evidence = @evidence, verifier = @verifier WHERE id = @id
            """, new { id, now = now.UtcDateTime, userId = user.Id, evidence = request.Evidence.Trim(), verifier = request.Verifier.Trim() }, tx, cancellationToken: ct));
        await DemandStore.AppendEventAsync(connection, tx, item.DemandId, user.Id, "mee_closed_out", "public",
            $"监督帮扶问题已销号。佐证：{request.Evidence.Trim()}；核查人：{request.Verifier.Trim()}", request.AttachmentIds, now, ct);
        await AuditTrail.RecordAsync(connection, tx, AuditEvent.By(user, AuditKinds.SupervisionClosedOut, "supervision_item", id,
            new { batchId = item.BatchId, demandId = item.DemandId, attachments = request.AttachmentIds?.Length ?? 0 }) with { BranchId = item.BranchId }, now, ct);
        await tx.CommitAsync(ct);
        var fresh = await connection.QuerySingleAsync<ItemRow>(new CommandDefinition($"{ItemSelect} WHERE i.id = @id", new { id }, cancellationToken: ct));
        return TypedResults.Ok(fresh.ToView());
    }

    static async Task<IResult> Export(long id, CurrentUser user, MySqlDataSource db, TimeProvider clock, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var batch = await LoadAsync(connection, null, id, user, ct);
        if (batch is null)
        {
            return Problems.NotFound();
        }
        var items = (await connection.QueryAsync<ItemRow>(new CommandDefinition($"{ItemSelect} WHERE i.batch_id = @id", new { id }, cancellationToken: ct)))
            .ToDictionary(i => i.RowNo);
        var headers = batch.HeaderList.ToList();
        var mapping = batch.MappingList.ToList();
        var rectification = mapping.IndexOf("rectification");
        if (rectification < 0)
        {
            headers.Add("整改情况");
            mapping.Add("rectification");
            rectification = headers.Count - 1;
        }
        var closedOut = mapping.IndexOf("closedOut");
        if (closedOut < 0)
        {
            headers.Add("是否销号");
            mapping.Add("closedOut");
            closedOut = headers.Count - 1;
        }
        var rows = batch.CellRows.Select((cells, i) =>
        {
            var row = Enumerable.Range(0, headers.Count).Select(c => c < cells.Count ? cells[c] : "").ToArray<string?>();
            if (items.TryGetValue(i + 2, out var item))
            {
                row[rectification] = item.RectificationText();
                row[closedOut] = item.ClosedOutAt is null ? "否" : "是";
            }
            return (IReadOnlyList<string?>)row;
        }).ToList();
        var bytes = Spreadsheet.Write([new SheetSpec("问题清单", "", [], headers, Spreadsheet.FitWidths(headers, rows), rows)]);
        var name = Path.GetFileNameWithoutExtension(batch.FileName) + "（整改情况）.xlsx";
        await AuditTrail.RecordAsync(connection, null, AuditEvent.By(user, AuditKinds.Export, "supervision_batch", id,
            new { format = "xlsx", rows = rows.Count, closedOut = items.Values.Count(i => i.ClosedOutAt is not null) }) with { BranchId = batch.BranchId },
            clock.GetUtcNow(), ct);
        return TypedResults.File(bytes, Spreadsheet.ContentType, name);
    }

    private static IResult TooLarge(long max) => Problems.Create(StatusCodes.Status413PayloadTooLarge, "supervision.file_too_large", "文件过大",
        $"清单文件不能超过 {max / (1024 * 1024)} MB。");

    private static string Shorten(string text, int max)
    {
        var info = new System.Globalization.StringInfo(text.Trim());
        return info.LengthInTextElements <= max ? text.Trim() : info.SubstringByTextElements(0, max - 1) + "…";
    }

    /// <summary>The category a problem type suggests; most items of these lists are pollution control.</summary>
    internal static string CategoryOf(string problemType) =>
        problemType.Contains("信用") ? "credit_repair"
        : problemType.Contains("环评") || problemType.Contains("环境影响评价") ? "eia_approval"
        : problemType.Contains("信访") || problemType.Contains("投诉") ? "petition"
        : "pollution_control";

    // ---- the batch and its rows ----

    internal sealed class BatchRow
    {
        public long Id { get; init; }
        public long BranchId { get; init; }
        public string FileName { get; init; } = "";
        public string Headers { get; init; } = "[]";
        public string Cells { get; init; } = "[]";
        public string Mapping { get; init; } = "[]";
        public int RowCount { get; init; }
        public string Status { get; init; } = "";
        public DateTimeOffset CreatedAt { get; init; }
        public DateTimeOffset? AppliedAt { get; init; }

        public IReadOnlyList<string> HeaderList => JsonSerializer.Deserialize<List<string>>(Headers, Json) ?? [];
        public IReadOnlyList<string?> MappingList => JsonSerializer.Deserialize<List<string?>>(Mapping, Json) ?? [];
        public IReadOnlyList<IReadOnlyList<string>> CellRows => JsonSerializer.Deserialize<List<List<string>>>(Cells, Json) ?? [];
    }

    internal static async Task<BatchRow?> LoadAsync(DbConnection connection, DbTransaction? tx, long id, CurrentUser user, CancellationToken ct, bool forUpdate = false) =>
        await connection.QuerySingleOrDefaultAsync<BatchRow>(new CommandDefinition($"""
            SELECT id, branch_id, file_name, headers, cells, mapping, row_count, status, created_at, applied_at
            FROM mee_batches WHERE id = @id AND branch_id IN @BranchIds{(forUpdate ? " FOR UPDATE" : "")}
            """, new { id, user.BranchIds }, tx, cancellationToken: ct));

    private static async Task<List<EnterpriseMatcher.Registered>> RegisteredAsync(DbConnection connection, DbTransaction? tx, long branchId, CancellationToken ct) =>
        (await connection.QueryAsync<EnterpriseMatcher.Registered>(new CommandDefinition(
            "SELECT id AS Id, name AS Name, credit_code AS CreditCode FROM enterprises WHERE branch_id = @branchId ORDER BY id", new { branchId }, tx, cancellationToken: ct))).ToList();

    internal sealed record ListRow(int RowNumber, string? Seq, string? EnterpriseName, string? CreditCode, string? ProblemType, string? Description,
        string? FoundOn, string? AssignedOn, DateOnly? Deadline, string Match, long? EnterpriseId, string? MatchedName,
        IReadOnlyList<CandidateView> Candidates, IReadOnlyList<string> Problems, bool Blocked);

    internal sealed record ListPlan(IReadOnlyList<ColumnView> Columns, IReadOnlyList<string> MappingProblems, IReadOnlyList<ListRow> Rows);

    /// <summary>Reads every row through the batch's mapping and matches its enterprise; pure, so preview and apply agree.</summary>
    internal static ListPlan Plan(BatchRow batch, IReadOnlyList<EnterpriseMatcher.Registered> registered)
    {
        var headers = batch.HeaderList;
        var mapping = batch.MappingList;
        var columns = headers.Select((h, i) =>
        {
            var code = i < mapping.Count ? mapping[i] : null;
            return new ColumnView(i, h, code, code is null ? null : ListColumns.ByCode[code].Name);
        }).ToList();
        var mappingProblems = ListColumns.Required.Where(r => !mapping.Contains(r))
            .Select(r => $"没有找到“{ListColumns.ByCode[r].Name}”列，请在列映射中指定").ToList();
        var byCode = registered.ToDictionary(e => e.CreditCode, StringComparer.OrdinalIgnoreCase);
        var byName = registered.GroupBy(e => EnterpriseMatcher.Plain(e.Name)).ToDictionary(g => g.Key, g => g.ToList());
        string? Cell(IReadOnlyList<string> cells, string field)
        {
            var index = -1;
            for (var i = 0; i < mapping.Count; i++)
            {
                if (mapping[i] == field) { index = i; break; }
            }
            return index >= 0 && index < cells.Count && cells[index].Length > 0 ? cells[index] : null;
        }
        var rows = batch.CellRows.Select((cells, i) =>
        {
            var problems = new List<string>();
            var blocked = false;
            var name = Cell(cells, "enterpriseName");
            var code = Cell(cells, "creditCode");
            var description = Cell(cells, "description");
            var deadlineText = Cell(cells, "deadline");
            DateOnly? deadline = null;
            if (deadlineText is not null)
            {
                deadline = ListColumns.ParseDate(deadlineText);
                if (deadline is null)
                {
                    problems.Add($"整改时限“{deadlineText}”不是日期，导入后由服务专员设定完成时限");
                }
            }
            if (description is null)
            {
                problems.Add("缺少问题描述");
                blocked = true;
            }
            string match = "unmatched";
            long? enterpriseId = null;
            string? matchedName = null;
            var candidates = new List<CandidateView>();
            if (code is not null)
            {
                var normalized = Uscc.Normalize(code);
                if (Uscc.Check(normalized) is { } codeProblem)
                {
                    problems.Add($"统一社会信用代码“{code}”有误（{codeProblem}），改按企业名称匹配");
                }
                else if (byCode.TryGetValue(normalized, out var byCredit))
                {
                    match = "matched";
                    enterpriseId = byCredit.Id;
                    matchedName = byCredit.Name;
                    if (name is not null && EnterpriseMatcher.Plain(name) != EnterpriseMatcher.Plain(byCredit.Name))
                    {
                        problems.Add($"按信用代码匹配到“{byCredit.Name}”，与清单上的名称“{name}”不同，请核对");
                    }
                }
                else
                {
                    problems.Add("统一社会信用代码未在本支部登记，改按企业名称匹配");
                }
            }
            if (match != "matched")
            {
                if (name is null)
                {
                    problems.Add("缺少企业名称");
                    blocked = true;
                }
                else if (byName.TryGetValue(EnterpriseMatcher.Plain(name), out var same) && same.Count == 1)
                {
                    match = "matched";
                    enterpriseId = same[0].Id;
                    matchedName = same[0].Name;
                }
                else
                {
                    candidates = EnterpriseMatcher.Candidates(name, registered).Select(e => new CandidateView(e.Id, e.Name)).ToList();
                    match = candidates.Count > 0 ? "choose" : "unmatched";
                    problems.Add(candidates.Count > 0 ? $"企业“{name}”未精确匹配，请在 {candidates.Count} 个候选企业中选择" : $"企业“{name}”未在本支部登记，请选择企业或跳过此行");
                }
            }
            return new ListRow(i + 2, Cell(cells, "seq"), name, code, Cell(cells, "problemType"), description, Cell(cells, "foundOn"), Cell(cells, "assignedOn"),
                deadline, match, enterpriseId, matchedName, candidates, problems, blocked);
        }).ToList();
        return new ListPlan(columns, mappingProblems, rows);
    }

    internal static async Task<BatchPreview> PreviewAsync(DbConnection connection, BatchRow batch, bool duplicate, CancellationToken ct)
    {
        var plan = Plan(batch, await RegisteredAsync(connection, null, batch.BranchId, ct));
        var items = (await connection.QueryAsync<(int RowNo, long Id, long DemandId)>(new CommandDefinition(
            "SELECT row_no, id, demand_id FROM mee_items WHERE batch_id = @Id", new { batch.Id }, cancellationToken: ct))).ToDictionary(i => i.RowNo);
        var rows = plan.Rows.Select(r =>
        {
            var item = items.TryGetValue(r.RowNumber, out var found) ? found : ((int, long, long)?)null;
            return new RowPreview(r.RowNumber, r.Seq, r.EnterpriseName, r.CreditCode, r.ProblemType, r.Description, r.Deadline, r.Match, r.EnterpriseId,
                r.MatchedName, r.Candidates, r.Problems, r.Blocked, item?.Item2, item?.Item3);
        }).ToList();
        return new BatchPreview(batch.Id, batch.FileName, batch.Status, duplicate, batch.RowCount, plan.Columns, plan.MappingProblems,
            rows.Count(r => r.Match == "matched"), rows.Count(r => r.Match == "choose"), rows.Count(r => r.Match == "unmatched"), rows.Count(r => r.Blocked),
            rows, batch.CreatedAt, batch.AppliedAt);
    }

    private const string ItemSelect = """
        SELECT i.id, i.batch_id, b.branch_id, i.row_no, i.demand_id, d.number, d.status, d.resolution, i.enterprise_id, i.due_date, i.closed_out_at, i.evidence, i.verifier
        FROM mee_items i JOIN mee_batches b ON b.id = i.batch_id JOIN demands d ON d.id = i.demand_id
        """;

    private sealed class ItemRow
    {
        public long Id { get; init; }
        public long BatchId { get; init; }
        public long BranchId { get; init; }
        public int RowNo { get; init; }
        public long DemandId { get; init; }
        public string Number { get; init; } = "";
        public string Status { get; init; } = "";
        public string? Resolution { get; init; }
        public long EnterpriseId { get; init; }
        public DateTime? DueDate { get; init; }
        public DateTimeOffset? ClosedOutAt { get; init; }
        public string? Evidence { get; init; }
        public string? Verifier { get; init; }

        public ItemView ToView() => new(Id, BatchId, RowNo, DemandId, Number, Status, EnterpriseId, DueDate is { } d ? DateOnly.FromDateTime(d) : null,
            ClosedOutAt is not null, ClosedOutAt, Evidence, Verifier);

        public string RectificationText() => ClosedOutAt is not null
            ? $"已整改并销号（诉求 {Number}）：{Resolution ?? Evidence}；核查人 {Verifier}"
            : Status is DemandStatus.Resolved or DemandStatus.Closed ? $"已整改（诉求 {Number}）：{Resolution}"
            : $"整改中（诉求 {Number}，{DemandWorkflow.StatusName(Status)}）";
    }
}
