using Dapper;
using EcoAid.Wechat.AccessTokens;
using MySqlConnector;

namespace EcoAid.Api.Infrastructure.Wechat;

/// <summary>
/// Keeps WeChat access tokens in <c>wechat_access_tokens</c> so every instance uses the same one. A refresh holds the
/// named lock <c>wechat.token.{appid}</c>, re-reads the row and only then asks WeChat, so two instances never fetch at once.
/// </summary>
public sealed class MySqlAccessTokenStore(MySqlDataSource db, TimeProvider clock) : IAccessTokenStore
{
    public async Task<StoredAccessToken?> GetAsync(string appId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await ReadAsync(connection, appId, ct);
    }

    public async Task<StoredAccessToken> RefreshAsync(string appId, Func<StoredAccessToken?, CancellationToken, Task<StoredAccessToken>> refresh, CancellationToken ct)
    {
        var lockName = $"wechat.token.{appId}";
        await using var connection = await db.OpenConnectionAsync(ct);
        var locked = await connection.ExecuteScalarAsync<int?>(new CommandDefinition("SELECT GET_LOCK(@lockName, 10)", new { lockName }, cancellationToken: ct));
        if (locked != 1)
        {
            throw new EcoAid.Wechat.WechatUnavailableException("cgi-bin/stable_token", "another instance holds the token refresh lock");
        }
        try
        {
            var fresh = await refresh(await ReadAsync(connection, appId, ct), ct);
            const string upsert = """
                INSERT INTO wechat_access_tokens (app_id, access_token, expires_at, updated_at)
                VALUES (@appId, @Token, @ExpiresAt, @Now)
                ON DUPLICATE KEY UPDATE access_token = VALUES(access_token), expires_at = VALUES(expires_at), updated_at = VALUES(updated_at)
                """;
            await connection.ExecuteAsync(new CommandDefinition(upsert,
                new { appId, fresh.Token, ExpiresAt = fresh.ExpiresAt.UtcDateTime, Now = clock.GetUtcNow().UtcDateTime }, cancellationToken: ct));
            return fresh;
        }
        finally
        {
            await connection.ExecuteScalarAsync<int?>(new CommandDefinition("SELECT RELEASE_LOCK(@lockName)", new { lockName }, cancellationToken: CancellationToken.None));
        }
    }

    public async Task InvalidateAsync(string appId, string staleToken, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM wechat_access_tokens WHERE app_id = @appId AND access_token = @staleToken", new { appId, staleToken }, cancellationToken: ct));
    }

    private static async Task<StoredAccessToken?> ReadAsync(MySqlConnection connection, string appId, CancellationToken ct)
    {
        var row = await connection.QuerySingleOrDefaultAsync<(string Token, DateTime ExpiresAt)?>(new CommandDefinition(
            "SELECT access_token, expires_at FROM wechat_access_tokens WHERE app_id = @appId", new { appId }, cancellationToken: ct));
        return row is { } r ? new StoredAccessToken(r.Token, new DateTimeOffset(DateTime.SpecifyKind(r.ExpiresAt, DateTimeKind.Utc))) : null;
    }
}
