using System.Collections.Concurrent;
using System.Data.Common;
using System.Security.Cryptography;
using Dapper;
using Microsoft.Extensions.Options;
using MySqlConnector;

namespace EcoAid.Api.Features.PolicyLibrary;

public sealed class PolicyOptions
{
    /// <summary>How often an instance asks the database whether the library changed; a publish elsewhere shows here within two of these.</summary>
    public TimeSpan VersionCheckInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often counted views and scans are added to the database.</summary>
    public TimeSpan CounterFlushInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The most memory the public answers may take in one instance before the cache starts over.</summary>
    public long CacheMaxBytes { get; set; } = 64 * 1024 * 1024;

    /// <summary>
    /// How many searches one instance ranks at once (<see cref="PolicySearchResults"/>: a query not ranked since the library
    /// last changed). A page of an already ranked query needs no slot, so this is a safety valve against a flood of
    /// distinct queries rather than a queue every search waits in: at 16, 64 clients at once wait a few turns.
    /// </summary>
    public int SearchConcurrency { get; set; } = 16;

    /// <summary>How long a search waits for its turn before it is answered 503 policy.search_busy.</summary>
    public TimeSpan SearchQueueTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// How many document ids the ranked search results of one instance may hold (8 bytes each) before they start over;
    /// see <see cref="PolicySearchResults"/>. 1,000,000 is about 8 MB: a hundred searches that each match 10,000 documents.
    /// </summary>
    public int SearchResultsMaxIds { get; set; } = 1_000_000;

    /// <summary>How many list items (ready-to-send JSON of one document, a few hundred bytes) search pages may keep per instance; see <see cref="PolicyListItems"/>.</summary>
    public int SearchItemsMax { get; set; } = 50_000;
}

/// <summary>Limits the searches that reach the database; see <see cref="PolicyOptions.SearchConcurrency"/>.</summary>
public sealed class SearchGate(IOptions<PolicyOptions> options)
{
    private readonly SemaphoreSlim slots = new(options.Value.SearchConcurrency, options.Value.SearchConcurrency);

    public async Task<T> RunAsync<T>(Func<Task<T>> search)
    {
        if (!await slots.WaitAsync(options.Value.SearchQueueTimeout))
        {
            throw new SearchBusyException();
        }
        try
        {
            return await search();
        }
        finally
        {
            slots.Release();
        }
    }
}

public sealed class SearchBusyException() : Exception("Too many searches are waiting for the database.");

/// <summary>
/// The version of the public library, as the database holds it in <c>policy_library</c>. Every change bumps it in the
/// change's own transaction; an instance asks for it at most once per <see cref="PolicyOptions.VersionCheckInterval"/>
/// (one query shared by all requests that find it due), so a change made on any instance is seen on every instance
/// within two intervals. The instance that made a change knows the new version at once.
/// </summary>
public sealed partial class PolicyLibraryVersion(MySqlDataSource db, TimeProvider clock, IOptions<PolicyOptions> options, ILogger<PolicyLibraryVersion> logger)
{
    private readonly Lock gate = new();
    private long known = -1;
    private long checkedAt;
    private Task<long>? inflight;

    public ValueTask<long> CurrentAsync()
    {
        var version = Volatile.Read(ref known);
        var interval = options.Value.VersionCheckInterval;
        var elapsed = clock.GetElapsedTime(Volatile.Read(ref checkedAt));
        if (version >= 0 && elapsed < interval)
        {
            return ValueTask.FromResult(version);
        }
        Task<long> check;
        lock (gate)
        {
            if (inflight is not { IsCompleted: false })
            {
                inflight = FetchAsync();
            }
            check = inflight;
        }
        // In steady traffic the check runs while readers go on with what is known, so no reader waits on the database;
        // only after a quiet spell (no check for two intervals) do readers wait for it. A change is seen within two intervals.
        return version >= 0 && elapsed < interval * 2 ? ValueTask.FromResult(version) : new ValueTask<long>(check);
    }

    /// <summary>Records a version this instance has just committed (versions only ever grow).</summary>
    public void Observe(long version)
    {
        long current;
        do
        {
            current = Volatile.Read(ref known);
            if (version <= current)
            {
                return;
            }
        }
        while (Interlocked.CompareExchange(ref known, version, current) != current);
    }

    private async Task<long> FetchAsync()
    {
        var started = clock.GetTimestamp();
        try
        {
            await using var connection = await db.OpenConnectionAsync();
            Observe(await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT version FROM policy_library WHERE id = 1")));
        }
        catch (Exception e) when (e is MySqlException or DbException or TimeoutException && Volatile.Read(ref known) >= 0)
        {
            // The database is away: keep serving what is cached, and ask again after the interval.
            Log.VersionCheckFailed(logger, e);
        }
        Volatile.Write(ref checkedAt, started);
        return Volatile.Read(ref known);
    }

    /// <summary>Bumps the version inside the caller's transaction and returns the new one (to <see cref="Observe"/> after commit).</summary>
    public static async Task<long> BumpAsync(DbConnection connection, DbTransaction tx, CancellationToken ct) =>
        await connection.ExecuteScalarAsync<long>(new CommandDefinition("""
            UPDATE policy_library SET version = version + 1 WHERE id = 1;
            SELECT version FROM policy_library WHERE id = 1;
            """, transaction: tx, cancellationToken: ct));

    private static partial class Log
    {
        [LoggerMessage(EventId = 6000, Level = LogLevel.Warning, Message = "Could not read the policy library version; serving the cached one")]
        public static partial void VersionCheckFailed(ILogger logger, Exception exception);
    }
}

/// <summary>A public answer ready to send: its bytes and their ETag, or nothing (the document is not published).</summary>
public sealed record CachedAnswer(byte[]? Body, string ETag, long PolicyId, string? Source = null)
{
    public static readonly CachedAnswer NotFound = new(null, "", 0);

    public static CachedAnswer For(byte[] body, long policyId = 0, string? source = null) =>
        new(body, $"\"{Convert.ToHexStringLower(SHA256.HashData(body).AsSpan(0, 12))}\"", policyId, source);
}

/// <summary>
/// Values of this instance kept in memory for one library version at a time: when the version moves on, the whole
/// generation is dropped and values are built again from the database. One build per key runs at a time, so a burst of
/// readers after a publish makes one query, not one each; a failed build is forgotten. Bounded crudely: once the sizes
/// of a generation's values add up past <c>maxSize</c>, the generation is emptied (a flood of distinct keys cannot grow
/// it without limit). The answer cache and the ranked-search cache are two of these.
/// </summary>
public sealed class LibraryGenerationCache<T>(PolicyLibraryVersion versions, Func<T, string, long> sizeOf, Func<long> maxSize)
{
    private sealed class Generation(long version)
    {
        public long Version { get; } = version;
        public ConcurrentDictionary<string, Lazy<Task<T>>> Entries { get; } = new(StringComparer.Ordinal);
        public long Size;
    }

    private Generation current = new(-1);

    public async ValueTask<T> GetAsync<TState>(string key, TState state, Func<TState, Task<T>> build)
    {
        var version = await versions.CurrentAsync();
        var generation = Volatile.Read(ref current);
        while (generation.Version < version)
        {
            Interlocked.CompareExchange(ref current, new Generation(version), generation);
            generation = Volatile.Read(ref current);
        }
        if (generation.Entries.TryGetValue(key, out var hit) && hit.Value is { IsCompletedSuccessfully: true } done)
        {
            return done.Result;
        }
        if (Interlocked.Read(ref generation.Size) > maxSize())
        {
            generation.Entries.Clear();
            Interlocked.Exchange(ref generation.Size, 0);
        }
        var lazy = generation.Entries.GetOrAdd(key, _ => new Lazy<Task<T>>(async () =>
        {
            var built = await build(state);
            Interlocked.Add(ref generation.Size, sizeOf(built, key));
            return built;
        }));
        try
        {
            return await lazy.Value;
        }
        catch
        {
            generation.Entries.TryRemove(new KeyValuePair<string, Lazy<Task<T>>>(key, lazy));
            throw;
        }
    }
}

/// <summary>
/// Public answers of this instance as ready-to-send bytes, per library version, at most <c>Policies:CacheMaxBytes</c>.
/// </summary>
public sealed class PolicyCache(PolicyLibraryVersion versions, IOptions<PolicyOptions> options)
{
    private readonly LibraryGenerationCache<CachedAnswer> cache = new(versions,
        static (answer, key) => (answer.Body?.Length ?? 0) + key.Length * 2 + 200, () => options.Value.CacheMaxBytes);

    public ValueTask<CachedAnswer> GetAsync<TState>(string key, TState state, Func<TState, Task<CachedAnswer>> build) =>
        cache.GetAsync(key, state, build);
}

/// <summary>
/// The ranked ids (title hits first, then summary, then body; newest first within each) of every published document
/// that a search matches, per category and expanded phrases, for one library version at a time, at most
/// <c>Policies:SearchResultsMaxIds</c> ids. A search that misses the answer cache (another page or page size) takes its
/// page from here and reads only that page's rows, so ranking a common term over the whole library is done once per
/// library version, not once per page. Keyed by the phrases after synonym expansion, so a synonym group added to the
/// table takes effect on the next answer-cache miss.
/// </summary>
public sealed class PolicySearchResults(PolicyLibraryVersion versions, IOptions<PolicyOptions> options)
{
    private readonly LibraryGenerationCache<long[]> cache = new(versions, static (ranked, _) => ranked.Length + 16,
        () => options.Value.SearchResultsMaxIds);

    public ValueTask<long[]> GetAsync<TState>(string key, TState state, Func<TState, Task<long[]>> rank) => cache.GetAsync(key, state, rank);
}

/// <summary>
/// The list item of each published document a search page has shown, as ready-to-send JSON, for one library version at a
/// time (a change to any document moves the version on and drops them all). A search page that misses the answer cache
/// takes its ranked ids from <see cref="PolicySearchResults"/> and its items from here, and goes to the database only for
/// items not seen since the library last changed — so paging through a common term at 10,000 documents costs no query.
/// At most <c>Policies:SearchItemsMax</c> items (a few hundred bytes each) per instance; past that the generation starts over.
/// </summary>
public sealed class PolicyListItems(PolicyLibraryVersion versions, IOptions<PolicyOptions> options)
{
    private sealed class Generation(long version)
    {
        public long Version { get; } = version;
        public ConcurrentDictionary<long, byte[]> Items { get; } = new();
    }

    private Generation current = new(-1);

    /// <summary>
    /// The items of <paramref name="ids"/> in their order, leaving out documents no longer published; <paramref name="load"/>
    /// reads the rows of those not held yet (their ids, one query) and gives each one's JSON.
    /// </summary>
    public async Task<List<byte[]>> GetAsync(long[] ids, Func<long[], Task<IReadOnlyDictionary<long, byte[]>>> load)
    {
        var version = await versions.CurrentAsync();
        var generation = Volatile.Read(ref current);
        while (generation.Version < version)
        {
            Interlocked.CompareExchange(ref current, new Generation(version), generation);
            generation = Volatile.Read(ref current);
        }
        // The hits are taken now: another search may clear the generation before this page is put together.
        var held = new Dictionary<long, byte[]>(ids.Length);
        var missing = new List<long>();
        foreach (var id in ids)
        {
            if (generation.Items.TryGetValue(id, out var hit))
            {
                held[id] = hit;
            }
            else
            {
                missing.Add(id);
            }
        }
        IReadOnlyDictionary<long, byte[]> loaded = missing.Count == 0 ? new Dictionary<long, byte[]>() : await load([.. missing]);
        if (generation.Items.Count + loaded.Count > options.Value.SearchItemsMax)
        {
            generation.Items.Clear();
        }
        foreach (var (id, json) in loaded)
        {
            generation.Items.TryAdd(id, json);
        }
        var items = new List<byte[]>(ids.Length);
        foreach (var id in ids)
        {
            if (held.TryGetValue(id, out var json) || loaded.TryGetValue(id, out json))
            {
                items.Add(json);
            }
        }
        return items;
    }
}

/// <summary>
/// The synonym groups (<c>policy_search_synonyms</c>), read at most once per <see cref="PolicyOptions.VersionCheckInterval"/>
/// (one query shared by the searches that find it due), so a group added to the table is used by every instance within
/// one interval, and a search that misses the answer cache needs no query for them. <see cref="Stamp"/> changes whenever
/// what was read differs from before; the search answers' keys carry it, so no answer made with the old groups is reused.
/// </summary>
public sealed class PolicySynonyms(MySqlDataSource db, TimeProvider clock, IOptions<PolicyOptions> options)
{
    public sealed record Snapshot(IReadOnlyList<(int GroupId, string Term)> Groups, long Stamp);

    private readonly Lock gate = new();
    private Snapshot? known;
    private long checkedAt;
    private Task<Snapshot>? inflight;

    public ValueTask<Snapshot> CurrentAsync()
    {
        var snapshot = Volatile.Read(ref known);
        if (snapshot is not null && clock.GetElapsedTime(Volatile.Read(ref checkedAt)) < options.Value.VersionCheckInterval)
        {
            return ValueTask.FromResult(snapshot);
        }
        lock (gate)
        {
            if (inflight is not { IsCompleted: false })
            {
                inflight = FetchAsync(snapshot);
            }
            return new ValueTask<Snapshot>(inflight);
        }
    }

    private async Task<Snapshot> FetchAsync(Snapshot? before)
    {
        var started = clock.GetTimestamp();
        List<(int GroupId, string Term)> groups;
        try
        {
            await using var connection = await db.OpenConnectionAsync();
            groups = (await connection.QueryAsync<(int GroupId, string Term)>(new CommandDefinition(
                "SELECT group_id, term FROM policy_search_synonyms ORDER BY group_id, term"))).ToList();
        }
        catch (Exception e) when (e is DbException or TimeoutException && before is not null)
        {
            // The database is away: search with the groups known, and ask again after the interval.
            Volatile.Write(ref checkedAt, started);
            return before!;
        }
        var snapshot = before is not null && before.Groups.SequenceEqual(groups) ? before : new Snapshot(groups, (before?.Stamp ?? 0) + 1);
        Volatile.Write(ref known, snapshot);
        Volatile.Write(ref checkedAt, started);
        return snapshot;
    }
}
