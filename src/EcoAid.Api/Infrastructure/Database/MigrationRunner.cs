using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using MySqlConnector;

namespace EcoAid.Api.Infrastructure.Database;

/// <summary>One migration script: its file name (which orders it) and its SQL.</summary>
public sealed record Migration(string Name, string Sql)
{
    public string Checksum => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Sql)));

    /// <summary>The scripts under Database/Migrations, embedded in this assembly, in name order.</summary>
    public static IReadOnlyList<Migration> Embedded()
    {
        var assembly = typeof(Migration).Assembly;
        return assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith("migrations/", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(n => new Migration(n["migrations/".Length..], Read(assembly, n)))
            .ToList();
    }

    private static string Read(Assembly assembly, string resource)
    {
        using var stream = assembly.GetManifestResourceStream(resource)!;
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }
}

/// <summary>A migration problem that must stop startup (an edited applied script, a lock not obtained).</summary>
public sealed class MigrationException(string message) : Exception(message);

/// <summary>
/// Applies plain SQL migrations in name order and journals each one with its SHA-256 in <c>schema_migrations</c>. It refuses
/// a pending script named below the last applied one, so every database applies the same sequence.
/// The whole run holds a MySQL named lock, so instances starting together apply each script exactly once. MySQL DDL
/// commits implicitly, so a failed script is fixed forward with a new one, never by editing an applied one.
/// </summary>
public sealed partial class MigrationRunner(MySqlDataSource dataSource, ILogger<MigrationRunner> logger, TimeProvider clock)
{
    private const string LockPrefix = "ecoaid.migrations";
    private static readonly TimeSpan LockWait = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The named lock of <paramref name="database"/>'s migrations. Named locks are the server's, not a database's: one
    /// name per database, so that instances migrating other databases on the same server (other deployments, the test
    /// classes' databases) do not wait for each other. MySQL 8 refuses names over 64 characters: a long database name is
    /// hashed.
    /// </summary>
    internal static string LockNameFor(string database)
    {
        var name = $"{LockPrefix}.{database}";
        return name.Length <= 64 ? name
            : $"{LockPrefix}.{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(database)))[..40]}";
    }

    public async Task<int> ApplyAsync(IReadOnlyList<Migration> migrations, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var lockName = LockNameFor(connection.Database);
        var locked = await connection.ExecuteScalarAsync<int?>(new CommandDefinition(
            "SELECT GET_LOCK(@LockName, @Seconds)", new { LockName = lockName, Seconds = (int)LockWait.TotalSeconds }, cancellationToken: ct));
        if (locked != 1)
        {
            throw new MigrationException($"等待迁移锁超时（{LockWait.TotalSeconds} 秒）：另一个实例可能正在执行数据库迁移。");
        }
        try
        {
            const string createJournal = """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    name       VARCHAR(255) NOT NULL PRIMARY KEY,
                    checksum   CHAR(64)     NOT NULL,
                    applied_at DATETIME(6)  NOT NULL
                ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
                """;
            await connection.ExecuteAsync(new CommandDefinition(createJournal, cancellationToken: ct));

            var applied = (await connection.QueryAsync<(string Name, string Checksum)>(new CommandDefinition(
                "SELECT name, checksum FROM schema_migrations", cancellationToken: ct))).ToDictionary(r => r.Name, r => r.Checksum);

            foreach (var (name, checksum) in applied)
            {
                var script = migrations.FirstOrDefault(m => m.Name == name);
                if (script is not null && script.Checksum != checksum)
                {
                    throw new MigrationException(
                        $"Migration {name} was changed after it was applied (journal checksum {checksum}, file {script.Checksum}). " +
                        "Applied scripts must never be edited: restore the original and add a new script instead.");
                }
            }

            var pending = migrations.Where(m => !applied.ContainsKey(m.Name)).ToList();
            if (OutOfOrder(pending, applied.Keys) is { } refusal)
            {
                throw new MigrationException(refusal);
            }

            var count = 0;
            foreach (var migration in pending)
            {
                Log.Applying(logger, migration.Name);
                await connection.ExecuteAsync(new CommandDefinition(migration.Sql, cancellationToken: ct));
                await connection.ExecuteAsync(new CommandDefinition(
                    "INSERT INTO schema_migrations (name, checksum, applied_at) VALUES (@Name, @Checksum, @AppliedAt)",
                    new { migration.Name, migration.Checksum, AppliedAt = clock.GetUtcNow().UtcDateTime }, cancellationToken: ct));
                count++;
            }
            return count;
        }
        finally
        {
            await connection.ExecuteScalarAsync<int?>(new CommandDefinition("SELECT RELEASE_LOCK(@LockName)", new { LockName = lockName }, cancellationToken: CancellationToken.None));
        }
    }

    /// <summary>
    /// Every database must apply the same sequence: a pending script named below the last applied one would run after it
    /// here but before it on a fresh database. Such a script must be renumbered above the last applied one.
    /// </summary>
    public static string? OutOfOrder(IReadOnlyList<Migration> pending, IEnumerable<string> applied)
    {
        var last = applied.Max(StringComparer.Ordinal);
        if (last is null)
        {
            return null;
        }
        var early = pending.Where(m => StringComparer.Ordinal.Compare(m.Name, last) < 0).Select(m => m.Name).ToList();
        return early.Count == 0 ? null :
            $"Migration {string.Join(", ", early)} is numbered below the last applied migration {last}; it would run in a different order " +
            "here than on a fresh database. Renumber it after the last applied one (the next free number), then start again. Nothing was applied.";
    }

    /// <summary>The names of scripts not yet applied (for /readyz); all of them when the journal does not exist yet.</summary>
    public async Task<IReadOnlyList<string>> PendingAsync(IReadOnlyList<Migration> migrations, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var exists = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = 'schema_migrations'", cancellationToken: ct));
        if (exists == 0)
        {
            return migrations.Select(m => m.Name).ToList();
        }
        var applied = (await connection.QueryAsync<string>(new CommandDefinition("SELECT name FROM schema_migrations", cancellationToken: ct))).ToHashSet();
        return migrations.Where(m => !applied.Contains(m.Name)).Select(m => m.Name).ToList();
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1000, Level = LogLevel.Information, Message = "Applying migration {Name}")]
        public static partial void Applying(ILogger logger, string name);
    }
}
