using System.Security.Cryptography;
using System.Text.Json;
using Dapper;
using MySqlConnector;

namespace EcoAid.Api.Infrastructure.Http;

/// <summary>
/// <c>Idempotency-Key</c> on creating POSTs: the key is claimed in the transaction that creates the resource, and the
/// response is stored with it. Same user + key + body → the first response again; another body → 422; a retry while
/// the first request's transaction is still open → 409 (after at most a second). Different keys never wait on each other.
/// </summary>
public static class Idempotency
{
    public const string Header = "Idempotency-Key";

    /// <summary>A claim with no answer after this long belongs to a request that died; a retry may take it over.</summary>
    public static readonly TimeSpan AbandonedAfter = TimeSpan.FromMinutes(2);

    /// <summary>How long answers are kept for replay; older keys are purged.</summary>
    public static readonly TimeSpan KeptFor = TimeSpan.FromDays(7);

    /// <summary>The outcome of claiming a key: go ahead (Proceed), or answer with <see cref="Answer"/> now.</summary>
    public sealed record Claim(bool Proceed, IResult? Answer)
    {
        public static readonly Claim Go = new(true, null);
    }

    /// <summary>Null when the header is absent or valid; otherwise the problem to answer.</summary>
    public static IResult? ValidateHeader(HttpRequest request, out string? key)
    {
        key = request.Headers[Header].FirstOrDefault();
        if (key is null)
        {
            return null;
        }
        return key.Length is 0 or > 255 || key.Any(c => c is < '!' or > '~')
            ? Problems.BadRequest("idempotency.invalid_key", "Idempotency-Key 须为 1 到 255 个可见 ASCII 字符。")
            : null;
    }

    public static byte[] HashOf<T>(T request) => SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(request));

    public static async Task<Claim> ClaimAsync(MySqlConnection connection, MySqlTransaction tx, long userId, string? key, byte[] hash, DateTimeOffset now, CancellationToken ct)
    {
        if (key is null)
        {
            return Claim.Go;
        }
        // No locking read first: a locking read of a key that does not exist yet takes a gap lock, and the inserts of
        // other keys of the same user fall into that gap — honest parallel requests with their own keys then refused
        // each other. The insert alone locks only its own key; a concurrent request with the same key finds it (its
        // duplicate check waits for at most a second on a claim still being written) and is answered from it.
        var claimed = await TryInsertAsync(connection, tx, userId, key, hash, now, ct);
        if (claimed is true)
        {
            return Claim.Go;
        }
        if (claimed is null)
        {
            return InProgress();
        }
        var existing = await connection.QuerySingleOrDefaultAsync<StoredResponse>(new CommandDefinition("""
            SELECT request_hash, response_status, response_body, location, created_at FROM idempotency_keys
            WHERE user_id = @userId AND idem_key = @key
            """, new { userId, key }, tx, cancellationToken: ct));
        if (existing is null)
        {
            return InProgress(); // released between the two statements: the client retries
        }
        if (existing.ResponseStatus is null)
        {
            if (existing.CreatedAt >= (now - AbandonedAfter).UtcDateTime)
            {
                return InProgress();
            }
            // A claim whose request died before answering (a crash, a lost connection): the retry takes it over.
            var taken = await connection.ExecuteAsync(new CommandDefinition("""
                UPDATE idempotency_keys SET request_hash = @hash, created_at = @now
                WHERE user_id = @userId AND idem_key = @key AND response_status IS NULL AND created_at = @createdAt
                """, new { userId, key, hash, now = now.UtcDateTime, createdAt = existing.CreatedAt }, tx, cancellationToken: ct));
            return taken == 1 ? Claim.Go : InProgress();
        }
        if (!existing.RequestHash.AsSpan().SequenceEqual(hash))
        {
            return new Claim(false, Problems.Create(StatusCodes.Status422UnprocessableEntity, "idempotency.key_reused",
                "幂等键已被使用", "同一个 Idempotency-Key 已用于内容不同的请求，请为新请求生成新的键。"));
        }
        return new Claim(false, new StoredResult(existing.ResponseStatus.Value, existing.ResponseBody ?? "", existing.Location));
    }

    /// <summary>409: a request with the same key is still being answered.</summary>
    public static Claim InProgress() => new(false, Problems.Conflict("idempotency.in_progress", "相同的请求正在处理中，请稍后查看结果。"));

    /// <summary>
    /// The claim as SQL, for a caller that puts it at the head of its own batch (the demand submission: one round trip
    /// claims the key and writes the demand). Parameters <c>@claimUser</c>, <c>@claimKey</c>, <c>@claimHash</c> and
    /// <c>@claimAt</c>. Only the same user and key can wait here, and for one second at most: the session's wait is
    /// shortened for the insert and restored after it. When the insert is refused (<see cref="IsClaimRefusal"/>) the rest
    /// of the batch does not run and the wait is still shortened: the caller restores it (<see cref="RestoreWaitSql"/>),
    /// rolls back, and answers through <see cref="ClaimAsync"/>, which finds the key and decides as always.
    /// </summary>
    public const string ClaimSql = """
        SET SESSION innodb_lock_wait_timeout = 1;
        INSERT INTO idempotency_keys (user_id, idem_key, request_hash, created_at) VALUES (@claimUser, @claimKey, @claimHash, @claimAt);
        SET SESSION innodb_lock_wait_timeout = DEFAULT;
        """;

    /// <summary>A key to claim in a caller's batch with <see cref="ClaimSql"/>: the user's, the key, the request's hash.</summary>
    public sealed record KeyClaim(long UserId, string Key, byte[] Hash);

    /// <summary>Restores the session's lock wait after <see cref="ClaimSql"/> was refused.</summary>
    public const string RestoreWaitSql = "SET SESSION innodb_lock_wait_timeout = DEFAULT;";

    /// <summary>The key exists already (committed) or another open transaction holds it: the claim's insert was refused.</summary>
    public static bool IsClaimRefusal(MySqlException e) =>
        e.ErrorCode is MySqlErrorCode.DuplicateKeyEntry or MySqlErrorCode.LockWaitTimeout or MySqlErrorCode.LockDeadlock;

    /// <summary>True: claimed. False: the key exists (committed). Null: another open transaction holds the same key.</summary>
    private static async Task<bool?> TryInsertAsync(MySqlConnection connection, MySqlTransaction tx, long userId, string key, byte[] hash,
        DateTimeOffset now, CancellationToken ct)
    {
        // Only the same user and key can wait here, and for one second at most. One round trip: the session's wait is
        // shortened, the key inserted and the wait restored in one batch (the finally restores it when the insert fails).
        var restored = false;
        try
        {
            await connection.ExecuteAsync(new CommandDefinition(ClaimSql,
                new { claimUser = userId, claimKey = key, claimHash = hash, claimAt = now.UtcDateTime }, tx, cancellationToken: ct));
            restored = true;
            return true;
        }
        catch (MySqlException e) when (IsClaimRefusal(e))
        {
            return e.ErrorCode == MySqlErrorCode.DuplicateKeyEntry ? false : null;
        }
        finally
        {
            if (!restored && connection.State == System.Data.ConnectionState.Open)
            {
                await connection.ExecuteAsync(new CommandDefinition(RestoreWaitSql, transaction: tx, cancellationToken: CancellationToken.None));
            }
        }
    }

    public static async Task CompleteAsync<T>(MySqlConnection connection, MySqlTransaction tx, long userId, string? key, int status, T body, string? location,
        JsonSerializerOptions json, CancellationToken ct)
    {
        if (key is null)
        {
            return;
        }
        await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE idempotency_keys SET response_status = @status, response_body = @body, location = @location WHERE user_id = @userId AND idem_key = @key
            """, new { status, body = JsonSerializer.Serialize(body, json), location, userId, key }, tx, cancellationToken: ct));
    }

    private sealed class StoredResponse
    {
        public byte[] RequestHash { get; init; } = [];
        public int? ResponseStatus { get; init; }
        public string? ResponseBody { get; init; }
        public string? Location { get; init; }
        public DateTime CreatedAt { get; init; }
    }

    private sealed class StoredResult(int status, string body, string? location) : IResult
    {
        public async Task ExecuteAsync(HttpContext http)
        {
            http.Response.StatusCode = status;
            if (location is not null)
            {
                http.Response.Headers.Location = location;
            }
            http.Response.Headers["Idempotent-Replayed"] = "true";
            http.Response.ContentType = "application/json; charset=utf-8";
            await http.Response.WriteAsync(body, http.RequestAborted);
        }
    }
}
