using System.Data.Common;
using Dapper;
using EcoAid.Api.Infrastructure.Auth;

namespace EcoAid.Api.Features.Auth;

/// <summary>
/// How a fresh install gets its first administrator without anyone touching the database: the openids listed in
/// <c>Bootstrap:CityAdminOpenIds</c> become city administrators of <c>Bootstrap:CityName</c> when they log in.
/// </summary>
public sealed class BootstrapOptions
{
    public string[] CityAdminOpenIds { get; set; } = [];

    /// <summary>The city the bootstrap administrators administer; created on first use.</summary>
    public string? CityName { get; set; }
}

public static class Bootstrap
{
    public static async Task GrantCityAdminAsync(DbConnection connection, DbTransaction tx, long userId, BootstrapOptions options, DateTimeOffset now, CancellationToken ct)
    {
        var cityName = options.CityName ?? throw new InvalidOperationException("Bootstrap:CityName 未配置。");
        var at = now.UtcDateTime;
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO cities (name, created_at) VALUES (@cityName, @at) ON DUPLICATE KEY UPDATE name = name",
            new { cityName, at }, tx, cancellationToken: ct));
        const string grant = """
            UPDATE users SET city_id = (SELECT id FROM cities WHERE name = @cityName) WHERE id = @userId AND city_id IS NULL AND branch_id IS NULL;
            INSERT INTO user_roles (user_id, role, granted_at)
            SELECT @userId, @role, @at FROM users WHERE id = @userId AND branch_id IS NULL
            ON DUPLICATE KEY UPDATE role = role;
            """;
        await connection.ExecuteAsync(new CommandDefinition(grant, new { cityName, userId, role = Roles.CityAdmin, at }, tx, cancellationToken: ct));
    }
}
