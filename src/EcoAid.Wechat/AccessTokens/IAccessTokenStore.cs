namespace EcoAid.Wechat.AccessTokens;

/// <summary>An access token with the instant it stops working.</summary>
/// <param name="Token">The token. Never logged.</param>
/// <param name="ExpiresAt">When WeChat stops accepting it.</param>
public sealed record StoredAccessToken(string Token, DateTimeOffset ExpiresAt)
{
    /// <summary>Leaves the token out.</summary>
    public override string ToString() => $"StoredAccessToken {{ ExpiresAt = {ExpiresAt:O} }}";
}

/// <summary>
/// Where access tokens live so that every instance of the service shares one per app. The service keeps them in its
/// database; tests of the client use <see cref="InMemoryAccessTokenStore"/>.
/// </summary>
public interface IAccessTokenStore
{
    /// <summary>The stored token of an app, or null.</summary>
    Task<StoredAccessToken?> GetAsync(string appId, CancellationToken ct);

    /// <summary>
    /// Runs <paramref name="refresh"/> while holding the store's lock for the app, so that across instances only one
    /// refresh runs at a time. <paramref name="refresh"/> receives what is stored now (another instance may have just
    /// refreshed it) and returns the token to keep, which the store saves before releasing the lock.
    /// </summary>
    Task<StoredAccessToken> RefreshAsync(string appId, Func<StoredAccessToken?, CancellationToken, Task<StoredAccessToken>> refresh, CancellationToken ct);

    /// <summary>Forgets <paramref name="staleToken"/> if it is still the stored one (WeChat rejected it).</summary>
    Task InvalidateAsync(string appId, string staleToken, CancellationToken ct);
}

/// <summary>A process-local <see cref="IAccessTokenStore"/>, for tests and single-instance tools.</summary>
public sealed class InMemoryAccessTokenStore : IAccessTokenStore
{
    private readonly Dictionary<string, StoredAccessToken> tokens = [];
    private readonly SemaphoreSlim gate = new(1, 1);

    /// <inheritdoc />
    public Task<StoredAccessToken?> GetAsync(string appId, CancellationToken ct)
    {
        lock (tokens)
        {
            return Task.FromResult(tokens.GetValueOrDefault(appId));
        }
    }

    /// <inheritdoc />
    public async Task<StoredAccessToken> RefreshAsync(string appId, Func<StoredAccessToken?, CancellationToken, Task<StoredAccessToken>> refresh, CancellationToken ct)
    {
        await gate.WaitAsync(ct);
        try
        {
            var fresh = await refresh(await GetAsync(appId, ct), ct);
            lock (tokens)
            {
                tokens[appId] = fresh;
            }
            return fresh;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <inheritdoc />
    public Task InvalidateAsync(string appId, string staleToken, CancellationToken ct)
    {
        lock (tokens)
        {
            if (tokens.TryGetValue(appId, out var current) && current.Token == staleToken)
            {
                tokens.Remove(appId);
            }
        }
        return Task.CompletedTask;
    }
}
