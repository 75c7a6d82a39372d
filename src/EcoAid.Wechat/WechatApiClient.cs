using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;

namespace EcoAid.Wechat;

/// <summary>
/// A typed <see cref="HttpClient"/> over WeChat's server API. The base address comes from settings (the real API host,
/// or the sandbox in development and tests). Every call goes through one response pipeline: the body is read as UTF-8
/// JSON whatever the Content-Type says, a missing <c>errcode</c> counts as 0 (one sent as a numeric string is read as
/// its number), error answers come back as <see cref="WechatResult{T}"/> failures, and only an unreachable or failing
/// server (or an answer that cannot be read) throws <see cref="WechatUnavailableException"/>. Nothing here logs a query
/// string, so tokens and secrets stay out of logs.
/// </summary>
public sealed partial class WechatApiClient
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowReadingFromString,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private readonly HttpClient http;
    private readonly ILogger<WechatApiClient> logger;

    /// <summary>Creates the client over an <see cref="HttpClient"/> whose BaseAddress points at WeChat or the sandbox.</summary>
    public WechatApiClient(HttpClient http, ILogger<WechatApiClient> logger)
    {
        this.http = http;
        this.logger = logger;
    }

    /// <summary><c>GET /sns/jscode2session</c>: exchanges a <c>wx.login</c> code for the user's openid.</summary>
    public Task<WechatResult<Code2SessionResponse>> Code2SessionAsync(WechatApp app, string jsCode, CancellationToken ct = default) =>
        SendAsync<Code2SessionResponse>(HttpMethod.Get, "sns/jscode2session",
            [("appid", app.AppId), ("secret", app.AppSecret), ("js_code", jsCode), ("grant_type", "authorization_code")], null, ct);

    /// <summary><c>POST /cgi-bin/stable_token</c>: the app's access token, in normal mode unless <paramref name="forceRefresh"/>.</summary>
    public Task<WechatResult<AccessTokenResponse>> GetStableAccessTokenAsync(WechatApp app, bool forceRefresh = false, CancellationToken ct = default) =>
        SendAsync<AccessTokenResponse>(HttpMethod.Post, "cgi-bin/stable_token", [],
            new StableTokenRequest("client_credential", app.AppId, app.AppSecret, forceRefresh), ct);

    /// <summary>Sends one call and runs the response pipeline. <paramref name="path"/> has no leading slash.</summary>
    internal async Task<WechatResult<T>> SendAsync<T>(HttpMethod method, string path,
        IEnumerable<(string Name, string Value)> query, object? body, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, BuildUri(path, query));
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, body.GetType(), options: Json);
        }

        var started = Stopwatch.GetTimestamp();
        byte[] payload;
        string? mediaType;
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct);
            payload = await response.Content.ReadAsByteArrayAsync(ct);
            mediaType = response.Content.Headers.ContentType?.MediaType;
            if ((int)response.StatusCode >= 500)
            {
                Log.CallFailed(logger, path, (int)response.StatusCode);
                throw new WechatUnavailableException(path, $"HTTP {(int)response.StatusCode}");
            }
            if (!response.IsSuccessStatusCode)
            {
                Log.CallFailed(logger, path, (int)response.StatusCode);
                throw new WechatUnavailableException(path, $"unexpected HTTP {(int)response.StatusCode}");
            }
        }
        catch (HttpRequestException e)
        {
            Log.Unreachable(logger, path, e.HttpRequestError.ToString());
            throw new WechatUnavailableException(path, "unreachable", e);
        }
        catch (TaskCanceledException e) when (!ct.IsCancellationRequested)
        {
            Log.Unreachable(logger, path, "timeout");
            throw new WechatUnavailableException(path, "timed out", e);
        }

        var result = ParseAnswer<T>(path, payload, mediaType);
        Log.Called(logger, path, result.Error?.ErrCode ?? 0, result.Error?.Rid ?? "", Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return result;
    }

    internal static WechatResult<T> Parse<T>(string path, ReadOnlySpan<byte> payload)
    {
        try
        {
            using var document = JsonDocument.Parse(payload.ToArray());
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new WechatUnavailableException(path, "answer is not a JSON object");
            }
            var errCode = ReadErrCode(path, root);
            if (errCode != 0)
            {
                var errMsg = root.TryGetProperty("errmsg", out var msg) ? msg.ValueKind switch
                {
                    JsonValueKind.String => msg.GetString() ?? "",
                    JsonValueKind.Null => "",
                    _ => msg.GetRawText(),
                } : "";
                return WechatResult<T>.Failure(new WechatError(errCode, errMsg));
            }
            var value = root.Deserialize<T>(Json) ?? throw new WechatUnavailableException(path, "empty answer");
            return WechatResult<T>.Success(value);
        }
        catch (JsonException e)
        {
            throw new WechatUnavailableException(path, "answer is not valid JSON", e);
        }
    }

    /// <summary>
    /// The answer's errcode: 0 when absent or null, read leniently from a number or a numeric string (§1.3). Anything
    /// else is a broken answer rather than a success, so it throws instead of falling through to the payload.
    /// </summary>
    private static int ReadErrCode(string path, JsonElement root)
    {
        if (!root.TryGetProperty("errcode", out var code) || code.ValueKind == JsonValueKind.Null)
        {
            return 0;
        }
        if (code.ValueKind == JsonValueKind.Number && code.TryGetInt32(out var number))
        {
            return number;
        }
        if (code.ValueKind == JsonValueKind.String
            && int.TryParse(code.GetString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out number))
        {
            return number;
        }
        throw new WechatUnavailableException(path, $"errcode is not an integer ({code.ValueKind})");
    }

    private static string BuildUri(string path, IEnumerable<(string Name, string Value)> query)
    {
        var parts = query.Select(q => $"{Uri.EscapeDataString(q.Name)}={Uri.EscapeDataString(q.Value)}").ToArray();
        return parts.Length == 0 ? path : $"{path}?{string.Join('&', parts)}";
    }

    private sealed record StableTokenRequest(string GrantType, string Appid, string Secret, bool ForceRefresh);

    private static partial class Log
    {
        [LoggerMessage(EventId = 9000, Level = LogLevel.Debug, Message = "WeChat {Api} answered errcode {ErrCode} (rid {Rid}) in {ElapsedMs:0} ms")]
        public static partial void Called(ILogger logger, string api, int errCode, string rid, double elapsedMs);

        [LoggerMessage(EventId = 9001, Level = LogLevel.Warning, Message = "WeChat {Api} answered HTTP {Status}")]
        public static partial void CallFailed(ILogger logger, string api, int status);

        [LoggerMessage(EventId = 9002, Level = LogLevel.Warning, Message = "WeChat {Api} unreachable: {Reason}")]
        public static partial void Unreachable(ILogger logger, string api, string reason);
    }
}

/// <summary>What <c>jscode2session</c> answers.</summary>
/// <param name="Openid">The user's id within this mini-program.</param>
/// <param name="SessionKey">The session key. Server-side only: never returned, logged or stored in plain text.</param>
/// <param name="Unionid">The UnionID, when the app is bound to an Open Platform account.</param>
public sealed record Code2SessionResponse(string Openid, string SessionKey, string? Unionid)
{
    /// <summary>Leaves the session key out.</summary>
    public override string ToString() => $"Code2SessionResponse {{ Openid = {Openid} }}";
}

/// <summary>What <c>stable_token</c> answers.</summary>
/// <param name="AccessToken">The token.</param>
/// <param name="ExpiresIn">Remaining lifetime in seconds.</param>
public sealed record AccessTokenResponse(string AccessToken, int ExpiresIn)
{
    /// <summary>Leaves the token out.</summary>
    public override string ToString() => $"AccessTokenResponse {{ ExpiresIn = {ExpiresIn} }}";
}
