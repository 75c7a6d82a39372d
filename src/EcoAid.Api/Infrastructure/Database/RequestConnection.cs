using MySqlConnector;

namespace EcoAid.Api.Infrastructure.Database;

/// <summary>
/// One pooled connection for a whole request, shared by the session check and the endpoint, for endpoints that carry
/// <see cref="Shared"/> in their metadata (<c>.WithMetadata(RequestConnection.Shared)</c>). Elsewhere the session check
/// opens and returns its own connection before the endpoint runs, as before, so no request holds two at once.
/// Opened on first use, returned to the pool when the request's services are disposed.
/// </summary>
public sealed class RequestConnection(MySqlDataSource db) : IAsyncDisposable
{
    /// <summary>Endpoint metadata: this endpoint takes its connection from <see cref="RequestConnection"/>.</summary>
    public static readonly SharedMarker Shared = new();

    public sealed class SharedMarker;

    private MySqlConnection? connection;

    public static bool IsSharedBy(HttpContext context) => context.GetEndpoint()?.Metadata.GetMetadata<SharedMarker>() is not null;

    public async ValueTask<MySqlConnection> OpenAsync(CancellationToken ct)
    {
        if (connection is null)
        {
            connection = await db.OpenConnectionAsync(ct);
        }
        return connection;
    }

    public async ValueTask DisposeAsync()
    {
        if (connection is not null)
        {
            await connection.DisposeAsync();
            connection = null;
        }
    }
}
