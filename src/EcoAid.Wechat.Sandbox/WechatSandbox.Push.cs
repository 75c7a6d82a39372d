using System.Security;
using EcoAid.Wechat.Callback;

namespace EcoAid.Wechat.Sandbox;

/// <summary>How WeChat sends pushes to the Official Account's server URL (wechat-reference §7.4).</summary>
public enum PushMode
{
    /// <summary>Plain XML, signed with the URL signature.</summary>
    Plain,
    /// <summary>Plain fields and an <c>Encrypt</c> element, with <c>msg_signature</c>.</summary>
    Compatible,
    /// <summary>Only <c>ToUserName</c> and <c>Encrypt</c>, with <c>msg_signature</c>.</summary>
    Safe,
}

/// <summary>Where and how the sandbox pushes Official Account events: the server configuration of the OA.</summary>
/// <param name="CallbackPath">The callback's URL, absolute or relative to the HttpClient's base address.</param>
/// <param name="Token">The server-configuration Token.</param>
/// <param name="EncodingAesKey">The 43-character EncodingAESKey.</param>
/// <param name="AppId">The Official Account's appid.</param>
/// <param name="OriginalId">The account's original id (<c>gh_...</c>), sent as ToUserName.</param>
public sealed record SandboxPushTarget(string CallbackPath, string Token, string EncodingAesKey, string AppId, string OriginalId = "gh_sandbox0000001");

/// <summary>What the server answered to a push, after WeChat's retries.</summary>
/// <param name="Status">The HTTP status of the last attempt, or 0 when every attempt timed out.</param>
/// <param name="Body">The body of the last answer.</param>
/// <param name="Attempts">How many deliveries were made (WeChat tries up to 3 times).</param>
public sealed record SandboxPushResult(int Status, string Body, int Attempts);

public sealed partial class WechatSandbox
{
    /// <summary>How long WeChat waits for the server's answer before it retries.</summary>
    public static readonly TimeSpan PushTimeout = TimeSpan.FromSeconds(5);

    /// <summary>The OA server configuration used for pushes; null until set.</summary>
    public SandboxPushTarget? PushTarget { get; set; }

    /// <summary>
    /// Delivers an event to <see cref="PushTarget"/> as WeChat would: signed, encrypted in safe and compatible mode,
    /// and delivered again (up to 3 times in all) when no answer arrives within 5 seconds.
    /// </summary>
    public async Task<SandboxPushResult> PushAsync(HttpClient http, string eventXml, PushMode mode, CancellationToken ct = default)
    {
        var target = PushTarget ?? throw new InvalidOperationException("Set PushTarget before pushing events.");
        var timestamp = Time.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var nonce = RandomNumberGenerator.GetInt32(100_000_000, int.MaxValue).ToString(CultureInfo.InvariantCulture);
        var query = $"signature={CallbackSignature.ComputeUrlSignature(target.Token, timestamp, nonce)}&timestamp={timestamp}&nonce={nonce}";
        var body = eventXml;
        if (mode != PushMode.Plain)
        {
            var crypto = new WechatMessageCrypto(target.Token, target.EncodingAesKey, target.AppId);
            var encrypted = crypto.Encrypt(eventXml);
            var msgSignature = CallbackSignature.ComputeMessageSignature(target.Token, timestamp, nonce, encrypted);
            var openId = ReadElement(eventXml, "FromUserName");
            query += $"&openid={Uri.EscapeDataString(openId)}&encrypt_type=aes&msg_signature={msgSignature}";
            body = mode == PushMode.Safe
                ? $"<xml><ToUserName><![CDATA[{target.OriginalId}]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
                : eventXml.Replace("</xml>", $"<Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>", StringComparison.Ordinal);
        }

        var separator = target.CallbackPath.Contains('?', StringComparison.Ordinal) ? '&' : '?';
        for (var attempt = 1; ; attempt++)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(PushTimeout);
            try
            {
                using var content = new StringContent(body, System.Text.Encoding.UTF8, "text/xml");
                using var response = await http.PostAsync($"{target.CallbackPath}{separator}{query}", content, timeout.Token);
                return new SandboxPushResult((int)response.StatusCode, await response.Content.ReadAsStringAsync(ct), attempt);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested && attempt < 3)
            {
                // No answer in 5 seconds: WeChat drops the connection and delivers the same event again.
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                return new SandboxPushResult(0, "", attempt);
            }
        }
    }

    /// <summary>The XML of an event as WeChat pushes it to the Official Account.</summary>
    public string EventXml(string openId, string eventName, string? eventKey = null, string? ticket = null, long? msgId = null, string? status = null)
    {
        var target = PushTarget ?? throw new InvalidOperationException("Set PushTarget before building events.");
        var xml = new System.Text.StringBuilder()
            .Append("<xml><ToUserName><![CDATA[").Append(target.OriginalId).Append("]]></ToUserName>")
            .Append("<FromUserName><![CDATA[").Append(openId).Append("]]></FromUserName>")
            .Append("<CreateTime>").Append(Time.GetUtcNow().ToUnixTimeSeconds()).Append("</CreateTime>")
            .Append("<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[").Append(eventName).Append("]]></Event>");
        if (eventKey is not null) xml.Append("<EventKey><![CDATA[").Append(eventKey).Append("]]></EventKey>");
        if (ticket is not null) xml.Append("<Ticket><![CDATA[").Append(ticket).Append("]]></Ticket>");
        if (msgId is not null) xml.Append("<MsgID>").Append(msgId.Value).Append("</MsgID>");
        if (status is not null) xml.Append("<Status><![CDATA[").Append(SecurityElement.Escape(status)).Append("]]></Status>");
        return xml.Append("</xml>").ToString();
    }

    private static string ReadElement(string xml, string name)
    {
        var start = xml.IndexOf($"<{name}><![CDATA[", StringComparison.Ordinal);
        if (start < 0) return "";
        start += name.Length + 11;
        var end = xml.IndexOf("]]>", start, StringComparison.Ordinal);
        return end < 0 ? "" : xml[start..end];
    }
}
