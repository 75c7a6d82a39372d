using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace EcoAid.Wechat;

// Mini-program APIs that take the access token explicitly (wechat-reference §4, §5, §9.1, §10). The token travels only
// in the query string; the pipeline logs the path alone.
public sealed partial class WechatApiClient
{
    private const int RiskyContent = 87014;

    /// <summary>
    /// <c>POST /wxa/business/getuserphonenumber</c>: exchanges the code from a <c>getPhoneNumber</c> button (not a
    /// <c>wx.login</c> code) for the user's phone number. Codes work once, for 5 minutes (40029 otherwise).
    /// </summary>
    public async Task<WechatResult<PhoneInfo>> GetUserPhoneNumberAsync(string accessToken, string code, CancellationToken ct = default)
    {
        var result = await SendAsync<PhoneNumberAnswer>(HttpMethod.Post, "wxa/business/getuserphonenumber",
            [("access_token", accessToken)], new PhoneNumberBody(code), ct);
        return result.Select(answer => answer.PhoneInfo
            ?? throw new WechatUnavailableException("wxa/business/getuserphonenumber", "answer has no phone_info"));
    }

    /// <summary>
    /// <c>POST /cgi-bin/message/subscribe/send</c>: sends a subscribe message as given, without checking its values
    /// (<see cref="MiniProgramApi.SendSubscribeMessageAsync"/> checks them first). Each send uses up one acceptance of
    /// the template by the user (43101 when none is left).
    /// </summary>
    public Task<WechatResult<MessageSent>> SendSubscribeMessageAsync(string accessToken, SubscribeMessage message, CancellationToken ct = default) =>
        SendAsync<MessageSent>(HttpMethod.Post, "cgi-bin/message/subscribe/send", [("access_token", accessToken)],
            new SubscribeSendBody(message.ToUser, message.TemplateId, message.Page, WireData(message.Data),
                message.State switch
                {
                    null => null,
                    MiniProgramState.Formal => "formal",
                    MiniProgramState.Trial => "trial",
                    MiniProgramState.Developer => "developer",
                    _ => throw new ArgumentOutOfRangeException(nameof(message), message.State, "unknown mini-program state"),
                },
                message.Lang), ct);

    /// <summary>
    /// <c>POST /wxa/getwxacodeunlimit</c>: a mini-program code for <see cref="UnlimitedQrCodeRequest.Scene"/>. WeChat
    /// answers image bytes on success and JSON on failure; the failure comes back as a result like any other.
    /// </summary>
    public Task<WechatResult<WechatImage>> GetUnlimitedQrCodeAsync(string accessToken, UnlimitedQrCodeRequest request, CancellationToken ct = default) =>
        SendAsync<WechatImage>(HttpMethod.Post, "wxa/getwxacodeunlimit", [("access_token", accessToken)],
            new UnlimitedQrCodeBody(request.Scene, request.Page, request.CheckPath, request.EnvVersion, request.Width, request.IsHyaline), ct);

    /// <summary>
    /// <c>POST /wxa/msg_sec_check</c> (version 2): WeChat's verdict on user text. Decide on
    /// <see cref="MsgSecCheckResult.Suggest"/>. The v1 signal, errcode 87014, is also reported as
    /// <see cref="MsgSecSuggest.Risky"/> (without a label), because some WeChat stacks still answer it.
    /// </summary>
    public async Task<WechatResult<MsgSecCheckResult>> MsgSecCheckAsync(string accessToken, MsgSecCheckRequest request, CancellationToken ct = default)
    {
        var result = await SendAsync<MsgSecCheckAnswer>(HttpMethod.Post, "wxa/msg_sec_check", [("access_token", accessToken)],
            new MsgSecCheckBody(2, request.OpenId, (int)request.Scene, request.Content, request.Nickname, request.Title, request.Signature), ct);
        if (result.Error is { ErrCode: RiskyContent })
        {
            return WechatResult<MsgSecCheckResult>.Success(new MsgSecCheckResult(MsgSecSuggest.Risky, null, null));
        }
        return result.Select(answer => new MsgSecCheckResult(ParseSuggest(answer.Result?.Suggest), answer.Result?.Label, answer.TraceId));
    }

    // An unknown verdict is treated as "review": a person looks at it, rather than letting it through or dropping it.
    private static MsgSecSuggest ParseSuggest(string? suggest) => suggest switch
    {
        "pass" => MsgSecSuggest.Pass,
        "risky" => MsgSecSuggest.Risky,
        _ => MsgSecSuggest.Review,
    };

    private static Dictionary<string, WireValue> WireData(IReadOnlyDictionary<string, string> data) =>
        data.ToDictionary(pair => pair.Key, pair => new WireValue(pair.Value), StringComparer.Ordinal);

    // Wire shapes. Property names become snake_case through the client's JSON options.
    private sealed record WireValue(string Value);

    private sealed record PhoneNumberBody(string Code);

    private sealed record PhoneNumberAnswer(PhoneInfo? PhoneInfo);

    private sealed record SubscribeSendBody(string Touser, string TemplateId, string? Page, Dictionary<string, WireValue> Data,
        string? MiniprogramState, string? Lang);

    private sealed record UnlimitedQrCodeBody(string Scene, string? Page, bool CheckPath, string? EnvVersion, int? Width, bool? IsHyaline);

    private sealed record MsgSecCheckBody(int Version, string Openid, int Scene, string Content, string? Nickname, string? Title, string? Signature);

    private sealed record MsgSecCheckAnswer(string? TraceId, MsgSecCheckVerdict? Result);

    private sealed record MsgSecCheckVerdict(string? Suggest, int? Label);
}

/// <summary>The phone number a user agreed to share (<c>phone_info</c>).</summary>
/// <param name="PhoneNumber">The number, with the country code for numbers outside mainland China.</param>
/// <param name="PurePhoneNumber">The number without country code.</param>
/// <param name="CountryCode">The country code, e.g. <c>86</c> (WeChat sends it as a string or a number).</param>
/// <param name="Watermark">Which app the number was issued to, and when.</param>
public sealed record PhoneInfo(
    [property: JsonPropertyName("phoneNumber")] string PhoneNumber,
    [property: JsonPropertyName("purePhoneNumber")] string PurePhoneNumber,
    [property: JsonPropertyName("countryCode"), JsonConverter(typeof(LenientStringConverter))] string? CountryCode,
    [property: JsonPropertyName("watermark")] PhoneWatermark? Watermark);

/// <summary>The watermark of a phone number.</summary>
/// <param name="Timestamp">When WeChat issued it, in Unix seconds.</param>
/// <param name="Appid">The app it was issued to; must be ours.</param>
public sealed record PhoneWatermark(long Timestamp, string? Appid);

/// <summary>The environment a subscribe message opens the mini-program in (<c>miniprogram_state</c>).</summary>
public enum MiniProgramState
{
    /// <summary>The released version (WeChat's default).</summary>
    Formal,
    /// <summary>The trial version.</summary>
    Trial,
    /// <summary>The development version.</summary>
    Developer,
}

/// <summary>A subscribe message to one user.</summary>
/// <param name="ToUser">The recipient's mini-program openid.</param>
/// <param name="TemplateId">The subscribe template.</param>
/// <param name="Data">The value of each keyword, e.g. <c>thing1</c> → <c>路灯不亮</c>.</param>
/// <param name="Page">The page the card opens, may carry a query (<c>pages/demand/detail?id=7</c>); none → no jump.</param>
/// <param name="State">Which version of the mini-program the card opens; null → the released one.</param>
/// <param name="Lang">The language (<c>zh_CN</c> when null).</param>
public sealed record SubscribeMessage(string ToUser, string TemplateId, IReadOnlyDictionary<string, string> Data,
    string? Page = null, MiniProgramState? State = null, string? Lang = null);

/// <summary>What a successful send answers.</summary>
/// <param name="Msgid">WeChat's message id; may exceed 2^53, so always a 64-bit integer.</param>
public sealed record MessageSent(long Msgid);

/// <summary>What to encode in an unlimited mini-program code.</summary>
/// <param name="Scene">Up to 32 characters among digits, letters and <c>!#$&amp;'()*+,/:;=?@-._~</c>; the page reads it as <c>query.scene</c>.</param>
/// <param name="Page">The page to open, without a leading slash or query; null → the home page.</param>
/// <param name="CheckPath">True (WeChat's default): the page must exist in the released version.</param>
/// <param name="EnvVersion"><c>release</c> (default), <c>trial</c> or <c>develop</c>.</param>
/// <param name="Width">Width in pixels, 280–1280 (WeChat's default 430).</param>
/// <param name="IsHyaline">Transparent background.</param>
public sealed record UnlimitedQrCodeRequest(string Scene, string? Page = null, bool CheckPath = true, string? EnvVersion = null,
    int? Width = null, bool? IsHyaline = null);

/// <summary>Where user text was written, for <c>msg_sec_check</c>.</summary>
public enum MsgSecCheckScene
{
    /// <summary>A profile (nickname, signature).</summary>
    Profile = 1,
    /// <summary>A comment.</summary>
    Comment = 2,
    /// <summary>A forum post.</summary>
    Forum = 3,
    /// <summary>A social log.</summary>
    SocialLog = 4,
}

/// <summary>Text to check.</summary>
/// <param name="OpenId">The author's mini-program openid; WeChat wants a user seen in the last 2 hours.</param>
/// <param name="Content">The text, up to 2500 characters.</param>
/// <param name="Scene">Where it was written.</param>
/// <param name="Nickname">The author's nickname, optional.</param>
/// <param name="Title">A title, optional.</param>
/// <param name="Signature">A profile signature, only for <see cref="MsgSecCheckScene.Profile"/>.</param>
public sealed record MsgSecCheckRequest(string OpenId, string Content, MsgSecCheckScene Scene = MsgSecCheckScene.Comment,
    string? Nickname = null, string? Title = null, string? Signature = null);

/// <summary>WeChat's advice on a text.</summary>
public enum MsgSecSuggest
{
    /// <summary>Nothing found.</summary>
    Pass,
    /// <summary>Uncertain: a person should look at it.</summary>
    Review,
    /// <summary>Not to be published.</summary>
    Risky,
}

/// <summary>The verdict of <c>msg_sec_check</c>.</summary>
/// <param name="Suggest">What to do with the text.</param>
/// <param name="Label">The category (100 normal, 20001 politics, 20006 crime, …); null when WeChat gave none (87014).</param>
/// <param name="TraceId">WeChat's trace id, for support.</param>
public sealed record MsgSecCheckResult(MsgSecSuggest Suggest, int? Label, string? TraceId);

/// <summary>Reads a JSON string or number as a string: WeChat types some fields inconsistently (wechat-reference §1.3).</summary>
internal sealed class LenientStringConverter : JsonConverter<string>
{
    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.TokenType switch
    {
        JsonTokenType.String => reader.GetString(),
        JsonTokenType.Number => System.Text.Encoding.UTF8.GetString(reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan),
        JsonTokenType.Null => null,
        _ => throw new JsonException($"expected a string or a number, found {reader.TokenType}"),
    };

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);
}
