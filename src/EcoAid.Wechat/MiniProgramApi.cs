using EcoAid.Wechat.AccessTokens;

namespace EcoAid.Wechat;

/// <summary>
/// The mini-program's WeChat APIs for callers: the app's credentials and access token are supplied here, and a call
/// answered "token invalid" (40001, 40014, 42001) gets a new token and is retried once — never more. Register it like
/// the typed <see cref="WechatApiClient"/> it wraps (transient or scoped), built with the mini-program's
/// <see cref="WechatApp"/>.
/// </summary>
public sealed class MiniProgramApi
{
    private readonly WechatApiClient client;
    private readonly AccessTokenProvider tokens;

    /// <summary>Creates the façade for <paramref name="app"/>, the mini-program.</summary>
    public MiniProgramApi(WechatApp app, WechatApiClient client, AccessTokenProvider tokens)
    {
        App = app;
        this.client = client;
        this.tokens = tokens;
    }

    /// <summary>The mini-program.</summary>
    public WechatApp App { get; }

    /// <summary>Exchanges a <c>wx.login</c> code for the user's openid (no access token involved).</summary>
    public Task<WechatResult<Code2SessionResponse>> Code2SessionAsync(string jsCode, CancellationToken ct = default) =>
        client.Code2SessionAsync(App, jsCode, ct);

    /// <summary>
    /// The phone number behind a <c>getPhoneNumber</c> code (40029 when the code is unknown, used or older than 5
    /// minutes).
    /// </summary>
    /// <exception cref="InvalidOperationException">WeChat's watermark names another app: the settings mix up apps.</exception>
    public async Task<WechatResult<PhoneInfo>> GetUserPhoneNumberAsync(string code, CancellationToken ct = default)
    {
        var result = await tokens.CallAsync(App, (token, c) => client.GetUserPhoneNumberAsync(token, code, c), ct);
        if (result.Value?.Watermark?.Appid is { } issuedTo && issuedTo != App.AppId)
        {
            throw new InvalidOperationException($"WeChat issued the phone number to app {issuedTo}, not to {App.AppId}.");
        }
        return result;
    }

    /// <summary>
    /// Sends a subscribe message after checking its values with <see cref="SubscribeDataValidator"/>. Invalid data is
    /// not sent: the answer is then a failure with errcode 47003 (as WeChat would give) whose message names every bad
    /// key and its rule and carries no <c>rid</c>. Shorten free text first, e.g. with <see cref="WechatText.Truncate"/>.
    /// Other outcomes are WeChat's: 43101 when the user has no acceptance left, 40003 for an unknown openid, 40037 for an
    /// unknown template.
    /// </summary>
    public Task<WechatResult<MessageSent>> SendSubscribeMessageAsync(SubscribeMessage message, CancellationToken ct = default)
    {
        var errors = SubscribeDataValidator.Validate(message.Data);
        if (errors.Count > 0)
        {
            var text = "argument invalid! " + string.Join("; ", errors.Select(e => e.Message)) + " (checked before sending)";
            return Task.FromResult(WechatResult<MessageSent>.Failure(new WechatError(WechatErrorCodes.ArgumentInvalid, text)));
        }
        return tokens.CallAsync(App, (token, c) => client.SendSubscribeMessageAsync(token, message, c), ct);
    }

    /// <summary>An unlimited mini-program code (image bytes), or WeChat's error (40169, 40129, 41030, 40097, …).</summary>
    public Task<WechatResult<WechatImage>> GetUnlimitedQrCodeAsync(UnlimitedQrCodeRequest request, CancellationToken ct = default) =>
        tokens.CallAsync(App, (token, c) => client.GetUnlimitedQrCodeAsync(token, request, c), ct);

    /// <summary>WeChat's verdict on user text (<c>msg_sec_check</c> version 2).</summary>
    public Task<WechatResult<MsgSecCheckResult>> MsgSecCheckAsync(MsgSecCheckRequest request, CancellationToken ct = default) =>
        tokens.CallAsync(App, (token, c) => client.MsgSecCheckAsync(token, request, c), ct);
}
