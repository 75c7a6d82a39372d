namespace EcoAid.Wechat;

// Official Account APIs that take the access token explicitly (wechat-reference §6, §11, §12). The token travels only
// in the query string; the pipeline logs the path alone.
public sealed partial class WechatApiClient
{
    /// <summary>The longest life of a temporary parameterised QR code: 30 days.</summary>
    public static readonly TimeSpan MaxQrCodeLifetime = TimeSpan.FromSeconds(2_592_000);

    /// <summary>
    /// <c>POST /cgi-bin/message/template/send</c>: sends a template message as given (values are not shortened here;
    /// <see cref="OfficialAccountApi.SendTemplateMessageAsync"/> does that). With a <see cref="TemplateMessage.ClientMsgId"/>
    /// WeChat sends a message once per openid and id within 10 minutes, so a repeat with the same id is safe.
    /// </summary>
    public Task<WechatResult<MessageSent>> SendTemplateMessageAsync(string accessToken, TemplateMessage message, CancellationToken ct = default) =>
        SendAsync<MessageSent>(HttpMethod.Post, "cgi-bin/message/template/send", [("access_token", accessToken)],
            new TemplateSendBody(message.ToUser, message.TemplateId, message.Url,
                message.MiniProgram is { } mp ? new MiniProgramLink(mp.AppId, mp.PagePath) : null,
                message.ClientMsgId, WireData(message.Data)), ct);

    /// <summary>
    /// <c>POST /cgi-bin/qrcode/create</c>: a temporary parameterised QR code (<c>QR_STR_SCENE</c>) whose scan pushes
    /// <paramref name="sceneStr"/> to the Official Account's server (<c>qrscene_</c>-prefixed when the scan subscribes).
    /// </summary>
    /// <param name="accessToken">The Official Account's token.</param>
    /// <param name="sceneStr">1–64 characters.</param>
    /// <param name="lifetime">Whole seconds, 1 s to 30 days.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <exception cref="ArgumentException">The scene or the lifetime is outside WeChat's limits.</exception>
    public Task<WechatResult<QrCodeTicket>> CreateQrCodeAsync(string accessToken, string sceneStr, TimeSpan lifetime, CancellationToken ct = default)
    {
        CheckQrCodeArguments(sceneStr, lifetime);
        return SendAsync<QrCodeTicket>(HttpMethod.Post, "cgi-bin/qrcode/create", [("access_token", accessToken)],
            new QrCodeCreateBody((int)lifetime.TotalSeconds, "QR_STR_SCENE", new QrActionInfo(new QrScene(sceneStr))), ct);
    }

    internal static void CheckQrCodeArguments(string sceneStr, TimeSpan lifetime)
    {
        ArgumentException.ThrowIfNullOrEmpty(sceneStr);
        if (sceneStr.Length > 64)
        {
            throw new ArgumentException("scene_str has at most 64 characters", nameof(sceneStr));
        }
        if (lifetime < TimeSpan.FromSeconds(1) || lifetime > MaxQrCodeLifetime)
        {
            throw new ArgumentOutOfRangeException(nameof(lifetime), lifetime, "a temporary QR code lives 1 s to 30 days");
        }
    }

    /// <summary>
    /// Where WeChat serves the image of a QR code ticket: <c>https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket=…</c>,
    /// no token needed. The ticket holds <c>+</c>, <c>/</c> and <c>=</c>, so it is url-encoded.
    /// </summary>
    public static Uri ShowQrCodeUrl(string ticket) =>
        new("https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket=" + Uri.EscapeDataString(ticket));

    /// <summary>
    /// <c>GET /cgi-bin/user/info</c>: whether an Official Account openid follows the account, and its UnionID when the
    /// account is bound to an Open Platform account.
    /// </summary>
    public Task<WechatResult<OfficialAccountUser>> GetUserInfoAsync(string accessToken, string openId, string lang = "zh_CN", CancellationToken ct = default) =>
        SendAsync<OfficialAccountUser>(HttpMethod.Get, "cgi-bin/user/info",
            [("access_token", accessToken), ("openid", openId), ("lang", lang)], null, ct);

    private sealed record MiniProgramLink(string Appid, string Pagepath);

    private sealed record TemplateSendBody(string Touser, string TemplateId, string? Url, MiniProgramLink? Miniprogram,
        string? ClientMsgId, Dictionary<string, WireValue> Data);

    private sealed record QrCodeCreateBody(int ExpireSeconds, string ActionName, QrActionInfo ActionInfo);

    private sealed record QrActionInfo(QrScene Scene);

    private sealed record QrScene(string SceneStr);
}

/// <summary>The mini-program page a template message opens.</summary>
/// <param name="AppId">The mini-program, which must be linked to the Official Account.</param>
/// <param name="PagePath">The page, may carry a query.</param>
public sealed record TemplateMiniProgram(string AppId, string PagePath);

/// <summary>A template message to one follower of the Official Account.</summary>
/// <param name="ToUser">The recipient's Official Account openid.</param>
/// <param name="TemplateId">The template.</param>
/// <param name="Data">The value of each keyword. WeChat shows at most 20 characters of each and no line breaks.</param>
/// <param name="Url">A web page to open; when <paramref name="MiniProgram"/> is set too, the mini-program wins.</param>
/// <param name="MiniProgram">A mini-program page to open.</param>
/// <param name="ClientMsgId">A de-duplication id: the same openid and id within 10 minutes send one message.</param>
public sealed record TemplateMessage(string ToUser, string TemplateId, IReadOnlyDictionary<string, string> Data,
    string? Url = null, TemplateMiniProgram? MiniProgram = null, string? ClientMsgId = null);

/// <summary>A parameterised QR code of the Official Account.</summary>
/// <param name="Ticket">The ticket; see <see cref="WechatApiClient.ShowQrCodeUrl"/> for its image.</param>
/// <param name="ExpireSeconds">How long it is valid, in seconds.</param>
/// <param name="Url">The content of the QR code, to render it without downloading WeChat's image.</param>
public sealed record QrCodeTicket(string Ticket, int ExpireSeconds, string Url)
{
    /// <summary>The image of this code at WeChat.</summary>
    public Uri ShowQrCodeUrl => WechatApiClient.ShowQrCodeUrl(Ticket);
}

/// <summary>What <c>user/info</c> says about an Official Account openid.</summary>
/// <param name="Subscribe">1 when the user follows the account, 0 otherwise (then WeChat sends little else).</param>
/// <param name="Openid">The openid asked about.</param>
/// <param name="Unionid">The UnionID, only when the account is bound to an Open Platform account.</param>
/// <param name="SubscribeTime">When the user (last) followed, in Unix seconds.</param>
public sealed record OfficialAccountUser(int Subscribe, string Openid, string? Unionid = null, long? SubscribeTime = null)
{
    /// <summary>True when the user follows the account.</summary>
    public bool IsFollowing => Subscribe == 1;
}
