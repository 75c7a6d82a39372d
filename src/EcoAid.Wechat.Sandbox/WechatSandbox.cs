namespace EcoAid.Wechat.Sandbox;

/// <summary>A fault to answer instead of the real behaviour, for the next <see cref="Times"/> calls of one endpoint.</summary>
/// <param name="ErrCode">Answer HTTP 200 with this errcode.</param>
/// <param name="HttpStatus">Answer with this HTTP status and an empty body.</param>
/// <param name="Delay">Wait this long before answering (set alone, the call then proceeds normally).</param>
/// <param name="Times">How many calls the fault applies to.</param>
public sealed record SandboxFault(int? ErrCode = null, int? HttpStatus = null, TimeSpan? Delay = null, int Times = 1);

/// <summary>
/// The state of a fake WeChat: registered apps, login codes, access tokens, call counts and injected faults. It follows
/// WeChat's rules (wechat-reference §14): codes work once and expire after 5 minutes, tokens expire, a wrong secret
/// answers 40125, stale tokens answer 40001 and expired ones 42001. Time comes from the <see cref="TimeProvider"/> given,
/// so tests can move it.
/// </summary>
public sealed partial class WechatSandbox
{
    private readonly ConcurrentDictionary<string, SandboxApp> apps = new();
    private readonly ConcurrentDictionary<string, LoginCode> codes = new();
    private readonly ConcurrentDictionary<string, IssuedToken> tokens = new();
    private readonly ConcurrentDictionary<string, int> calls = new();
    private readonly ConcurrentDictionary<string, ConcurrentQueue<SandboxFault>> faults = new();
    private readonly ConcurrentDictionary<string, Queue<DateTimeOffset>> loginRate = new();
    private readonly Lock sync = new();

    /// <summary>Creates an empty sandbox.</summary>
    public WechatSandbox(TimeProvider? time = null) => Time = time ?? TimeProvider.System;

    /// <summary>The sandbox's clock.</summary>
    public TimeProvider Time { get; }

    /// <summary>How long a new access token lives (WeChat: 7200 s).</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromSeconds(7200);

    /// <summary>How long a <c>wx.login</c> code stays usable (WeChat: 5 minutes).</summary>
    public TimeSpan CodeLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Registers an app. <paramref name="boundToOpenPlatform"/> makes it return UnionIDs.</summary>
    public void RegisterApp(string appId, string appSecret, bool boundToOpenPlatform = false) =>
        apps[appId] = new SandboxApp(appId, appSecret, boundToOpenPlatform);

    /// <summary>What the mini-program's <c>wx.login</c> would give the user <paramref name="openId"/>: a fresh code.</summary>
    public string IssueLoginCode(string appId, string openId)
    {
        if (!apps.ContainsKey(appId))
        {
            throw new InvalidOperationException($"App {appId} is not registered in the sandbox.");
        }
        var code = "wxcode_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        codes[code] = new LoginCode(appId, openId, Time.GetUtcNow() + CodeLifetime);
        return code;
    }

    /// <summary>How many times an endpoint (e.g. <c>cgi-bin/stable_token</c>) was called.</summary>
    public int CallCount(string endpoint) => calls.GetValueOrDefault(endpoint);

    /// <summary>Every endpoint called so far with its count (a snapshot).</summary>
    public IReadOnlyDictionary<string, int> CallCounts() => new SortedDictionary<string, int>(calls, StringComparer.Ordinal);

    /// <summary>Queues a fault for an endpoint (e.g. <c>sns/jscode2session</c>).</summary>
    public void InjectFault(string endpoint, SandboxFault fault) =>
        faults.GetOrAdd(endpoint, _ => new ConcurrentQueue<SandboxFault>()).Enqueue(fault);

    /// <summary>Removes all queued faults.</summary>
    public void ClearFaults() => faults.Clear();

    /// <summary>Makes every current token of an app stale, as when another party fetched a new one (next use → 40001).</summary>
    public void InvalidateTokens(string appId)
    {
        lock (sync)
        {
            foreach (var (token, issued) in tokens)
            {
                if (issued.AppId == appId && !issued.Revoked)
                {
                    tokens[token] = issued with { Revoked = true };
                }
            }
        }
    }

    /// <summary>Checks an access token as a business API would: 0 when valid, otherwise WeChat's errcode.</summary>
    public int CheckAccessToken(string? accessToken, string? expectedAppId = null)
    {
        if (string.IsNullOrEmpty(accessToken))
        {
            return 41001;
        }
        if (!tokens.TryGetValue(accessToken, out var issued) || issued.Revoked)
        {
            return 40001;
        }
        if (expectedAppId is not null && issued.AppId != expectedAppId)
        {
            return 48001;
        }
        return issued.ExpiresAt <= Time.GetUtcNow() ? 42001 : 0;
    }

    internal void CountCall(string endpoint) => calls.AddOrUpdate(endpoint, 1, (_, n) => n + 1);

    internal SandboxFault? TakeFault(string endpoint)
    {
        if (!faults.TryGetValue(endpoint, out var queue) || !queue.TryPeek(out var fault))
        {
            return null;
        }
        lock (sync)
        {
            if (!queue.TryPeek(out fault))
            {
                return null;
            }
            if (fault.Times <= 1)
            {
                queue.TryDequeue(out _);
            }
            else
            {
                // Replace the head with one use fewer: dequeue all, put back in order.
                var rest = queue.ToArray();
                queue.Clear();
                queue.Enqueue(fault with { Times = fault.Times - 1 });
                foreach (var f in rest.Skip(1))
                {
                    queue.Enqueue(f);
                }
            }
            return fault;
        }
    }

    internal SandboxAnswer JsCode2Session(string? appId, string? secret, string? jsCode, string? grantType)
    {
        if (string.IsNullOrEmpty(appId)) return SandboxAnswer.Error(41002, "appid missing");
        if (string.IsNullOrEmpty(secret)) return SandboxAnswer.Error(41004, "appsecret missing");
        if (grantType != "authorization_code") return SandboxAnswer.Error(40002, "invalid grant_type");
        if (!apps.TryGetValue(appId, out var app)) return SandboxAnswer.Error(40013, "invalid appid");
        if (app.AppSecret != secret) return SandboxAnswer.Error(40125, "invalid appsecret");
        if (string.IsNullOrEmpty(jsCode) || !codes.TryGetValue(jsCode, out var code) || code.AppId != appId)
        {
            return SandboxAnswer.Error(40029, "invalid code");
        }
        var now = Time.GetUtcNow();
        lock (sync)
        {
            if (code.Used) return SandboxAnswer.Error(40163, "code been used");
            if (code.ExpiresAt <= now) return SandboxAnswer.Error(40029, "invalid code");
            if (!TakeLoginRate(code.OpenId, now)) return SandboxAnswer.Error(45011, "api minute-quota reach limit");
            codes[jsCode] = code with { Used = true };
        }
        var sessionKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
        return SandboxAnswer.Ok(app.BoundToOpenPlatform
            ? new Dictionary<string, object?> { ["openid"] = code.OpenId, ["session_key"] = sessionKey, ["unionid"] = UnionIdOf(code.OpenId) }
            : new Dictionary<string, object?> { ["openid"] = code.OpenId, ["session_key"] = sessionKey },
            includeErrCode: false);
    }

    internal SandboxAnswer StableToken(string? grantType, string? appId, string? secret, bool forceRefresh)
    {
        if (grantType != "client_credential") return SandboxAnswer.Error(40002, "invalid grant_type");
        if (string.IsNullOrEmpty(appId)) return SandboxAnswer.Error(41002, "appid missing");
        if (string.IsNullOrEmpty(secret)) return SandboxAnswer.Error(41004, "appsecret missing");
        if (!apps.TryGetValue(appId, out var app)) return SandboxAnswer.Error(40013, "invalid appid");
        if (app.AppSecret != secret) return SandboxAnswer.Error(40125, "invalid appsecret");

        var now = Time.GetUtcNow();
        lock (sync)
        {
            var current = tokens.Where(t => t.Value.AppId == appId && !t.Value.Revoked && t.Value.Stable)
                .OrderByDescending(t => t.Value.ExpiresAt).Select(t => (KeyValuePair<string, IssuedToken>?)t).FirstOrDefault();
            if (forceRefresh)
            {
                if (app.LastForceRefresh is { } last && now - last < TimeSpan.FromSeconds(30) && current is not null)
                {
                    return TokenAnswer(current.Value.Key, current.Value.Value, now);
                }
                if (app.ForceRefreshDay == now.UtcDateTime.Date && app.ForceRefreshCount >= 20)
                {
                    return SandboxAnswer.Error(45009, "reach max api daily quota limit");
                }
                InvalidateTokens(appId);
                apps[appId] = app with
                {
                    LastForceRefresh = now,
                    ForceRefreshDay = now.UtcDateTime.Date,
                    ForceRefreshCount = app.ForceRefreshDay == now.UtcDateTime.Date ? app.ForceRefreshCount + 1 : 1,
                };
                current = null;
            }
            // Normal mode: the same token until 5 minutes before expiry, then a new one; the old stays valid meanwhile.
            if (current is null || current.Value.Value.ExpiresAt - now <= TimeSpan.FromMinutes(5))
            {
                var token = "sbx_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(48)).Replace('+', '-').Replace('/', '_');
                var issued = new IssuedToken(appId, now + TokenLifetime, Stable: true, Revoked: false);
                tokens[token] = issued;
                return TokenAnswer(token, issued, now);
            }
            return TokenAnswer(current.Value.Key, current.Value.Value, now);
        }
    }

    private static SandboxAnswer TokenAnswer(string token, IssuedToken issued, DateTimeOffset now) =>
        SandboxAnswer.Ok(new Dictionary<string, object?>
        {
            ["access_token"] = token,
            ["expires_in"] = (int)Math.Max(0, (issued.ExpiresAt - now).TotalSeconds),
        }, includeErrCode: false);

    private bool TakeLoginRate(string openId, DateTimeOffset now)
    {
        var window = loginRate.GetOrAdd(openId, _ => new Queue<DateTimeOffset>());
        while (window.Count > 0 && now - window.Peek() >= TimeSpan.FromMinutes(1))
        {
            window.Dequeue();
        }
        if (window.Count >= 100)
        {
            return false;
        }
        window.Enqueue(now);
        return true;
    }

    /// <summary>The UnionID the sandbox gives an openid when the app is bound to an Open Platform account.</summary>
    public static string UnionIdOf(string openId) =>
        "sbx_union_" + Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(openId)))[..16];

    private sealed record SandboxApp(string AppId, string AppSecret, bool BoundToOpenPlatform)
    {
        public DateTimeOffset? LastForceRefresh { get; init; }
        public DateTime? ForceRefreshDay { get; init; }
        public int ForceRefreshCount { get; init; }
    }

    private sealed record LoginCode(string AppId, string OpenId, DateTimeOffset ExpiresAt, bool Used = false);

    private sealed record IssuedToken(string AppId, DateTimeOffset ExpiresAt, bool Stable, bool Revoked);
}

/// <summary>One JSON answer of the sandbox.</summary>
internal sealed record SandboxAnswer(IDictionary<string, object?> Body)
{
    public static SandboxAnswer Error(int errCode, string errMsg) => new(new Dictionary<string, object?>
    {
        ["errcode"] = errCode,
        ["errmsg"] = $"{errMsg} rid: {Rid()}",
    });

    public static SandboxAnswer Ok(IDictionary<string, object?> body, bool includeErrCode)
    {
        if (includeErrCode)
        {
            body["errcode"] = 0;
            body["errmsg"] = "ok";
        }
        return new SandboxAnswer(body);
    }

    private static string Rid()
    {
        var hex = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        return $"{hex[..8]}-{hex[8..16]}-{hex[16..]}";
    }
}
