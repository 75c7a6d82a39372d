using Dapper;
using MySqlConnector;

namespace EcoAid.Api.Tests.Infrastructure;

/// <summary>
/// A fresh, empty database on the test MariaDB for one test class, dropped afterwards. The server comes from
/// ECOAID_TEST_MYSQL, which scripts/test.sh sets after starting its private MariaDB. Without it every database test
/// fails at once: a green run always means the SQL really ran.
/// </summary>
public sealed class MySqlDatabase : IAsyncLifetime
{
    public const string ServerVariable = "ECOAID_TEST_MYSQL";

    public string Name { get; } = $"ecoaid_t_{Guid.NewGuid():N}"[..26];

    public string ConnectionString { get; private set; } = "";

    public static string ServerConnectionString =>
        Environment.GetEnvironmentVariable(ServerVariable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"{ServerVariable} is not set. Run the tests with scripts/test.sh, which starts a private MariaDB and sets it.");

    public async ValueTask InitializeAsync()
    {
        await CreateAsync(Name, "utf8mb4");
        ConnectionString = new MySqlConnectionStringBuilder(ServerConnectionString) { Database = Name }.ConnectionString;
    }

    /// <summary>Creates another database on the same server (for tests of what startup refuses).</summary>
    public static async Task CreateAsync(string name, string charset)
    {
        await using var connection = new MySqlConnection(ServerConnectionString);
        await connection.OpenAsync();
        var collation = charset == "utf8mb4" ? "utf8mb4_unicode_ci" : $"{charset}_general_ci";
        await connection.ExecuteAsync($"CREATE DATABASE `{name}` CHARACTER SET {charset} COLLATE {collation}");
    }

    public static async Task DropAsync(string name)
    {
        await using var connection = new MySqlConnection(ServerConnectionString);
        await connection.OpenAsync();
        await connection.ExecuteAsync($"DROP DATABASE IF EXISTS `{name}`");
    }

    public async Task<MySqlConnection> OpenAsync()
    {
        var connection = new MySqlConnection(ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    public async ValueTask DisposeAsync()
    {
        MySqlConnection.ClearAllPools();
        await DropAsync(Name);
    }
}
