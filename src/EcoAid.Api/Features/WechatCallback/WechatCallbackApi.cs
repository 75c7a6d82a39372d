using Dapper;
using EcoAid.Api.Infrastructure.Http;
using EcoAid.Api.Infrastructure.Wechat;
using EcoAid.Wechat.Callback;
using Microsoft.Extensions.Options;
using MySqlConnector;

namespace EcoAid.Api.Features.WechatCallback;

/// <summary>
/// The Official Account's server callback (wechat-reference §7). GET answers WeChat's URL check; POST verifies the
/// signature (msg_signature in safe and compatible mode), decrypts, parses, stores the delivery once under its dedupe
/// key, and replies <c>success</c>. Processing runs with a time budget so the answer always beats WeChat's 5 seconds;
/// whatever does not finish in time is finished by <see cref="CallbackEventsWorker"/>.
/// </summary>
public static partial class WechatCallbackApi
{
    /// <summary>How long a request waits for processing before it answers anyway.</summary>
    public static readonly TimeSpan ProcessingBudget = TimeSpan.FromSeconds(2);

    internal static IEndpointRouteBuilder MapWechatCallbackEndpoints(this IEndpointRouteBuilder routes)
    {
        // WeChat authenticates by signature, not by our sessions.
        var group = routes.MapGroup("/wechat/callback").WithTags("WeChat").AllowAnonymous().ExcludeFromDescription();
        group.MapGet("/", VerifyUrl);
        group.MapPost("/", Receive);
        return routes;
    }

    static IResult VerifyUrl(string? signature, string? timestamp, string? nonce, string? echostr, IOptions<WechatOptions> options) =>
        CallbackSignature.VerifyUrlSignature(options.Value.OfficialAccount.Token!, timestamp, nonce, signature) && echostr is not null
            ? Results.Text(echostr, "text/plain")
            : BadSignature();

    static async Task<IResult> Receive(HttpRequest request, IOptions<WechatOptions> options, MySqlDataSource db, CallbackProcessor processor,
        TimeProvider clock, ILoggerFactory loggers, IHostApplicationLifetime lifetime)
    {
        var logger = loggers.CreateLogger(typeof(WechatCallbackApi));
        var oa = options.Value.OfficialAccount;
        var q = request.Query;
        CallbackMessage message;
        string xml;
        try
        {
            var body = await CallbackXml.ReadBodyAsync(request.Body, request.HttpContext.RequestAborted);
            // The signature covers the timestamp: a captured triple stops working once it leaves the window. Measured
            // against the machine's clock (WeChat's), not the service's, which tests move.
            if (!WithinWindow(q["timestamp"], oa.CallbackWindow, TimeProvider.System.GetUtcNow()))
            {
                Log.Rejected(logger, "StaleTimestamp");
                return Problems.Create(StatusCodes.Status401Unauthorized, "wechat.stale_push", "推送已过期", "推送的时间戳不在允许的时间范围内。");
            }
            var encrypted = string.Equals(q["encrypt_type"], "aes", StringComparison.OrdinalIgnoreCase);
            if (!encrypted && !string.IsNullOrEmpty(oa.EncodingAesKey))
            {
                // Plaintext mode signs only (token, timestamp, nonce), not the body: with a key configured, only
                // encrypted pushes (safe mode, or compatible mode's encrypted part) are believed.
                Log.Rejected(logger, "PlaintextRefused");
                return Problems.Create(StatusCodes.Status401Unauthorized, "wechat.encryption_required", "推送须加密", "已配置消息加密密钥，只接受加密的推送。");
            }
            if (encrypted)
            {
                var envelope = CallbackXml.ParseEnvelope(body);
                var crypto = new WechatMessageCrypto(oa.Token!, oa.EncodingAesKey!, oa.AppId!);
                xml = crypto.Decrypt(q["timestamp"], q["nonce"], envelope.Encrypt, q["msg_signature"]);
            }
            else
            {
                if (!CallbackSignature.VerifyUrlSignature(oa.Token!, q["timestamp"], q["nonce"], q["signature"]))
                {
                    Log.Rejected(logger, nameof(WechatCallbackError.InvalidSignature));
                    return BadSignature();
                }
                xml = body;
            }
            message = CallbackXml.ParseMessage(xml);
        }
        catch (WechatCallbackException e)
        {
            Log.Rejected(logger, e.Error.ToString());
            return e.Error switch
            {
                WechatCallbackError.InvalidSignature or WechatCallbackError.AppIdMismatch => BadSignature(),
                WechatCallbackError.BodyTooLarge => Problems.Create(StatusCodes.Status413PayloadTooLarge, "request.too_large", "内容过大", "推送内容超过 64 KB。"),
                _ => Problems.BadRequest("wechat.invalid_push", "推送内容无法解析。"),
            };
        }

        var eventId = await StoreOnceAsync(db, message, xml, clock, request.HttpContext.RequestAborted);
        if (eventId is null)
        {
            Log.Duplicate(logger, WechatCallbackApi.KindOf(message));
            return Success();
        }

        // Processing must not be cut short by WeChat hanging up, only by the service stopping.
        var processing = processor.ProcessAsync(eventId.Value, lifetime.ApplicationStopping);
        // If it fails after the answer went out, say so; the sweeper tries again.
        _ = processing.ContinueWith(t => Log.ProcessingFailed(logger, t.Exception!.GetBaseException(), eventId.Value),
            CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        var finished = await Task.WhenAny(processing, Task.Delay(ProcessingBudget, clock, lifetime.ApplicationStopping));
        if (finished != processing)
        {
            Log.Deferred(logger, eventId.Value);
        }
        return Success();
    }

    private static async Task<long?> StoreOnceAsync(MySqlDataSource db, CallbackMessage message, string xml, TimeProvider clock, CancellationToken ct)
    {
        const string insert = """
            INSERT IGNORE INTO wechat_callback_events (dedupe_key, kind, from_openid, payload, received_at)
            VALUES (@DedupeKey, @Kind, @FromUserName, @xml, @now)
            """;
        await using var connection = await db.OpenConnectionAsync(ct);
        var inserted = await connection.ExecuteAsync(new CommandDefinition(insert, new
        {
            message.DedupeKey, Kind = KindOf(message), message.FromUserName, xml, now = clock.GetUtcNow().UtcDateTime,
        }, cancellationToken: ct));
        return inserted == 0 ? null : await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT LAST_INSERT_ID()", cancellationToken: ct));
    }

    internal static bool WithinWindow(string? timestamp, TimeSpan window, DateTimeOffset now) =>
        long.TryParse(timestamp, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds)
        && seconds < 100_000_000_000
        && (now - DateTimeOffset.FromUnixTimeSeconds(seconds)).Duration() <= window;

    internal static string KindOf(CallbackMessage message) => message switch
    {
        SubscribeEvent => "subscribe",
        ScanEvent => "scan",
        UnsubscribeEvent => "unsubscribe",
        TemplateSendJobFinishEvent => "template_send_job_finish",
        TextMessage => "text",
        UnknownMessage u => $"unknown:{u.MsgType}:{u.Event}"[..Math.Min(64, $"unknown:{u.MsgType}:{u.Event}".Length)],
        _ => "unknown",
    };

    // WeChat needs no encryption for "success", in any mode (§7.3).
    private static IResult Success() => Results.Text("success", "text/plain");

    private static IResult BadSignature() =>
        Problems.Create(StatusCodes.Status401Unauthorized, "wechat.invalid_signature", "签名无效", "推送签名校验失败。");

    private static partial class Log
    {
        [LoggerMessage(EventId = 3000, Level = LogLevel.Warning, Message = "WeChat callback rejected: {Reason}")]
        public static partial void Rejected(ILogger logger, string reason);

        [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "WeChat callback {Kind} already received; answered success again")]
        public static partial void Duplicate(ILogger logger, string kind);

        [LoggerMessage(EventId = 3003, Level = LogLevel.Error, Message = "WeChat callback event {EventId} failed; the sweeper will retry it")]
        public static partial void ProcessingFailed(ILogger logger, Exception exception, long eventId);

        [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "WeChat callback event {EventId} still processing after the budget; answered success")]
        public static partial void Deferred(ILogger logger, long eventId);
    }
}
