using System.Security.Cryptography;
using System.Text;
using Dapper;
using EcoAid.Api.Infrastructure.Auth;
using MySqlConnector;

namespace EcoAid.Api.Infrastructure.Http;

/// <summary>
/// <c>Idempotency-Key</c> for creating POSTs whose handler does not claim the key in its own transaction (the
/// organisation admin, invites, uploads). The key is claimed before the handler runs and the answer stored after it:
/// same user + key + body → the first answer again; another body → 422; a retry while the first still runs → 409.
/// A failed first attempt (not 2xx) releases the key, so a corrected retry goes through. The body is hashed as sent,
/// with the path, so one key cannot be replayed on another endpoint.
/// </summary>
public sealed class IdempotencyFilter(MySqlDataSource db, TimeProvider clock) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (Idempotency.ValidateHeader(http.Request, out var key) is { } badKey)
        {
            return badKey;
        }
        if (key is null)
        {
            return await next(context);
        }
        var user = CurrentUser.From(http);
        var hash = await HashAsync(http.Request);

        await using (var connection = await db.OpenConnectionAsync(http.RequestAborted))
        {
            await using var tx = await connection.BeginTransactionAsync(http.RequestAborted);
            var claim = await Idempotency.ClaimAsync(connection, tx, user.Id, key, hash, clock.GetUtcNow(), http.RequestAborted);
            if (!claim.Proceed)
            {
                return claim.Answer;
            }
            await tx.CommitAsync(http.RequestAborted);
        }

        int status;
        string body;
        string? location;
        try
        {
            var result = await next(context);
            (status, body, location) = await RenderAsync(http, result);
        }
        catch
        {
            await ReleaseAsync(user.Id, key);
            throw;
        }

        if (status is >= 200 and < 300)
        {
            await using var connection = await db.OpenConnectionAsync(CancellationToken.None);
            await connection.ExecuteAsync(new CommandDefinition("""
                UPDATE idempotency_keys SET response_status = @status, response_body = @body, location = @location WHERE user_id = @Id AND idem_key = @key
                """, new { status, body, location, user.Id, key }, cancellationToken: CancellationToken.None));
        }
        else
        {
            await ReleaseAsync(user.Id, key);
        }
        return Results.Empty; // the answer is already written
    }

    private async Task ReleaseAsync(long userId, string key)
    {
        await using var connection = await db.OpenConnectionAsync(CancellationToken.None);
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM idempotency_keys WHERE user_id = @userId AND idem_key = @key AND response_status IS NULL",
            new { userId, key }, cancellationToken: CancellationToken.None));
    }

    /// <summary>Executes the handler's result into a buffer, sends it on, and returns what was sent.</summary>
    private static async Task<(int Status, string Body, string? Location)> RenderAsync(HttpContext http, object? result)
    {
        var original = http.Response.Body;
        await using var buffer = new MemoryStream();
        http.Response.Body = buffer;
        try
        {
            switch (result)
            {
                case IResult r:
                    await r.ExecuteAsync(http);
                    break;
                case null:
                    break;
                default:
                    await Results.Ok(result).ExecuteAsync(http);
                    break;
            }
        }
        finally
        {
            http.Response.Body = original;
        }
        buffer.Position = 0;
        await buffer.CopyToAsync(original, http.RequestAborted);
        return (http.Response.StatusCode, Encoding.UTF8.GetString(buffer.ToArray()), http.Response.Headers.Location.FirstOrDefault());
    }

    private static async Task<byte[]> HashAsync(HttpRequest request)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(Encoding.UTF8.GetBytes(request.Path.Value ?? ""));
        if (request.Body.CanSeek)
        {
            request.Body.Position = 0;
            var chunk = new byte[81920];
            int read;
            while ((read = await request.Body.ReadAsync(chunk, request.HttpContext.RequestAborted)) > 0)
            {
                sha.AppendData(chunk, 0, read);
            }
            request.Body.Position = 0; // a handler that reads the body itself (uploads) reads it from the start
        }
        return sha.GetHashAndReset();
    }
}

public static class IdempotencyFilterExtensions
{
    /// <summary>Lets the body be read again after binding, for requests that carry an Idempotency-Key.</summary>
    public static IApplicationBuilder UseIdempotencyBuffering(this IApplicationBuilder app) =>
        app.Use((http, next) =>
        {
            if (HttpMethods.IsPost(http.Request.Method) && http.Request.Headers.ContainsKey(Idempotency.Header))
            {
                http.Request.EnableBuffering();
            }
            return next(http);
        });

    /// <summary>Marks an endpoint that honours Idempotency-Key (the OpenAPI document then lists its 409 and 422).</summary>
    public sealed record Idempotent;

    public static RouteHandlerBuilder WithIdempotency(this RouteHandlerBuilder builder) =>
        builder.AddEndpointFilter<IdempotencyFilter>().WithMetadata(new Idempotent());
}
