using Dapper;
using EcoAid.Api.Features.Demands;
using EcoAid.Api.Infrastructure;
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
        var maxBytes = routes.ServiceProvider.GetRequiredService<IOptions<AttachmentOptions>>().Value.MaxBytes;
        group.MapPost("/", Upload).Produces<UploadedAttachment>(201).WithBodyLimit(Uploads.BodyLimit(maxBytes)).RequireRateLimiting(Hardening.UploadPolicy).WithIdempotency().RequireAuthorization(DemandPolicies.Reader).DisableAntiforgery().WithName("UploadAttachment")
            .WithSummary("上传附件").WithDescription("multipart/form-data，字段名 file；JPEG、PNG、WebP 或 PDF（按文件内容识别），不超过 10 MB。返回 {id}。");
        group.MapGet("/{id:long}", Download).ProducesFile("image/jpeg", "image/png", "image/webp", "application/pdf").RequireAuthorization(DemandPolicies.Reader).WithName("DownloadAttachment")
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

    private static readonly IReadOnlySet<string> Accepted = new HashSet<string> { "image/jpeg", "image/png", "image/webp", "application/pdf" };

    static async Task<IResult> Upload(HttpRequest request, CurrentUser user, MySqlDataSource db, IAttachmentStore store, IOptions<AttachmentOptions> options,
        TimeProvider clock, CancellationToken ct)
    {
        var (file, problem) = await Uploads.ReceiveAsync(request, store, options.Value.MaxBytes, Accepted,
            "只能上传 JPEG、PNG、WebP 图片或 PDF 文件。", clock, ct);
        if (file is null)
        {
            return problem!;
        }
        await using var connection = await db.OpenConnectionAsync(ct);
        var id = await connection.ExecuteScalarAsync<long>(new CommandDefinition("""
            INSERT INTO attachments (branch_id, uploaded_by, storage_key, content_type, size_bytes, sha256, file_name, created_at)
            VALUES (@BranchId, @Id, @StorageKey, @ContentType, @Size, @Sha256, @FileName, @now);
            SELECT LAST_INSERT_ID();
            """, new { user.BranchId, user.Id, file.StorageKey, file.ContentType, file.Size, file.Sha256, file.FileName, now = clock.GetUtcNow().UtcDateTime },
            cancellationToken: ct));
        return TypedResults.Created($"/api/attachments/{id}", new UploadedAttachment(id, file.ContentType, file.Size));
    }

    /// <summary>
    /// The name a download carries: made by the server from the id and the sniffed type, never the client's name (which
    /// is kept as data). Images are shown inline; everything else is a download.
    /// </summary>
    public static (string FileName, bool Inline) DownloadName(long id, string contentType) => contentType switch
    {
        "image/jpeg" => ($"attachment-{id}.jpg", true),
        "image/png" => ($"attachment-{id}.png", true),
        "image/webp" => ($"attachment-{id}.webp", true),
        "application/pdf" => ($"attachment-{id}.pdf", false),
        _ => ($"attachment-{id}.bin", false),
    };

    /// <summary>Streams a stored file with its server-made name and a disposition that never lets a browser render it as a page.</summary>
    public static IResult Serve(HttpContext http, Stream stream, long id, string contentType)
    {
        var (name, inline) = DownloadName(id, contentType);
        var disposition = new Microsoft.Net.Http.Headers.ContentDispositionHeaderValue(inline ? "inline" : "attachment");
        disposition.SetHttpFileName(name);
        http.Response.Headers.ContentDisposition = disposition.ToString();
        http.Response.Headers.XContentTypeOptions = "nosniff";
        return Results.Stream(stream, contentType);
    }

    static async Task<IResult> Download(long id, HttpContext http, CurrentUser user, MySqlDataSource db, IAttachmentStore store, CancellationToken ct)
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
        return stream is null ? Problems.NotFound() : Serve(http, stream, id, a.ContentType);
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

}
