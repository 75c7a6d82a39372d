using System.Collections;
using System.Collections.Concurrent;
using System.Data.Common;
using System.Globalization;
using System.Text;
using Dapper;

namespace EcoAid.Api.Features.Demands;

/// <summary>
/// The demand list's <c>total</c>, exact and cheap on the pages that ask for it (page numbers do, by default): a count is
/// made once and kept in this instance beside the state of the demands it was made on, and reused while that state has
/// not moved. The state is the sum of <c>demand_list_versions</c> (every write that can change which demands a list holds
/// adds one to it in its own transaction, see <see cref="BumpSql"/>) and the largest demand id (rows written outside the
/// service). The count and the state are read in one statement, so they describe the same snapshot; a later request
/// reads the state again beside its page, and a sum that has not grown means no such write has committed since — in
/// whatever order concurrent writes commit, each adds to the sum. Lists whose reach needs the enterprise (a member's) are
/// counted every time: an enterprise's liaison can change without a demand write, and a member's list is short.
/// </summary>
public sealed class DemandCounts
{
    /// <summary>Added to every transaction that inserts a demand or changes what its list filters read.</summary>
    public const string BumpSql = "UPDATE demand_list_versions SET version = version + 1 WHERE slot = CONNECTION_ID() % 256;";

    /// <summary>
    /// The state of the demands as two more columns of a page's rows (the same statement, so the same snapshot as the
    /// page; both subqueries are uncorrelated, evaluated once). A page without rows carries no state: it counts afresh.
    /// </summary>
    public const string StateColumns = "(SELECT COALESCE(SUM(version), 0) FROM demand_list_versions) AS list_changes, (SELECT COALESCE(MAX(id), 0) FROM demands) AS list_last_id";

    /// <summary>Distinct lists kept per instance before they start over; a key is a few hundred bytes.</summary>
    public const int MaxEntries = 20_000;

    public readonly record struct State(long Changes, long LastId);

    private readonly record struct Entry(State State, long Count);

    private readonly ConcurrentDictionary<string, Entry> entries = new(StringComparer.Ordinal);

    /// <summary>Adds one to this connection's slot, inside the caller's transaction.</summary>
    public static Task BumpAsync(DbConnection connection, DbTransaction tx, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition(BumpSql, transaction: tx, cancellationToken: ct));

    /// <summary>The cache key of a count: its WHERE clause and the value of every parameter the clause uses.</summary>
    public static string KeyOf(string from, string where, DynamicParameters parameters)
    {
        var key = new StringBuilder(from).Append('\u001f').Append(where);
        var lookup = (SqlMapper.IParameterLookup)parameters;
        // Only the values the clause uses: reach parameters a role's clause leaves out (the user's own id for a
        // secretary) would otherwise make every user's list a key of its own.
        foreach (var name in parameters.ParameterNames.Order(StringComparer.Ordinal)
                     .Where(n => System.Text.RegularExpressions.Regex.IsMatch(where, $@"@{n}\b")))
        {
            key.Append('\u001f').Append(name).Append('=');
            switch (lookup[name])
            {
                case null:
                    key.Append("\u0000");
                    break;
                case string s:
                    key.Append('"').Append(s);
                    break;
                case IEnumerable list:
                    foreach (var item in list)
                    {
                        key.Append(Convert.ToString(item, CultureInfo.InvariantCulture)).Append(',');
                    }
                    break;
                case IFormattable value:
                    key.Append(value.ToString(null, CultureInfo.InvariantCulture));
                    break;
                case var value:
                    key.Append(value);
                    break;
            }
        }
        return key.ToString();
    }

    /// <summary>The count kept for <paramref name="key"/> if it was made on <paramref name="now"/>'s state.</summary>
    public long? Find(string key, State now) => entries.TryGetValue(key, out var entry) && entry.State == now ? entry.Count : null;

    /// <summary>Counts the demands of <paramref name="where"/> with the state they were counted on, and keeps the pair.</summary>
    public async Task<long> CountAsync(DbConnection connection, string key, string from, string where, DynamicParameters parameters, CancellationToken ct)
    {
        // One statement, one snapshot: the state read here is the state the count was made on.
        var (changes, lastId, count) = await connection.QuerySingleAsync<(long, long, long)>(new CommandDefinition($"""
            SELECT (SELECT COALESCE(SUM(version), 0) FROM demand_list_versions), (SELECT COALESCE(MAX(id), 0) FROM demands),
                   (SELECT COUNT(*) FROM {from} WHERE {where})
            """, parameters, cancellationToken: ct));
        if (entries.Count >= MaxEntries)
        {
            entries.Clear();
        }
        var state = new State(changes, lastId);
        // Another request may have counted on a newer state meanwhile; the newer pair wins.
        entries.AddOrUpdate(key, new Entry(state, count), (_, old) => old.State.Changes > changes || old.State.LastId > lastId ? old : new Entry(state, count));
        return count;
    }
}
