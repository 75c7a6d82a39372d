using Dapper;
using EcoAid.Api.Infrastructure.Database;
using EcoAid.Api.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using MySqlConnector;

namespace EcoAid.Api.Tests.Database;

public class MigrationTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static MigrationRunner Runner(string connectionString) =>
        new(new MySqlDataSourceBuilder(connectionString).Build(), NullLogger<MigrationRunner>.Instance, TimeProvider.System);

    [Fact]
    public async Task TwoInstancesStartingTogetherApplyEachScriptOnce()
    {
        await using var database = new MySqlDatabase();
        await database.InitializeAsync();
        var migrations = Migration.Embedded();

        var applied = await Task.WhenAll(
            Task.Run(() => Runner(database.ConnectionString).ApplyAsync(migrations, Ct), Ct),
            Task.Run(() => Runner(database.ConnectionString).ApplyAsync(migrations, Ct), Ct));

        Assert.Equal(migrations.Count, applied.Sum());
        await using var connection = await database.OpenAsync();
        var journal = (await connection.QueryAsync<string>("SELECT name FROM schema_migrations ORDER BY name")).ToList();
        Assert.Equal(migrations.Select(m => m.Name), journal);
        Assert.Equal(0, await Runner(database.ConnectionString).ApplyAsync(migrations, Ct));
    }

    [Fact]
    public async Task AnotherDatabasesMigrationOnTheSameServerDoesNotHoldThisOnesLock()
    {
        await using var database = new MySqlDatabase();
        await database.InitializeAsync();
        await using var other = new MySqlDatabase();
        await other.InitializeAsync();
        await using var otherConnection = await other.OpenAsync();
        // The other database's migrations are running: its lock is held (named locks are the server's).
        var otherLock = MigrationRunner.LockNameFor(otherConnection.Database);
        Assert.Equal(1, await otherConnection.ExecuteScalarAsync<int>("SELECT GET_LOCK(@otherLock, 0)", new { otherLock }));

        var applied = await Runner(database.ConnectionString).ApplyAsync(Migration.Embedded(), Ct).WaitAsync(TimeSpan.FromSeconds(30), Ct);

        Assert.Equal(Migration.Embedded().Count, applied);
        await using var connection = await database.OpenAsync();
        Assert.NotEqual(otherLock, MigrationRunner.LockNameFor(connection.Database));
        // A name MySQL 8 accepts (64 characters at most) whatever the database's name, the same for the same database.
        var longName = new string('d', 64);
        Assert.InRange(MigrationRunner.LockNameFor(longName).Length, 1, 64);
        Assert.Equal(MigrationRunner.LockNameFor(longName), MigrationRunner.LockNameFor(new string('d', 64)));
        Assert.NotEqual(MigrationRunner.LockNameFor(longName), MigrationRunner.LockNameFor(new string('d', 63) + "e"));
    }

    [Fact]
    public async Task AnEditedAppliedScriptStopsTheRunner()
    {
        await using var database = new MySqlDatabase();
        await database.InitializeAsync();
        var migrations = Migration.Embedded();
        await Runner(database.ConnectionString).ApplyAsync(migrations, Ct);

        var edited = migrations.Select((m, i) => i == 1 ? m with { Sql = m.Sql + "\n-- tidied up" } : m).ToList();
        var error = await Assert.ThrowsAsync<MigrationException>(() => Runner(database.ConnectionString).ApplyAsync(edited, Ct));

        Assert.Contains(migrations[1].Name, error.Message);
        Assert.Contains("changed after it was applied", error.Message);
    }

    [Fact]
    public async Task AScriptNumberedBelowTheLastAppliedOneIsRefusedAndNothingRuns()
    {
        await using var database = new MySqlDatabase();
        await database.InitializeAsync();
        var migrations = Migration.Embedded();
        await Runner(database.ConnectionString).ApplyAsync(migrations, Ct);

        var late = new Migration("0008_added_late.sql", "CREATE TABLE added_late (id INT PRIMARY KEY)");
        var next = new Migration("9999_after_everything.sql", "CREATE TABLE after_everything (id INT PRIMARY KEY)");
        var error = await Assert.ThrowsAsync<MigrationException>(() =>
            Runner(database.ConnectionString).ApplyAsync([.. migrations, late, next], Ct));

        Assert.Contains("0008_added_late.sql", error.Message);
        Assert.Contains(migrations[^1].Name, error.Message);
        Assert.Contains("numbered below the last applied", error.Message);
        await using var connection = await database.OpenAsync();
        Assert.Equal(0, await connection.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name IN ('added_late', 'after_everything')"));
        Assert.Equal(migrations.Count, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM schema_migrations"));

        // Renumbered after the last applied one, the same script is applied.
        Assert.Equal(1, await Runner(database.ConnectionString).ApplyAsync([.. migrations, late with { Name = "9998_added_late.sql" }], Ct));
    }

    [Fact]
    public void OnlyAScriptBelowTheLastAppliedOneIsOutOfOrder()
    {
        Assert.Null(MigrationRunner.OutOfOrder([new Migration("0001_a.sql", "")], []));
        Assert.Null(MigrationRunner.OutOfOrder([new Migration("0041_b.sql", "")], ["0001_a.sql", "0040_c.sql"]));
        Assert.Contains("0008_b.sql", MigrationRunner.OutOfOrder([new Migration("0008_b.sql", "")], ["0001_a.sql", "0040_c.sql"]));
    }

    [Fact]
    public async Task ServiceStartupStopsWhenTheJournalDisagreesWithAScript()
    {
        await using var fixture = new EcoAidFixture();
        await fixture.InitializeAsync();
        await using (var first = new EcoAidApp(fixture))
        {
            _ = first.Services;
        }
        await using (var connection = await fixture.Database.OpenAsync())
        {
            await connection.ExecuteAsync("UPDATE schema_migrations SET checksum = REPEAT('0', 64) WHERE name LIKE '0002%'");
        }

        await using var second = new EcoAidApp(fixture);
        var error = Assert.Throws<MigrationException>(() => second.Services);
        Assert.Contains("0002", error.Message);
    }

    [Fact]
    public async Task ServiceRefusesADatabaseWithoutUtf8mb4()
    {
        await using var fixture = new EcoAidFixture();
        await fixture.InitializeAsync();
        var latin = $"ecoaid_l_{Guid.NewGuid():N}"[..24];
        await MySqlDatabase.CreateAsync(latin, "latin1");
        try
        {
            var connectionString = new MySqlConnectionStringBuilder(MySqlDatabase.ServerConnectionString) { Database = latin }.ConnectionString;
            await using var app = new EcoAidApp(fixture, s => s["ConnectionStrings:EcoAid"] = connectionString);
            var error = Assert.Throws<InvalidOperationException>(() => app.Services);
            Assert.Contains("utf8mb4", error.Message);
        }
        finally
        {
            await MySqlDatabase.DropAsync(latin);
        }
    }

    [Theory]
    [InlineData("NO_ENGINE_SUBSTITUTION", "utf8mb4", "严格 SQL 模式")]
    [InlineData("", "utf8mb4", "严格 SQL 模式")]
    [InlineData("STRICT_TRANS_TABLES", "utf8", "utf8mb4")]
    [InlineData("STRICT_TRANS_TABLES,NO_BACKSLASH_ESCAPES", "utf8mb4", "NO_BACKSLASH_ESCAPES")]
    [InlineData("STRICT_ALL_TABLES,NO_ZERO_DATE", "latin1", "utf8mb4")]
    public void GuardRefusesLooseOrNarrowDatabases(string sqlMode, string charset, string expected) =>
        Assert.Contains(expected, DatabaseGuard.Refusal(sqlMode, charset, "ecoaid"));

    [Theory]
    [InlineData("STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_AUTO_CREATE_USER,NO_ENGINE_SUBSTITUTION")]
    [InlineData("ONLY_FULL_GROUP_BY,STRICT_ALL_TABLES")]
    public void GuardAcceptsStrictUtf8mb4Databases(string sqlMode) => Assert.Null(DatabaseGuard.Refusal(sqlMode, "utf8mb4", "ecoaid"));
}
