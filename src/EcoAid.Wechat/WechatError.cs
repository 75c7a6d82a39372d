namespace EcoAid.Wechat;

/// <summary>How a caller should react to a WeChat error code (wechat-reference §1.4).</summary>
public enum WechatErrorKind
{
    /// <summary>The access token is invalid, overwritten or expired: refresh once and retry once.</summary>
    TokenInvalid,
    /// <summary>WeChat is busy or failed (-1, HTTP 5xx, time-out): try again later with back-off.</summary>
    Transient,
    /// <summary>A per-minute or daily quota is used up (45009, 45011): try again much later.</summary>
    QuotaExceeded,
    /// <summary>A business outcome or a data/config error that no retry will change.</summary>
    Permanent,
}

/// <summary>An error answer from WeChat.</summary>
/// <param name="ErrCode">WeChat's <c>errcode</c>; 0 is never an error.</param>
/// <param name="ErrMsg">WeChat's <c>errmsg</c>, free text that usually ends with a <c>rid</c>.</param>
public sealed record WechatError(int ErrCode, string ErrMsg)
{
    /// <summary>The classification that decides retries.</summary>
    public WechatErrorKind Kind => Classify(ErrCode);

    /// <summary>WeChat's request id (<c>rid: ...</c>) from the error text, for support tickets; empty when absent.</summary>
    public string Rid
    {
        get
        {
            var at = ErrMsg.IndexOf("rid:", StringComparison.Ordinal);
            return at < 0 ? "" : ErrMsg[(at + 4)..].Trim();
        }
    }

    /// <summary>Maps an errcode to how it is handled.</summary>
    public static WechatErrorKind Classify(int errCode) => errCode switch
    {
        WechatErrorCodes.InvalidCredential or WechatErrorCodes.InvalidAccessToken or WechatErrorCodes.AccessTokenExpired
            => WechatErrorKind.TokenInvalid,
        WechatErrorCodes.SystemBusy => WechatErrorKind.Transient,
        WechatErrorCodes.DailyQuotaReached or WechatErrorCodes.MinuteQuotaReached => WechatErrorKind.QuotaExceeded,
        _ => WechatErrorKind.Permanent,
    };
}

/// <summary>The errcodes the code base reacts to by name.</summary>
public static class WechatErrorCodes
{
    /// <summary>-1: system busy.</summary>
    public const int SystemBusy = -1;
    /// <summary>40001: token invalid or not the latest (or a wrong AppSecret when fetching a token).</summary>
    public const int InvalidCredential = 40001;
    /// <summary>40003: invalid openid.</summary>
    public const int InvalidOpenId = 40003;
    /// <summary>40013: invalid appid.</summary>
    public const int InvalidAppId = 40013;
    /// <summary>40014: malformed access token.</summary>
    public const int InvalidAccessToken = 40014;
    /// <summary>40029: invalid or expired code.</summary>
    public const int InvalidCode = 40029;
    /// <summary>40037: unknown template id.</summary>
    public const int InvalidTemplateId = 40037;
    /// <summary>40125: invalid AppSecret.</summary>
    public const int InvalidAppSecret = 40125;
    /// <summary>40163: the code was used already.</summary>
    public const int CodeBeenUsed = 40163;
    /// <summary>40226: login blocked for a high-risk user.</summary>
    public const int CodeBlocked = 40226;
    /// <summary>41001: access token missing.</summary>
    public const int AccessTokenMissing = 41001;
    /// <summary>42001: access token expired.</summary>
    public const int AccessTokenExpired = 42001;
    /// <summary>43004: the user does not follow the Official Account.</summary>
    public const int NotFollowing = 43004;
    /// <summary>43101: the user has no subscribe-message acceptance left.</summary>
    public const int NoSubscriptionLeft = 43101;
    /// <summary>45009: daily quota reached.</summary>
    public const int DailyQuotaReached = 45009;
    /// <summary>45011: per-minute limit reached.</summary>
    public const int MinuteQuotaReached = 45011;
    /// <summary>47001: body is not valid JSON or has the wrong shape.</summary>
    public const int DataFormatError = 47001;
    /// <summary>47003: template or subscribe data invalid.</summary>
    public const int ArgumentInvalid = 47003;
}

/// <summary>The outcome of one WeChat call: a value, or WeChat's error answer.</summary>
/// <typeparam name="T">The success payload.</typeparam>
public readonly record struct WechatResult<T>
{
    private WechatResult(T? value, WechatError? error) => (Value, Error) = (value, error);

    /// <summary>The payload when the call succeeded.</summary>
    public T? Value { get; }

    /// <summary>WeChat's error answer when it did not.</summary>
    public WechatError? Error { get; }

    /// <summary>True when WeChat answered without an error.</summary>
    public bool IsSuccess => Error is null;

    /// <summary>A success.</summary>
    public static WechatResult<T> Success(T value) => new(value, null);

    /// <summary>An error answer.</summary>
    public static WechatResult<T> Failure(WechatError error) => new(default, error);
}

/// <summary>
/// WeChat could not be reached or answered with a failure that says "later" (HTTP 5xx, a time-out, a network error,
/// or an errcode classified as transient when the caller asked for that to be thrown).
/// </summary>
public sealed class WechatUnavailableException : Exception
{
    /// <summary>Creates the exception.</summary>
    public WechatUnavailableException(string api, string message, Exception? inner = null, int? errCode = null)
        : base($"WeChat {api}: {message}", inner) => (Api, ErrCode) = (api, errCode);

    /// <summary>The WeChat API path that failed (never with its query string).</summary>
    public string Api { get; }

    /// <summary>The errcode, when WeChat answered with one.</summary>
    public int? ErrCode { get; }
}
