using EcoAid.Api.Features.Organisation;
using System.Data.Common;
using System.Text.Json;
using Dapper;
using EcoAid.Api.Features.Attachments;
using EcoAid.Api.Features.Demands;
using EcoAid.Api.Infrastructure;
using EcoAid.Api.Infrastructure.Http;
using EcoAid.Api.Infrastructure.Validation;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using MySqlConnector;
using JsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;

namespace EcoAid.Api.Features.PolicyLibrary;

/// <summary>
/// The public library: anyone in WeChat reads published documents without logging in. Answers come from
/// <see cref="PolicyCache"/> as ready bytes with an ETag (If-None-Match → 304); a view is an in-memory increment.
/// </summary>
public static class PoliciesApi
{
    public const int MaxQueryLength = 50;

    /// <summary>Public answers may be stored by clients and proxies, but must be revalidated (cheaply, by ETag) on every use.</summary>
    public const string PublicCacheControl = "public, no-cache";

    public static IEndpointRouteBuilder MapPublicPolicies(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/policies").WithTags("Policies").AllowAnonymous();
        group.MapGet("/", ListPolicies).WithName(nameof(ListPolicies))
            .Produces<PagedList<PolicyListItem>>().ProducesValidationProblem()
            .WithSummary("政策文件列表（无需登录）")
            .WithDescription("只含已发布的文件，按发布时间倒序。category 按分类筛选；q 在标题、摘要和正文中查找中文子串（最多 50 字），标题命中的排在前面，其次摘要，再次正文。"
                + "应答带 ETag 与 Cache-Control，带 If-None-Match 再次请求时内容未变返回 304。");
        group.MapGet("/{id:long}", GetPolicy).WithName(nameof(GetPolicy))
            .Produces<PolicyDetail>().ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("政策文件详情（无需登录）")
            .WithDescription("已发布文件的全文，bodyHtml 为净化后的 HTML，可直接交给 rich-text 组件；草稿和已撤回的文件返回 404。每次打开（含 304）计一次浏览。");
        group.MapGet("/{id:long}/attachments/{attachmentId:long}", DownloadPolicyAttachment).ProducesFile("image/jpeg", "image/png", "image/webp", "application/pdf").WithName(nameof(DownloadPolicyAttachment))
            .WithSummary("下载政策文件附件（无需登录）").WithDescription("已发布文件的 PDF 附件。");
        routes.MapGet("/api/scan/{scene}", Scan).WithTags("Policies").AllowAnonymous().WithName(nameof(Scan))
            .Produces<ScanResponse>().ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("扫码打开执法说明（无需登录）")
            .WithDescription("小程序码的 scene（页面 onLoad 中 decodeURIComponent(query.scene)）换成它指向的文件，并按文件、来源和日期计一次扫码。未知的 scene 或未发布的文件返回 404。");
        return routes;
    }

    static async Task<IResult> ListPolicies(HttpContext http, PolicyCache cache, MySqlDataSource db, SearchGate gate, PolicySearchResults results,
        PolicyListItems listItems, PolicySynonyms synonyms, IOptions<JsonOptions> json, string? category, string? q, int? page, int? pageSize)
    {
        if (!Paging.TryCreate(page, pageSize, out var paging, out var errors))
        {
            return Problems.Validation(errors);
        }
        if (category is not null && !PolicyCategories.Names.ContainsKey(category))
        {
            return Problems.Validation("category", ValidationErrors.OneOfMessage(PolicyCategories.Names.Keys, PolicyCategories.Names));
        }
        var query = string.IsNullOrWhiteSpace(q) ? null : q.Trim();
        if (query is { Length: > MaxQueryLength })
        {
            return Problems.Validation("q", $"搜索词不能超过 {MaxQueryLength} 个字。");
        }
        try
        {
            // A search's answer depends on the synonym groups too: their stamp is in its key. The query text goes last, so
            // no two requests share a key.
            var groups = query is null ? null : await synonyms.CurrentAsync();
            var key = $"list|{groups?.Stamp}|{paging.Page}|{paging.PageSize}|{category}|{query}";
            // Search pages past the first few are put together from memory each time (ranked ids and items are kept): kept
            // as answers too, a reader paging through every page size of a common term would fill the cache for nothing.
            var answer = query is not null && paging.Page > MaxCachedSearchPage
                ? await BuildSearchAsync(db, gate, results, listItems, groups!, json.Value.SerializerOptions, category, query, paging)
                : await cache.GetAsync(key, (db, gate, results, listItems, groups, json.Value.SerializerOptions, category, query, paging), static s => s.query is null
                    ? BuildListAsync(s.db, s.SerializerOptions, s.category, s.paging)
                    : BuildSearchAsync(s.db, s.gate, s.results, s.listItems, s.groups!, s.SerializerOptions, s.category, s.query, s.paging));
            return Send(http, answer);
        }
        catch (SearchBusyException)
        {
            http.Response.Headers.RetryAfter = "2";
            return Problems.Create(StatusCodes.Status503ServiceUnavailable, "policy.search_busy", "搜索繁忙", "现在搜索的人较多，请稍后再试。");
        }
    }

    static async Task<IResult> GetPolicy(long id, HttpContext http, PolicyCache cache, PolicyCounters counters, MySqlDataSource db, IOptions<JsonOptions> json)
    {
        var answer = await cache.GetAsync($"detail|{id}", (db, json.Value.SerializerOptions, id), static async s =>
        {
            await using var connection = await s.db.OpenConnectionAsync();
            var detail = await PublishedDetailAsync(connection, s.id, CancellationToken.None);
            return detail is null ? CachedAnswer.NotFound : CachedAnswer.For(JsonSerializer.SerializeToUtf8Bytes(detail, s.SerializerOptions), s.id);
        });
        if (answer.Body is not null)
        {
            counters.CountView(id);
        }
        return Send(http, answer);
    }

    static async Task<IResult> Scan(string scene, HttpContext http, PolicyCache cache, PolicyCounters counters, MySqlDataSource db, IOptions<JsonOptions> json)
    {
        if (!ExplainerScenes.IsValid(scene))
        {
            return Problems.NotFound("未找到这个二维码对应的内容。");
        }
        var answer = await cache.GetAsync($"scan|{scene}", (db, json.Value.SerializerOptions, scene), static async s =>
        {
            await using var connection = await s.db.OpenConnectionAsync();
            var code = await connection.QuerySingleOrDefaultAsync<(long PolicyId, string Source)?>(new CommandDefinition(
                "SELECT policy_id, source FROM policy_qrcodes WHERE scene = @scene", new { s.scene }));
            if (code is not { } found || await PublishedDetailAsync(connection, found.PolicyId, CancellationToken.None) is not { } detail)
            {
                return CachedAnswer.NotFound;
            }
            return CachedAnswer.For(JsonSerializer.SerializeToUtf8Bytes(new ScanResponse(s.scene, found.Source, detail), s.SerializerOptions), found.PolicyId, found.Source);
        });
        if (answer.Body is null)
        {
            return Problems.NotFound("未找到这个二维码对应的内容，或文件已撤回。");
        }
        counters.CountScan(answer.PolicyId, answer.Source!);
        return Send(http, answer);
    }

    static async Task<IResult> DownloadPolicyAttachment(long id, long attachmentId, MySqlDataSource db, IAttachmentStore store, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var file = await connection.QuerySingleOrDefaultAsync<(string StorageKey, string ContentType, string? FileName, byte[] Sha256)?>(new CommandDefinition("""
            SELECT a.storage_key, a.content_type, a.file_name, a.sha256
            FROM policy_attachments pa JOIN policies p ON p.id = pa.policy_id JOIN attachments a ON a.id = pa.attachment_id
            WHERE pa.policy_id = @id AND pa.attachment_id = @attachmentId AND p.status = 'published'
            """, new { id, attachmentId }, cancellationToken: ct));
        if (file is not { } f || await store.OpenAsync(f.StorageKey, ct) is not { } stream)
        {
            return Problems.NotFound();
        }
        // The stored name is shown in the document's list; the download carries a server-made one.
        return Results.Stream(stream, f.ContentType, Attachments.AttachmentsApi.DownloadName(attachmentId, f.ContentType).FileName, entityTag: new EntityTagHeaderValue($"\"{Convert.ToHexStringLower(f.Sha256)}\""));
    }

    /// <summary>Sends a cached answer: 304 when the client has it already, else the bytes; either way with ETag and Cache-Control.</summary>
    internal static IResult Send(HttpContext http, CachedAnswer answer)
    {
        if (answer.Body is null)
        {
            return Problems.NotFound();
        }
        var headers = http.Response.Headers;
        headers.ETag = answer.ETag;
        headers.CacheControl = PublicCacheControl;
        return Matches(http.Request.Headers.IfNoneMatch, answer.ETag)
            ? Results.StatusCode(StatusCodes.Status304NotModified)
            : Results.Bytes(answer.Body, "application/json; charset=utf-8");
    }

    private static bool Matches(Microsoft.Extensions.Primitives.StringValues ifNoneMatch, string etag)
    {
        foreach (var header in ifNoneMatch)
        {
            foreach (var part in (header ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                // If-None-Match compares weakly: W/"x" matches "x".
                if (part == "*" || part == etag || part.StartsWith("W/", StringComparison.Ordinal) && part[2..] == etag)
                {
                    return true;
                }
            }
        }
        return false;
    }

    /// <summary>Search answers of pages up to this one are kept in the answer cache; later pages are put together each time.</summary>
    private const int MaxCachedSearchPage = 3;

    private const string ListColumns = "p.id, p.category, p.title, p.summary, p.tags, p.source, p.effective_date, p.published_at";

    private static async Task<CachedAnswer> BuildListAsync(MySqlDataSource db, JsonSerializerOptions json, string? category, Paging paging)
    {
        var filter = category is null ? "p.status = 'published'" : "p.status = 'published' AND p.category = @category";
        await using var connection = await db.OpenConnectionAsync();
        await using var results = await connection.QueryMultipleAsync(new CommandDefinition($"""
            SELECT {ListColumns} FROM policies p WHERE {filter} ORDER BY p.published_at DESC, p.id DESC LIMIT @PageSize OFFSET @Offset;
            SELECT COUNT(*) FROM policies p WHERE {filter};
            """, new { category, paging.PageSize, paging.Offset }));
        var items = (await results.ReadAsync<PolicyListRow>()).Select(r => r.ToItem()).ToList();
        var total = await results.ReadSingleAsync<long>();
        return CachedAnswer.For(JsonSerializer.SerializeToUtf8Bytes(new PagedList<PolicyListItem>(items, total, paging.Page, paging.PageSize), json));
    }

    /// <summary>
    /// A search page: the query widened by the synonym groups (<see cref="PolicySynonyms"/>), the ranked ids of all its
    /// matches from <see cref="PolicySearchResults"/> (ranked through the bigram index once per library version, behind the
    /// <see cref="SearchGate"/>), and this page's items from <see cref="PolicyListItems"/> — read by primary key only when
    /// not seen since the library last changed. Another page of a ranked query usually needs no query at all.
    /// </summary>
    private static async Task<CachedAnswer> BuildSearchAsync(MySqlDataSource db, SearchGate gate, PolicySearchResults results, PolicyListItems listItems,
        PolicySynonyms.Snapshot synonyms, JsonSerializerOptions json, string? category, string query, Paging paging)
    {
        var phrases = PolicySearchIndex.Phrases(query, synonyms.Groups);
        // Phrases are folded text of at most 50 characters each; the unit separator cannot occur in a query that matches.
        var key = $"{category}\u001f{string.Join('\u001f', phrases)}";
        var ranked = await results.GetAsync(key, (db, gate, category, phrases), static s => s.gate.RunAsync(async () =>
        {
            await using var connection = await s.db.OpenConnectionAsync();
            return await RankAsync(connection, s.category, s.phrases);
        }));
        var pageIds = ranked.AsSpan(Math.Min(paging.Offset, ranked.Length), Math.Clamp(ranked.Length - paging.Offset, 0, paging.PageSize)).ToArray();
        var items = pageIds.Length == 0 ? [] : await listItems.GetAsync(pageIds, async ids =>
        {
            await using var connection = await db.OpenConnectionAsync();
            // A document unpublished since the ranking moved the library version on: left out, and the next request ranks again.
            return (await connection.QueryAsync<PolicyListRow>(new CommandDefinition(
                    $"SELECT {ListColumns} FROM policies p WHERE p.id IN @ids AND p.status = 'published'", new { ids })))
                .ToDictionary(r => r.Id, r => JsonSerializer.SerializeToUtf8Bytes(r.ToItem(), json));
        });
        return CachedAnswer.For(Page(items, ranked.Length, paging, json));
    }

    /// <summary>The page's JSON around items already serialised: what serialising a <see cref="PagedList{T}"/> of them would give.</summary>
    private static byte[] Page(List<byte[]> items, long total, Paging paging, JsonSerializerOptions json)
    {
        var envelope = JsonSerializer.SerializeToUtf8Bytes(new PagedList<PolicyListItem>([], total, paging.Page, paging.PageSize), json);
        var at = envelope.AsSpan().IndexOf("[]"u8) + 1; // items come first: {"items":[],...
        var body = new byte[envelope.Length + items.Sum(i => i.Length) + Math.Max(0, items.Count - 1)];
        envelope.AsSpan(0, at).CopyTo(body);
        var position = at;
        for (var k = 0; k < items.Count; k++)
        {
            if (k > 0)
            {
                body[position++] = (byte)',';
            }
            items[k].CopyTo(body, position);
            position += items[k].Length;
        }
        envelope.AsSpan(at).CopyTo(body.AsSpan(position));
        return body;
    }

    /// <summary>Every published match's id, title hits first, then summary, then body; newest first within each (ids only).</summary>
    private static async Task<long[]> RankAsync(MySqlConnection connection, string? category, IReadOnlyList<string> phrases)
    {
        var filter = category is null ? "p.status = 'published'" : "p.status = 'published' AND p.category = @category";
        var parameters = new DynamicParameters(new { category });
        var matches = PolicySearchIndex.Matches(phrases, filter, parameters);
        return (await connection.QueryAsync<long>(new CommandDefinition($"""
            SELECT h.policy_id FROM ({matches}) h JOIN policies p ON p.id = h.policy_id
            ORDER BY h.hit, p.published_at DESC, p.id DESC
            """, parameters, flags: CommandFlags.Buffered | CommandFlags.NoCache))).ToArray(); // one statement per query's terms: not kept by Dapper
    }

    internal const string SelectPolicy = $"""
        SELECT p.id, p.branch_id, p.category, p.title, p.summary, p.body, p.tags, p.source, p.effective_date, p.status, p.revision,
               p.created_at, p.updated_at, {PersonNames.Name} AS updated_by_name, p.published_at, p.unpublished_at
        FROM policies p LEFT JOIN users u ON u.id = p.updated_by
        """;

    private static async Task<PolicyDetail?> PublishedDetailAsync(MySqlConnection connection, long id, CancellationToken ct)
    {
        var row = await connection.QuerySingleOrDefaultAsync<PolicyRow>(new CommandDefinition(
            $"{SelectPolicy} WHERE p.id = @id AND p.status = 'published'", new { id }, cancellationToken: ct));
        return row is null ? null : row.ToDetail(await AttachmentsOfAsync(connection, null, id, ct));
    }

    internal static async Task<IReadOnlyList<PolicyAttachment>> AttachmentsOfAsync(DbConnection connection, DbTransaction? tx, long policyId, CancellationToken ct) =>
        (await connection.QueryAsync<(long Id, string? FileName, long SizeBytes)>(new CommandDefinition("""
            SELECT a.id, a.file_name, a.size_bytes FROM policy_attachments pa JOIN attachments a ON a.id = pa.attachment_id
            WHERE pa.policy_id = @policyId ORDER BY pa.position, a.id
            """, new { policyId }, tx, cancellationToken: ct)))
        .Select(a => new PolicyAttachment(a.Id, a.FileName, a.SizeBytes, $"/api/policies/{policyId}/attachments/{a.Id}")).ToList();
}
