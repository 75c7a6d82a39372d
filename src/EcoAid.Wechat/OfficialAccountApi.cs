using EcoAid.Wechat.AccessTokens;

namespace EcoAid.Wechat;

/// <summary>
/// The Official Account's WeChat APIs for callers: the account's credentials and access token are supplied here, and a
/// call answered "token invalid" (40001, 40014, 42001) gets a new token and is retried once — never more. Register it
/// like the typed <see cref="WechatApiClient"/> it wraps (transient or scoped), built with the Official Account's
/// <see cref="WechatApp"/>.
/// </summary>
public sealed class OfficialAccountApi
{
    private readonly WechatApiClient client;
    private readonly AccessTokenProvider tokens;

    /// <summary>Creates the façade for <paramref name="app"/>, the Official Account.</summary>
    public OfficialAccountApi(WechatApp app, WechatApiClient client, AccessTokenProvider tokens)
    {
        App = app;
        this.client = client;
        this.tokens = tokens;
    }

    /// <summary>The Official Account.</summary>
    public WechatApp App { get; }

    /// <summary>
    /// Sends a template message to a follower. Each value is first put on one line and cut to 20 characters with
    /// <see cref="WechatText.ForTemplateValue"/>, so what WeChat shows is predictable. 43004 when the user does not
    /// follow the account. Give a <see cref="TemplateMessage.ClientMsgId"/> to make a repeat of the same send harmless.
    /// </summary>
    public Task<WechatResult<MessageSent>> SendTemplateMessageAsync(TemplateMessage message, CancellationToken ct = default)
    {
        var shaped = message with
        {
            Data = message.Data.ToDictionary(pair => pair.Key, pair => WechatText.ForTemplateValue(pair.Value), StringComparer.Ordinal),
        };
        return tokens.CallAsync(App, (token, c) => client.SendTemplateMessageAsync(token, shaped, c), ct);
    }

    /// <summary>A temporary parameterised QR code whose scan pushes <paramref name="sceneStr"/> to our callback.</summary>
    /// <exception cref="ArgumentException">The scene is empty or longer than 64 characters, or the lifetime is outside 1 s to 30 days.</exception>
    public Task<WechatResult<QrCodeTicket>> CreateQrCodeAsync(string sceneStr, TimeSpan lifetime, CancellationToken ct = default)
    {
        WechatApiClient.CheckQrCodeArguments(sceneStr, lifetime); // before a token is fetched for nothing
        return tokens.CallAsync(App, (token, c) => client.CreateQrCodeAsync(token, sceneStr, lifetime, c), ct);
    }

    /// <summary>Whether <paramref name="openId"/> follows the account, with its UnionID when the account is bound.</summary>
    public Task<WechatResult<OfficialAccountUser>> GetUserInfoAsync(string openId, CancellationToken ct = default) =>
        tokens.CallAsync(App, (token, c) => client.GetUserInfoAsync(token, openId, "zh_CN", c), ct);
}
