using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace EcoAid.Wechat.AccessTokens;

/// <summary>
/// Hands out access tokens from <c>stable_token</c> in normal mode (wechat-reference §2.3). A token is served from
/// memory while it has more than <see cref="RefreshMargin"/> left, then from the shared store, and only then fetched
/// from WeChat: one fetch at a time per app in this process (however many callers wait) and, through the store's
/// lock, one at a time across instances.
/// </summary>
public sealed partial class AccessTokenProvider
{
    /// <summary>A token with less than this left is refreshed: WeChat rotates stable tokens 5 minutes before expiry.</summary>
    public static readonly TimeSpan RefreshMargin = TimeSpan.FromMinutes(5);

    private readonly WechatApiClient client;
    private readonly IAccessTokenStore store;
    private readonly TimeProvider time;
    private readonly ILogger<AccessTokenProvider> logger;
    private readonly ConcurrentDictionary<string, AppState> apps = new();

    /// <summary>Creates the provider.</summary>
    public AccessTokenProvider(WechatApiClient client, IAccessTokenStore store, TimeProvider time, ILogger<AccessTokenProvider> logger)
    {
        this.client = client;
        this.store = store;
        this.time = time;
        this.logger = logger;
    }

    /// <summary>A token for <paramref name="app"/> with at least <see cref="RefreshMargin"/> left.</summary>
    /// <exception cref="WechatUnavailableException">WeChat could not be reached or refused to issue a token.</exception>
    public async Task<string> GetTokenAsync(WechatApp app, CancellationToken ct = default)
    {
        var state = apps.GetOrAdd(app.AppId, _ => new AppState());
        if (IsFresh(state.Cached))
        {
            return state.Cached!.Token;
        }

        await state.Gate.WaitAsync(ct);
        try
        {
            if (IsFresh(state.Cached))
            {
                return state.Cached!.Token;
            }
            var stored = await store.GetAsync(app.AppId, ct);
            if (!IsFresh(stored))
            {
                stored = await store.RefreshAsync(app.AppId, async (current, token) =>
                    IsFresh(current) ? current! : await FetchAsync(app, token), ct);
            }
            state.Cached = stored;
            return stored!.Token;
        }
        finally
        {
            state.Gate.Release();
        }
    }

    /// <summary>Drops <paramref name="staleToken"/> after WeChat rejected it, here and in the shared store.</summary>
    public async Task InvalidateAsync(WechatApp app, string staleToken, CancellationToken ct = default)
    {
        var state = apps.GetOrAdd(app.AppId, _ => new AppState());
        await state.Gate.WaitAsync(ct);
        try
        {
            if (state.Cached?.Token == staleToken)
            {
                state.Cached = null;
            }
            await store.InvalidateAsync(app.AppId, staleToken, ct);
        }
        finally
        {
            state.Gate.Release();
        }
    }

    /// <summary>
    /// Calls an API that needs the token; when WeChat answers that the token is invalid (40001, 40014, 42001) it drops
    /// the token, gets a new one and retries exactly once. If the new token is the one that just failed, it does not
    /// loop: the error is returned (a force refresh is an operator's decision).
    /// </summary>
    public async Task<WechatResult<T>> CallAsync<T>(WechatApp app, Func<string, CancellationToken, Task<WechatResult<T>>> call, CancellationToken ct = default)
    {
        var token = await GetTokenAsync(app, ct);
        var result = await call(token, ct);
        if (result.Error is not { Kind: WechatErrorKind.TokenInvalid } error)
        {
            return result;
        }

        Log.TokenRejected(logger, app.AppId, error.ErrCode);
        await InvalidateAsync(app, token, ct);
        var renewed = await GetTokenAsync(app, ct);
        return renewed == token ? result : await call(renewed, ct);
    }

    private bool IsFresh(StoredAccessToken? token) => token is not null && token.ExpiresAt - time.GetUtcNow() > RefreshMargin;

    private async Task<StoredAccessToken> FetchAsync(WechatApp app, CancellationToken ct)
    {
        var fetchedAt = time.GetUtcNow();
        var result = await client.GetStableAccessTokenAsync(app, forceRefresh: false, ct);
        if (result.Error is { } error)
        {
            Log.FetchFailed(logger, app.AppId, error.ErrCode, error.Rid);
            throw new WechatUnavailableException("cgi-bin/stable_token", $"errcode {error.ErrCode}", errCode: error.ErrCode);
        }
        Log.Fetched(logger, app.AppId, result.Value!.ExpiresIn);
        return new StoredAccessToken(result.Value.AccessToken, fetchedAt.AddSeconds(result.Value.ExpiresIn));
    }

    private sealed class AppState
    {
        public SemaphoreSlim Gate { get; } = new(1, 1);
        public StoredAccessToken? Cached { get; set; }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 9010, Level = LogLevel.Information, Message = "Fetched a WeChat access token for {AppId}, valid {ExpiresIn} s")]
        public static partial void Fetched(ILogger logger, string appId, int expiresIn);

        [LoggerMessage(EventId = 9011, Level = LogLevel.Error, Message = "WeChat refused an access token for {AppId}: errcode {ErrCode} (rid {Rid})")]
        public static partial void FetchFailed(ILogger logger, string appId, int errCode, string rid);

        [LoggerMessage(EventId = 9012, Level = LogLevel.Warning, Message = "WeChat rejected the access token of {AppId} with errcode {ErrCode}; refreshing once")]
        public static partial void TokenRejected(ILogger logger, string appId, int errCode);
    }
}
