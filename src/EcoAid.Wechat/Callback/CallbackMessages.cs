namespace EcoAid.Wechat.Callback;

/// <summary>The safe-mode request body: <c>&lt;xml&gt;&lt;ToUserName/&gt;&lt;Encrypt/&gt;&lt;/xml&gt;</c>.</summary>
/// <param name="ToUserName">Our account's original id (<c>gh_…</c>).</param>
/// <param name="Encrypt">The Base64 ciphertext to pass to <see cref="WechatMessageCrypto.Decrypt"/>.</param>
public sealed record EncryptedEnvelope(string ToUserName, string Encrypt);

/// <summary>A plain (or decrypted) message or event pushed by WeChat.</summary>
public abstract record CallbackMessage
{
    /// <summary>Our account's original id (<c>gh_…</c>).</summary>
    public required string ToUserName { get; init; }

    /// <summary>The sender's openid.</summary>
    public required string FromUserName { get; init; }

    /// <summary>When WeChat created the push, in unix seconds.</summary>
    public required long CreateTime { get; init; }

    /// <summary>
    /// Identifies a push across WeChat's retries (it retries up to three times when we are slow):
    /// the <c>MsgId</c> for messages, <c>FromUserName</c> + <c>CreateTime</c> + event name for events.
    /// </summary>
    public abstract string DedupeKey { get; }

    private protected static string MessageKey(long msgId) => $"msg:{msgId}";

    private protected string EventKey(string eventName) => $"event:{FromUserName}:{CreateTime}:{eventName}";
}

/// <summary>
/// <c>subscribe</c>: the user followed us. When they did so by scanning a parameterised QR code,
/// <see cref="Scene"/> and <see cref="Ticket"/> are set.
/// </summary>
public sealed record SubscribeEvent : CallbackMessage
{
    /// <summary>The QR code's scene (the <c>EventKey</c> without its <c>qrscene_</c> prefix), or null for a plain follow.</summary>
    public string? Scene { get; init; }

    /// <summary>The ticket of the scanned QR code, or null for a plain follow.</summary>
    public string? Ticket { get; init; }

    /// <inheritdoc/>
    public override string DedupeKey => EventKey("subscribe");
}

/// <summary><c>SCAN</c>: a user who already follows us scanned a parameterised QR code.</summary>
public sealed record ScanEvent : CallbackMessage
{
    /// <summary>The QR code's scene (the <c>EventKey</c>, which carries no prefix for this event).</summary>
    public required string Scene { get; init; }

    /// <summary>The ticket of the scanned QR code, when WeChat sent one.</summary>
    public string? Ticket { get; init; }

    /// <inheritdoc/>
    public override string DedupeKey => EventKey("scan");
}

/// <summary><c>unsubscribe</c>: the user unfollowed us; WeChat asks that their data be deleted.</summary>
public sealed record UnsubscribeEvent : CallbackMessage
{
    /// <inheritdoc/>
    public override string DedupeKey => EventKey("unsubscribe");
}

/// <summary><c>TEMPLATESENDJOBFINISH</c>: the delivery result of an Official Account template message.</summary>
public sealed record TemplateSendJobFinishEvent : CallbackMessage
{
    /// <summary>The <c>MsgID</c> element: the <c>msgid</c> returned when the template message was sent.</summary>
    public required long MsgId { get; init; }

    /// <summary><c>success</c>, <c>failed:user block</c> or <c>failed: system failed</c>, as sent.</summary>
    public required string Status { get; init; }

    /// <inheritdoc/>
    /// <remarks>Includes <see cref="MsgId"/>: two template messages to one user can finish in the same second.</remarks>
    public override string DedupeKey => $"{EventKey("templatesendjobfinish")}:{MsgId}";
}

/// <summary>A text message the user sent us.</summary>
public sealed record TextMessage : CallbackMessage
{
    /// <summary>The text.</summary>
    public required string Content { get; init; }

    /// <summary>WeChat's 64-bit message id.</summary>
    public required long MsgId { get; init; }

    /// <inheritdoc/>
    public override string DedupeKey => MessageKey(MsgId);
}

/// <summary>Any message or event this library does not model; enough to log it and acknowledge it.</summary>
public sealed record UnknownMessage : CallbackMessage
{
    /// <summary>The <c>MsgType</c> element, as sent.</summary>
    public required string MsgType { get; init; }

    /// <summary>The <c>Event</c> element as sent, for <c>MsgType=event</c>.</summary>
    public string? Event { get; init; }

    /// <summary>The <c>MsgId</c> element, which ordinary messages carry and events do not.</summary>
    public long? MsgId { get; init; }

    /// <inheritdoc/>
    public override string DedupeKey => MsgId is { } id ? MessageKey(id) : EventKey(Event ?? MsgType);
}
