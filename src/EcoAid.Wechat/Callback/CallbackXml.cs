using System.Globalization;
using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace EcoAid.Wechat.Callback;

/// <summary>
/// Parses the XML bodies WeChat pushes to our callback URL. DTDs are refused, no external resources are
/// resolved and bodies over <see cref="MaxBodyBytes"/> are rejected; every failure is a <see cref="WechatCallbackException"/>.
/// </summary>
public static class CallbackXml
{
    /// <summary>The largest body accepted, in UTF-8 bytes. Real pushes are a few kilobytes.</summary>
    public const int MaxBodyBytes = 64 * 1024;

    const string QrScenePrefix = "qrscene_";

    static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    static readonly XmlReaderSettings ReaderSettings = new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        MaxCharactersInDocument = MaxBodyBytes, // a second line of defence; the size is checked before parsing
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
    };

    /// <summary>
    /// Reads a request body, stopping as soon as it exceeds <see cref="MaxBodyBytes"/>, so an oversized body
    /// is never buffered in full.
    /// </summary>
    /// <param name="body">The request body stream.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The body decoded as UTF-8.</returns>
    /// <exception cref="WechatCallbackException">The body is too large or not UTF-8.</exception>
    public static async Task<string> ReadBodyAsync(Stream body, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(body);
        var buffer = new byte[MaxBodyBytes + 1];
        int total = 0;
        while (total < buffer.Length)
        {
            int read = await body.ReadAsync(buffer.AsMemory(total), cancellationToken).ConfigureAwait(false);
            if (read == 0)
                break;
            total += read;
        }
        if (total > MaxBodyBytes)
            throw TooLarge();
        try
        {
            return StrictUtf8.GetString(buffer, 0, total);
        }
        catch (DecoderFallbackException e)
        {
            throw new WechatCallbackException(WechatCallbackError.MalformedXml, "The body is not valid UTF-8.", e);
        }
    }

    /// <summary>Parses a safe-mode body. Compatible-mode bodies, which also carry the plain fields, are accepted too.</summary>
    /// <param name="xml">The request body.</param>
    /// <exception cref="WechatCallbackException">The body is oversized, malformed, or lacks <c>ToUserName</c> or <c>Encrypt</c>.</exception>
    public static EncryptedEnvelope ParseEnvelope(string xml)
    {
        var root = Load(xml);
        return new EncryptedEnvelope(Required(root, "ToUserName"), Required(root, "Encrypt"));
    }

    /// <summary>Parses a plain-mode body, or the message decrypted from a safe-mode body.</summary>
    /// <param name="xml">The message XML.</param>
    /// <returns>
    /// A <see cref="SubscribeEvent"/>, <see cref="ScanEvent"/>, <see cref="UnsubscribeEvent"/>,
    /// <see cref="TemplateSendJobFinishEvent"/>, <see cref="TextMessage"/>, or an <see cref="UnknownMessage"/> for anything else.
    /// Event and message type names are matched case-insensitively.
    /// </returns>
    /// <exception cref="WechatCallbackException">The body is oversized, malformed, or lacks a field its type requires.</exception>
    public static CallbackMessage ParseMessage(string xml)
    {
        var root = Load(xml);
        string toUserName = Required(root, "ToUserName");
        string fromUserName = Required(root, "FromUserName");
        long createTime = RequiredInt64(root, "CreateTime");
        string msgType = Required(root, "MsgType");
        string? eventName = Optional(root, "Event");

        return (msgType.ToLowerInvariant(), eventName?.ToLowerInvariant()) switch
        {
            ("text", _) => new TextMessage
            {
                ToUserName = toUserName, FromUserName = fromUserName, CreateTime = createTime,
                Content = Required(root, "Content"),
                MsgId = RequiredInt64(root, "MsgId"),
            },
            ("event", "subscribe") => new SubscribeEvent
            {
                ToUserName = toUserName, FromUserName = fromUserName, CreateTime = createTime,
                Scene = Optional(root, "EventKey") is { } key && key.StartsWith(QrScenePrefix, StringComparison.Ordinal)
                    ? key[QrScenePrefix.Length..]
                    : null,
                Ticket = Optional(root, "Ticket"),
            },
            ("event", "scan") => new ScanEvent
            {
                ToUserName = toUserName, FromUserName = fromUserName, CreateTime = createTime,
                Scene = Required(root, "EventKey"),
                Ticket = Optional(root, "Ticket"),
            },
            ("event", "unsubscribe") => new UnsubscribeEvent
            {
                ToUserName = toUserName, FromUserName = fromUserName, CreateTime = createTime,
            },
            ("event", "templatesendjobfinish") => new TemplateSendJobFinishEvent
            {
                ToUserName = toUserName, FromUserName = fromUserName, CreateTime = createTime,
                MsgId = RequiredInt64(root, "MsgID"),
                Status = Required(root, "Status"),
            },
            _ => new UnknownMessage
            {
                ToUserName = toUserName, FromUserName = fromUserName, CreateTime = createTime,
                MsgType = msgType,
                Event = eventName,
                MsgId = Optional(root, "MsgId") is { } id ? ParseInt64(id, "MsgId") : null,
            },
        };
    }

    static XElement Load(string xml)
    {
        ArgumentNullException.ThrowIfNull(xml);
        // Length first: a string longer than the cap is too large whatever its encoding.
        if (xml.Length > MaxBodyBytes || Encoding.UTF8.GetByteCount(xml) > MaxBodyBytes)
            throw TooLarge();

        XElement root;
        try
        {
            using var reader = XmlReader.Create(new StringReader(xml), ReaderSettings);
            root = XElement.Load(reader);
        }
        catch (XmlException e)
        {
            throw new WechatCallbackException(WechatCallbackError.MalformedXml, $"The body is not acceptable XML: {e.Message}", e);
        }
        if (root.Name != "xml")
            throw Malformed($"The root element is <{root.Name}>, not <xml>.");
        return root;
    }

    static string? Optional(XElement root, string name) => root.Element(name)?.Value is { Length: > 0 } value ? value : null;

    static string Required(XElement root, string name) => Optional(root, name) ?? throw Malformed($"<{name}> is missing or empty.");

    static long RequiredInt64(XElement root, string name) => ParseInt64(Required(root, name), name);

    static long ParseInt64(string value, string name) =>
        long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out long number)
            ? number
            : throw Malformed($"<{name}> is not a non-negative 64-bit integer.");

    static WechatCallbackException Malformed(string message) => new(WechatCallbackError.MalformedXml, message);

    static WechatCallbackException TooLarge() =>
        new(WechatCallbackError.BodyTooLarge, $"The body is larger than {MaxBodyBytes} bytes.");
}
