using Dapper;
using MySqlConnector;

namespace EcoAid.Api.Infrastructure.Database;

/// <summary>
/// Refuses a database that would silently damage data: without strict SQL mode MySQL truncates over-long text and
/// stores invalid dates as zeros; without utf8mb4 it cannot hold every Chinese character.
/// </summary>
public static class DatabaseGuard
{
    public static async Task CheckAsync(MySqlDataSource dataSource, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var settings = await connection.QuerySingleAsync<(string SqlMode, string Charset, string? Database)>(new CommandDefinition(
            "SELECT @@SESSION.sql_mode, @@character_set_database, DATABASE()", cancellationToken: ct));

        if (Refusal(settings.SqlMode, settings.Charset, settings.Database) is { } refusal)
        {
            throw new InvalidOperationException(refusal);
        }
    }

    /// <summary>Why a database with these settings is refused, or null when it is fit to use.</summary>
    public static string? Refusal(string sqlMode, string charset, string? database)
    {
        if (database is null)
        {
            return "连接字符串 ConnectionStrings:EcoAid 没有指定数据库（Database=...）。";
        }
        var modes = sqlMode.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (!modes.Contains("STRICT_TRANS_TABLES") && !modes.Contains("STRICT_ALL_TABLES"))
        {
            return $"数据库未启用严格 SQL 模式（sql_mode = '{sqlMode}'）。请在服务器配置中加入 STRICT_TRANS_TABLES 后再启动。";
        }
        if (modes.Contains("NO_BACKSLASH_ESCAPES"))
        {
            return $"数据库 sql_mode 含 NO_BACKSLASH_ESCAPES（sql_mode = '{sqlMode}'），搜索条件的转义依赖反斜杠。请去掉该模式后再启动。";
        }
        if (charset != "utf8mb4")
        {
            return $"数据库 {database} 的字符集是 {charset}，需要 utf8mb4：ALTER DATABASE `{database}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci。";
        }
        return null;
    }
}
