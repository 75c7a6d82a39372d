using System.Security.Cryptography;
using Dapper;
using EcoAid.Api.Features.Demands;
using EcoAid.Api.Infrastructure.Auth;
using EcoAid.Api.Infrastructure.Http;
using Microsoft.Extensions.Options;
using MySqlConnector;

namespace EcoAid.Api.Features.Attachments;

/// <summary>Uploads (images and PDFs, recognised by their first bytes) and reads within reach.</summary>
public static class AttachmentsApi
{
    internal static IEndpointRouteBuilder MapAttachmentEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/attachments").WithTags("Attachments");
        group.MapPost("/", Upload).WithIdempotency().RequireAuthorization(DemandPolicies.Reader).DisableAntiforgery().WithName("UploadAttachment")
            .WithSummary("上传附件").WithDescription("multipart/form-data，字段名 file；JPEG、PNG、WebP 或 PDF（按文件内容识别），不超过 10 MB。返回 {id}。");
        group.MapGet("/{id:long}", Download).RequireAuthorization(DemandPolicies.Reader).WithName("DownloadAttachment")
            .WithSummary("下载附件").WithDescription("上传者本人，或能看到引用它的诉求事件的用户。");
        return routes;
    }

    public sealed record UploadedAttachment(long Id, string ContentType, long Size);

    /// <summary>The content type a file really has, from its first bytes; null when it is none we accept.</summary>
    public static string? Sniff(ReadOnlySpan<byte> head) => head switch
    {
        [0xFF, 0xD8, 0xFF, ..] => "image/jpeg",
        [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, ..] => "image/png",
        [(byte)'R', (byte)'I', (byte)'F', (byte)'F', _, _, _, _, (byte)'W', (byte)'E', (byte)'B', (byte)'P', ..] => "image/webp",
        [(byte)'%', (byte)'P', (byte)'D', (byte)'F', (byte)'-', ..] => "application/pdf",
        _ => null,
    };

    static async Task<IResult> Upload(HttpRequest request, CurrentUser user, MySqlDataSource db, IAttachmentStore store, IOptions<AttachmentOptions> options,
        TimeProvider clock, CancellationToken ct)
    {
        var max = options.Value.MaxBytes;
        // Refuse before reading: a declared length over the cap (the multipart framing adds a little) ends it here.
        if (request.ContentLength > max + 64 * 1024)
        {
            return TooLarge(max);
        }
        if (!request.HasFormContentType)
        {
            return Problems.Create(StatusCodes.Status415UnsupportedMediaType, "request.unsupported_media_type", "不支持的内容类型", "请以 multipart/form-data 上传，文件字段名为 file。");
        }
        IFormFile? file;
        try
        {
            var form = await request.ReadFormAsync(new Microsoft.AspNetCore.Http.Features.FormOptions { MultipartBodyLengthLimit = max + 64 * 1024 }, ct);
            file = form.Files.GetFile("file");
        }
        catch (InvalidDataException e) when (e.Message.Contains("limit", StringComparison.OrdinalIgnoreCase))
        {
            return TooLarge(max);
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            return Problems.BadRequest("request.invalid", "上传的内容不完整或格式不正确，请重新上传。");
        }
        if (file is null || file.Length == 0)
        {
            return Problems.Validation("file", "请选择要上传的文件。");
        }
        if (file.Length > max)
        {
            return TooLarge(max);
        }

        var head = new byte[16];
        int read;
        await using (var probe = file.OpenReadStream())
        {
            read = await probe.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, ct);
        }
        if (Sniff(head.AsSpan(0, read)) is not { } contentType)
        {
            return Problems.Create(StatusCodes.Status415UnsupportedMediaType, "attachment.unsupported_type", "不支持的文件类型", "只能上传 JPEG、PNG、WebP 图片或 PDF 文件。");
        }

        var key = $"{clock.GetUtcNow():yyyyMMdd}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16))}";
        byte[] hash;
        await using (var content = file.OpenReadStream())
        {
            hash = await SHA256.HashDataAsync(content, ct);
        }
        await using (var content = file.OpenReadStream())
        {
            await store.SaveAsync(key, content, ct);
        }
        var fileName = Path.GetFileName(file.FileName) is { Length: > 0 and <= 200 } name ? name : null;
        await using var connection = await db.OpenConnectionAsync(ct);
        var id = await connection.ExecuteScalarAsync<long>(new CommandDefinition("""
            INSERT INTO attachments (branch_id, uploaded_by, storage_key, content_type, size_bytes, sha256, file_name, created_at)
            VALUES (@BranchId, @Id, @key, @contentType, @Length, @hash, @fileName, @now);
            SELECT LAST_INSERT_ID();
            """, new { user.BranchId, user.Id, key, contentType, file.Length, hash, fileName, now = clock.GetUtcNow().UtcDateTime }, cancellationToken: ct));
        return TypedResults.Created($"/api/attachments/{id}", new UploadedAttachment(id, contentType, file.Length));
    }

    static async Task<IResult> Download(long id, CurrentUser user, MySqlDataSource db, IAttachmentStore store, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var attachment = await connection.QuerySingleOrDefaultAsync<(string StorageKey, string ContentType, long UploadedBy, string? FileName)?>(new CommandDefinition(
            "SELECT storage_key, content_type, uploaded_by, file_name FROM attachments WHERE id = @id", new { id }, cancellationToken: ct));
        if (attachment is not { } a)
        {
            return Problems.NotFound();
        }
        if (a.UploadedBy != user.Id && !await VisibleThroughDemandAsync(connection, id, user, ct))
        {
            return Problems.NotFound();
        }
        var stream = await store.OpenAsync(a.StorageKey, ct);
        return stream is null ? Problems.NotFound() : Results.Stream(stream, a.ContentType, a.FileName);
    }

    private static async Task<bool> VisibleThroughDemandAsync(MySqlConnection connection, long attachmentId, CurrentUser user, CancellationToken ct)
    {
        var p = DemandStore.ReachParameters(user);
        p.Add("attachmentId", attachmentId);
        p.Add("internalToo", DemandStore.SeesInternal(user));
        return await connection.ExecuteScalarAsync<bool>(new CommandDefinition($"""
            SELECT EXISTS (
                SELECT 1 FROM demand_event_attachments a
                JOIN demand_events ev ON ev.id = a.event_id
                JOIN demands d ON d.id = ev.demand_id
                JOIN enterprises e ON e.id = d.enterprise_id
                WHERE a.attachment_id = @attachmentId AND (@internalToo OR ev.visibility = 'public') AND {DemandStore.ReachClause(user)})
            """, p, cancellationToken: ct));
    }

    private static IResult TooLarge(long max) =>
        Problems.Create(StatusCodes.Status413PayloadTooLarge, "request.too_large", "文件过大", $"文件不能超过 {max / 1024 / 1024} MB。");
}
