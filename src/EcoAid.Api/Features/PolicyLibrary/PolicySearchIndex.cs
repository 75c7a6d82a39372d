using System.Globalization;
using System.Text;
using Dapper;
using EcoAid.Api.Features.Demands;
using EcoAid.Api.Infrastructure.Database;
using MySqlConnector;

namespace EcoAid.Api.Features.PolicyLibrary;

/// <summary>
/// The policy library's search index: overlapping two-character pieces (bigrams) of each document's title, summary and
/// plain body text, kept in <c>policy_search_terms</c> beside the revision they were cut from. Plain tables and B-tree
/// lookups, so it runs the same on MySQL 8 and MariaDB and is shared by every instance.
/// <para>
/// A query of one or two characters is answered from the index alone; a longer one takes the documents whose same field
/// holds every piece of it and confirms the substring there (a LIKE over those documents only, not over the library).
/// Text is compared after Unicode compatibility folding (全角 → 半角) and lower-casing, as the case-insensitive LIKE did.
/// </para>
/// </summary>
public static class PolicySearchIndex
{
    public const int TitleField = 0, SummaryField = 1, BodyField = 2;

    /// <summary>A query is expanded by synonyms to at most this many phrases (the query itself included).</summary>
    public const int MaxPhrases = 8;

    /// <summary>What both the stored text and a query are compared as.</summary>
    public static string Fold(string text) => text.Normalize(NormalizationForm.FormKC).ToLowerInvariant();

    /// <summary>Two code points side by side in one number; 0 stands for "nothing follows".</summary>
    internal static long Pack(int first, int second) => ((long)first << 21) | (uint)second;

    /// <summary>The distinct bigrams of already folded text; the last character pairs with 0, so every character starts one.</summary>
    public static HashSet<long> Terms(string folded)
    {
        var runes = Runes(folded);
        var terms = new HashSet<long>();
        for (var k = 0; k < runes.Count; k++)
        {
            terms.Add(Pack(runes[k], k + 1 < runes.Count ? runes[k + 1] : 0));
        }
        return terms;
    }

    private static List<int> Runes(string text)
    {
        var runes = new List<int>(text.Length);
        foreach (var rune in text.EnumerateRunes())
        {
            runes.Add(rune.Value);
        }
        return runes;
    }

    /// <summary>(Re)indexes the given documents as they are now, inside the caller's transaction.</summary>
    public static async Task IndexAsync(MySqlConnection connection, MySqlTransaction? tx, IReadOnlyCollection<long> ids, CancellationToken ct)
    {
        if (ids.Count == 0)
        {
            return;
        }
        var docs = (await connection.QueryAsync<(long Id, int Revision, string Title, string Summary, string BodyText)>(new CommandDefinition(
            "SELECT id, revision, title, summary, body_text FROM policies WHERE id IN @ids", new { ids }, tx, cancellationToken: ct))).ToList();
        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM policy_search_terms WHERE policy_id IN @ids", new { ids }, tx, cancellationToken: ct));
        // Numbers only, so the rows are written as literals in batches rather than as thousands of parameters.
        var sql = new StringBuilder();
        var rows = 0;
        async Task FlushAsync()
        {
            if (rows > 0)
            {
                // NoCache: Dapper would otherwise keep every one of these one-off statements (up to ~100 KB of text each)
                // in its statement cache, hundreds at a time — the library's whole index text held in memory after a seed.
                await connection.ExecuteAsync(new CommandDefinition(sql.ToString(), transaction: tx, flags: CommandFlags.NoCache, cancellationToken: ct));
            }
            sql.Clear();
            rows = 0;
        }
        foreach (var doc in docs)
        {
            foreach (var (field, text) in new[] { (TitleField, doc.Title), (SummaryField, doc.Summary), (BodyField, doc.BodyText) })
            {
                foreach (var term in Terms(Fold(text)))
                {
                    sql.Append(rows == 0 ? "INSERT INTO policy_search_terms (term, policy_id, field) VALUES " : ",")
                        .Append(CultureInfo.InvariantCulture, $"({term},{doc.Id},{field})");
                    if (++rows == 2000)
                    {
                        await FlushAsync();
                    }
                }
            }
        }
        await FlushAsync();
        foreach (var doc in docs)
        {
            sql.Append(sql.Length == 0 ? "INSERT INTO policy_search_indexed (policy_id, revision) VALUES " : ",")
                .Append(CultureInfo.InvariantCulture, $"({doc.Id},{doc.Revision})");
        }
        sql.Append(" ON DUPLICATE KEY UPDATE revision = VALUES(revision)");
        await connection.ExecuteAsync(new CommandDefinition(sql.ToString(), transaction: tx, flags: CommandFlags.NoCache, cancellationToken: ct));
    }

    /// <summary>Indexes every document whose revision the index does not reflect yet (documents written before the index existed).</summary>
    public static async Task<int> CatchUpAsync(MySqlDataSource db, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var done = 0;
        while (true)
        {
            var ids = (await connection.QueryAsync<long>(new CommandDefinition("""
                SELECT p.id FROM policies p LEFT JOIN policy_search_indexed i ON i.policy_id = p.id
                WHERE i.policy_id IS NULL OR i.revision <> p.revision ORDER BY p.id LIMIT 200
                """, cancellationToken: ct))).ToList();
            if (ids.Count == 0)
            {
                return done;
            }
            await using var tx = await connection.BeginTransactionAsync(ct);
            await IndexAsync(connection, tx, ids, ct);
            await tx.CommitAsync(ct);
            done += ids.Count;
        }
    }

    /// <summary>The query and what the synonym groups make of it, folded; the query itself first.</summary>
    public static IReadOnlyList<string> Phrases(string query, IEnumerable<(int GroupId, string Term)> synonyms)
    {
        var folded = Fold(query);
        var phrases = new List<string> { folded };
        foreach (var group in synonyms.GroupBy(s => s.GroupId))
        {
            var members = group.Select(s => Fold(s.Term)).Where(t => t.Length > 0).Distinct().ToList();
            foreach (var present in members.Where(m => folded.Contains(m, StringComparison.Ordinal)))
            {
                foreach (var other in members.Where(m => m != present))
                {
                    var variant = folded.Replace(present, other, StringComparison.Ordinal);
                    if (!phrases.Contains(variant) && phrases.Count < MaxPhrases)
                    {
                        phrases.Add(variant);
                    }
                }
            }
        }
        return phrases;
    }

    /// <summary>
    /// A derived table of (policy_id, hit) — hit 0 title, 1 summary, 2 body — for the published documents passing
    /// <paramref name="filter"/> (over alias <c>p</c>) that contain any of the phrases. Adds its parameters to <paramref name="parameters"/>.
    /// </summary>
    public static string Matches(IReadOnlyList<string> phrases, string filter, DynamicParameters parameters)
    {
        var parts = new List<string>();
        for (var i = 0; i < phrases.Count; i++)
        {
            var runes = Runes(phrases[i]);
            if (runes.Count == 0)
            {
                continue;
            }
            if (runes.Count <= 2)
            {
                // The index is exact here: one bigram, or every bigram a character starts.
                var lo = Pack(runes[0], runes.Count == 2 ? runes[1] : 0);
                var hi = runes.Count == 2 ? lo : Pack(runes[0], 0x1FFFFF);
                parts.Add(string.Create(CultureInfo.InvariantCulture, $"""
                    SELECT t.policy_id, MIN(t.field) AS hit FROM policy_search_terms t JOIN policies p ON p.id = t.policy_id
                    WHERE t.term BETWEEN {lo} AND {hi} AND {filter} GROUP BY t.policy_id
                    """));
                continue;
            }
            var terms = new HashSet<long>();
            for (var k = 0; k + 1 < runes.Count; k++)
            {
                terms.Add(Pack(runes[k], runes[k + 1]));
            }
            parameters.Add($"like{i}", "%" + Infrastructure.Database.Sql.EscapeLike(phrases[i]) + "%");
            // Candidates: documents whose field holds every piece; then the substring is confirmed in that field only.
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"""
                SELECT c.policy_id, MIN(c.field) AS hit
                FROM (SELECT policy_id, field FROM policy_search_terms WHERE term IN ({string.Join(',', terms)})
                      GROUP BY policy_id, field HAVING COUNT(*) = {terms.Count}) c
                JOIN policies p ON p.id = c.policy_id
                WHERE {filter} AND CASE c.field WHEN 0 THEN p.title LIKE @like{i} WHEN 1 THEN p.summary LIKE @like{i} ELSE p.body_text LIKE @like{i} END
                GROUP BY c.policy_id
                """));
        }
        if (parts.Count == 0)
        {
            return "SELECT CAST(NULL AS SIGNED) AS policy_id, 0 AS hit FROM DUAL WHERE FALSE";
        }
        return parts.Count == 1
            ? parts[0]
            : $"SELECT m.policy_id, MIN(m.hit) AS hit FROM ({string.Join("\nUNION ALL\n", parts)}) m GROUP BY m.policy_id";
    }
}

/// <summary>At startup, indexes the documents that the search index does not reflect yet (after the migrations ran).</summary>
public sealed partial class PolicySearchCatchUp(MySqlDataSource db, ILogger<PolicySearchCatchUp> logger) : IStartupDataStep
{
    public async Task RunAsync(CancellationToken ct)
    {
        var done = await PolicySearchIndex.CatchUpAsync(db, ct);
        if (done > 0)
        {
            LogIndexed(done);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Search index: {Count} policy documents indexed at startup.")]
    private partial void LogIndexed(int count);
}
