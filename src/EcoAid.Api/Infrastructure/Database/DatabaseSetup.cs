using Dapper;
using MySqlConnector;

namespace EcoAid.Api.Infrastructure.Database;

public sealed class DatabaseOptions
{
    /// <summary>Apply migrations when the service starts (development and tests). Production runs the <c>migrate</c> command instead.</summary>
    public bool MigrateOnStartup { get; set; }

    /// <summary>
    /// How long opening a connection may take before the request answers 503 (whole seconds, at least 1). One second by
    /// default: a loopback or LAN database opens (or resets a pooled connection) in milliseconds, and the app is promised
    /// its 503 within 2 s of asking, which a 2 s time-out plus the request's own work would overrun.
    /// </summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long one statement may run before it is cancelled and the request answers 503 (whole seconds, at least 1).</summary>
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromSeconds(10);
}

public static class DatabaseSetup
{
    public static WebApplicationBuilder AddEcoAidDatabase(this WebApplicationBuilder builder)
    {
        DefaultTypeMap.MatchNamesWithUnderscores = true;
        SqlMapper.AddTypeHandler(new UtcDateTimeHandler());

        var connectionString = builder.Configuration.GetConnectionString("EcoAid");
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException(
                "未配置数据库连接：请设置 ConnectionStrings:EcoAid（环境变量 ConnectionStrings__EcoAid），或用 scripts/run.sh 启动，它会自动启动私有 MariaDB。");
        }
        var timeouts = builder.Configuration.GetSection("Database").Get<DatabaseOptions>() ?? new DatabaseOptions();
        if (timeouts.ConnectTimeout < TimeSpan.FromSeconds(1) || timeouts.CommandTimeout < TimeSpan.FromSeconds(1))
        {
            throw new InvalidOperationException("Database:ConnectTimeout 和 Database:CommandTimeout 至少为 1 秒。");
        }
        // Set deliberately: the connector's defaults (15 s to connect, 30 s per statement) would hold a request far past
        // any client's patience while the database is away; these answer 503 instead.
        var csb = new MySqlConnectionStringBuilder(connectionString)
        {
            DateTimeKind = MySqlDateTimeKind.Utc,
            ConnectionTimeout = (uint)Math.Ceiling(timeouts.ConnectTimeout.TotalSeconds),
            DefaultCommandTimeout = (uint)Math.Ceiling(timeouts.CommandTimeout.TotalSeconds),
        };
        builder.Services.AddSingleton(_ => new MySqlDataSourceBuilder(csb.ConnectionString).Build());
        builder.Services.AddSingleton<MigrationRunner>();
        builder.Services.AddOptions<DatabaseOptions>().BindConfiguration("Database");
        builder.Services.AddHostedService<DatabaseStartup>();
        return builder;
    }

    /// <summary>Dapper hands back DATETIME columns as Unspecified unless told: every instant here is UTC.</summary>
    private sealed class UtcDateTimeHandler : SqlMapper.TypeHandler<DateTimeOffset>
    {
        public override void SetValue(System.Data.IDbDataParameter parameter, DateTimeOffset value) => parameter.Value = value.UtcDateTime;

        public override DateTimeOffset Parse(object value) => value switch
        {
            DateTime dt => new DateTimeOffset(DateTime.SpecifyKind(dt, DateTimeKind.Utc)),
            _ => throw new DataException($"Cannot read {value.GetType()} as an instant."),
        };
    }
}

/// <summary>Checks the database and, where configured, migrates it and loads demo data, before the server takes requests.</summary>
internal sealed class DatabaseStartup(IServiceProvider services, Microsoft.Extensions.Options.IOptions<DatabaseOptions> options) : IHostedService
{
    public async Task StartAsync(CancellationToken ct)
    {
        var dataSource = services.GetRequiredService<MySqlDataSource>();
        await DatabaseGuard.CheckAsync(dataSource, ct);
        if (options.Value.MigrateOnStartup)
        {
            await services.GetRequiredService<MigrationRunner>().ApplyAsync(Migration.Embedded(), ct);
        }
        if (services.GetService<DemoSeed>() is { } demo)
        {
            foreach (var type in demo.Steps)
            {
                await ((IStartupDataStep)services.GetRequiredService(type)).RunAsync(ct);
            }
        }
        foreach (var step in services.GetServices<IStartupDataStep>())
        {
            await step.RunAsync(ct);
        }
    }

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
}

/// <summary>Data loaded once the schema is in place: the bootstrap city, demo data.</summary>
public interface IStartupDataStep
{
    Task RunAsync(CancellationToken ct);
}

internal sealed class DataException(string message) : Exception(message);
