using MySqlConnector;

namespace EcoAid.Api.Infrastructure.Database;

/// <summary>
/// One pooled connection for a whole request, shared by the session check and the endpoint, for endpoints that carry
/// <see cref="Shared"/> or <see cref="SharedReadOnly"/> in their metadata (<c>.WithMetadata(RequestConnection.Shared)</c>).
/// Elsewhere the session check opens and returns its own connection before the endpoint runs, as before, so no request
/// holds two at once. Opened on first use, returned to its pool when the request's services are disposed.
/// </summary>
public sealed class RequestConnection(MySqlDataSource db, ReadOnlyConnections readOnlyConnections) : IAsyncDisposable
{
    /// <summary>Endpoint metadata: this endpoint takes its connection from <see cref="RequestConnection"/>.</summary>
    public static readonly SharedMarker Shared = new(false);

    /// <summary>
    /// Endpoint metadata: as <see cref="Shared"/>, for an endpoint that only reads and sets nothing on the connection
    /// (no transaction, no session variable, no lock): its connection comes from <see cref="ReadOnlyConnections"/>,
    /// which skips the reset.
    /// </summary>
    public static readonly SharedMarker SharedReadOnly = new(true);

    public sealed class SharedMarker(bool readOnly)
    {
        public bool ReadOnly { get; } = readOnly;
    }

    private MySqlConnection? connection;

    public static bool IsSharedBy(HttpContext context) => MarkerOf(context) is not null;

    public static SharedMarker? MarkerOf(HttpContext context) => context.GetEndpoint()?.Metadata.GetMetadata<SharedMarker>();

    /// <summary>The request's connection, opened on first use (from the read-only pool when <paramref name="readOnly"/>).</summary>
    public async ValueTask<MySqlConnection> OpenAsync(CancellationToken ct, bool readOnly = false)
    {
        if (connection is null)
        {
            connection = await (readOnly ? readOnlyConnections.Source : db).OpenConnectionAsync(ct);
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

/// <summary>
/// A second, smaller pool on the same database for read-only requests (<see cref="RequestConnection.SharedReadOnly"/>):
/// its connections are not reset when taken from the pool (<c>ConnectionReset=false</c>), which saves a round trip per
/// request. That is sound only because nothing that runs on them changes the session's state: the session check and
/// the endpoints marked read-only run plain SELECTs, no transaction, no <c>SET</c>, no <c>GET_LOCK</c>. Anything that
/// writes or sets session state must use the main pool.
/// </summary>
public sealed class ReadOnlyConnections(MySqlDataSource db) : IAsyncDisposable
{
    /// <summary>
    /// At most this many connections, on top of the main pool's (100 by default): one per concurrent list request, as
    /// many as the benchmark's 64 connections. A request waits for a free one up to Database:ConnectTimeout (1 s), then
    /// answers 503, as it would on the main pool. Both pools full at once hold up to 164 server connections: the server's
    /// max_connections (151 by default on MariaDB and MySQL 8) should allow that.
    /// </summary>
    public const int MaximumPoolSize = 64;

    private readonly Lazy<MySqlDataSource> source = new(() => new MySqlDataSourceBuilder(
        new MySqlConnectionStringBuilder(db.ConnectionString) { ConnectionReset = false, MaximumPoolSize = MaximumPoolSize }.ConnectionString).Build());

    public MySqlDataSource Source => source.Value;

    public async ValueTask DisposeAsync()
    {
        if (source.IsValueCreated)
        {
            await source.Value.DisposeAsync();
        }
    }
}
