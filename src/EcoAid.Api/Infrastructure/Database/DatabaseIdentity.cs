using System.Security.Cryptography;
using Dapper;
using MySqlConnector;

namespace EcoAid.Api.Infrastructure.Database;

/// <summary>
/// An id made once per database (8 hex characters), read once per process: the prefix of the <c>client_msg_id</c> of
/// every template message, so that deployments sharing one Official Account never repeat one. A database found on
/// another server or under another name than where its id was made (a copy) makes a new id.
/// </summary>
public sealed class DatabaseIdentity(MySqlDataSource db, TimeProvider clock)
{
    private readonly SemaphoreSlim gate = new(1, 1);
    private string? token;

    public async Task<string> TokenAsync(CancellationToken ct)
    {
        if (Volatile.Read(ref token) is { } known)
        {
            return known;
        }
        await gate.WaitAsync(ct);
        try
        {
            if (token is not null)
            {
                return token;
            }
            await using var connection = await db.OpenConnectionAsync(ct);
            var here = await connection.ExecuteScalarAsync<string>(new CommandDefinition(
                "SELECT CONCAT(@@hostname, ':', @@port, '/', DATABASE())", cancellationToken: ct)) ?? "";
            var stored = await connection.QuerySingleOrDefaultAsync<(string Token, string MadeFor)?>(new CommandDefinition(
                "SELECT token, made_for FROM database_identity WHERE id = 1", cancellationToken: ct));
            if (stored is { } s && s.MadeFor == here)
            {
                return token = s.Token;
            }
            var fresh = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
            await connection.ExecuteAsync(new CommandDefinition("""
                INSERT INTO database_identity (id, token, made_for, made_at) VALUES (1, @fresh, @here, @now)
                ON DUPLICATE KEY UPDATE token = IF(made_for = VALUES(made_for), token, VALUES(token)),
                    made_at = IF(made_for = VALUES(made_for), made_at, VALUES(made_at)), made_for = VALUES(made_for)
                """, new { fresh, here, now = clock.GetUtcNow().UtcDateTime }, cancellationToken: ct));
            // Another instance may have made it first: what the database holds is the id.
            return token = await connection.ExecuteScalarAsync<string>(new CommandDefinition(
                "SELECT token FROM database_identity WHERE id = 1", cancellationToken: ct)) ?? fresh;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>The client_msg_id of an outbox row.</summary>
    public static string ClientMsgId(string token, long rowId) => $"{token}-{rowId}";
}
