using System.Text.Json;

namespace EcoAid.Api.Infrastructure.Database;

/// <summary>
/// Child ids read in the parent's row with <c>JSON_ARRAYAGG</c>, which MySQL 8 and MariaDB both have and neither cuts
/// short (GROUP_CONCAT stops at group_concat_max_len, 1 KB on MySQL 8). MySQL 8 takes no ORDER BY inside it: the ids
/// are sorted here.
/// </summary>
public static class IdLists
{
    public static IReadOnlyList<long> Parse(string? json)
    {
        if (string.IsNullOrEmpty(json))
        {
            return [];
        }
        var ids = JsonSerializer.Deserialize<List<long>>(json) ?? [];
        ids.Sort();
        return ids;
    }
}
