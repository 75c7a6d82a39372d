namespace EcoAid.Api.Infrastructure.Database;

/// <summary>Small helpers for the SQL the features write by hand.</summary>
public static class Sql
{
    /// <summary>LIKE treats % and _ as wildcards; a user searching for them means the characters.</summary>
    public static string EscapeLike(string text) => text.Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_");
}
