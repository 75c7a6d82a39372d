using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace EcoAid.Wechat.Sandbox;

/// <summary>Which kind of WeChat app a registered app is; business APIs accept only tokens of their kind (48001 otherwise).</summary>
public enum SandboxAppKind
{
    /// <summary>A mini-program: phone number, subscribe messages, mini-program codes, content check.</summary>
    MiniProgram,
    /// <summary>An Official Account: template messages, parameterised QR codes, user info.</summary>
    OfficialAccount,
}

/// <summary>Where a recorded message went.</summary>
public enum SandboxChannel
{
    /// <summary>A mini-program subscribe message.</summary>
    SubscribeMessage,
    /// <summary>An Official Account template message.</summary>
    TemplateMessage,
}

/// <summary>A message the sandbox accepted, as the user would see it.</summary>
/// <param name="Channel">Subscribe or template message.</param>
/// <param name="AppId">The app whose token sent it.</param>
/// <param name="ToUser">The recipient's openid (mini-program or Official Account).</param>
/// <param name="TemplateId">The template.</param>
/// <param name="Page">The mini-program page it opens (<c>page</c>, or <c>miniprogram.pagepath</c>), if any.</param>
/// <param name="Url">The web page it opens (template messages), if any.</param>
/// <param name="Data">The keyword values, after WeChat's own cutting (template messages show at most 20 characters).</param>
/// <param name="MsgId">The msgid returned to the sender.</param>
/// <param name="SentAt">When it was accepted, on the sandbox's clock.</param>
/// <param name="ClientMsgId">The sender's de-duplication id (template messages), if any.</param>
public sealed record SandboxDelivery(SandboxChannel Channel, string AppId, string ToUser, string TemplateId, string? Page, string? Url,
    IReadOnlyDictionary<string, string> Data, long MsgId, DateTimeOffset SentAt, string? ClientMsgId);

/// <summary>A parameterised QR code created through <c>cgi-bin/qrcode/create</c>, for a scan to be played against.</summary>
/// <param name="Ticket">The ticket WeChat returned.</param>
/// <param name="Scene">The scene: <c>scene_str</c>, or <c>scene_id</c> as text; <c>0</c> when the request had no scene.</param>
/// <param name="ExpiresAt">When a temporary code stops working; null for a permanent one.</param>
/// <param name="Url">The QR content WeChat returned.</param>
/// <param name="AppId">The Official Account that created it.</param>
public sealed record SandboxQrCode(string Ticket, string Scene, DateTimeOffset? ExpiresAt, string Url, string AppId)
{
    /// <summary>True while a scan of it still works.</summary>
    public bool IsActiveAt(DateTimeOffset now) => ExpiresAt is null || now < ExpiresAt;
}

// Business APIs of the fake WeChat (wechat-reference §4, §5, §6, §9.1, §10, §11, §12, §14).
public sealed partial class WechatSandbox
{
    /// <summary>How many deliveries and QR codes the sandbox keeps; the oldest are dropped beyond it.</summary>
    public const int MaxRecorded = 10_000;

    private static readonly TimeSpan ClientMsgIdWindow = TimeSpan.FromMinutes(10);
    private const string SceneCharacters = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$&'()*+,/:;=?@-._~";
    private static readonly string[] V1RiskyTestStrings = ["特3456书yuuo莞6543李zxcz蒜7782法fgnv级", "完2347全dfji试3726测asad感3847知qwez到"];

    private readonly ConcurrentDictionary<string, SandboxAppKind> appKinds = new();
    private readonly Lock apiSync = new();
    private readonly HashSet<(string AppId, string OpenId)> knownUsers = [];
    private readonly Dictionary<string, PhoneCode> phoneCodes = [];
    private readonly Dictionary<string, SubscribeTemplate> subscribeTemplates = [];
    private readonly Dictionary<(string OpenId, string TemplateId), int> subscriptions = [];
    private readonly Dictionary<string, string[]> templates = [];
    private readonly Dictionary<string, Follower> followers = [];
    private readonly Dictionary<(string ToUser, string ClientMsgId), (long MsgId, DateTimeOffset At)> clientMsgIds = [];
    private readonly LinkedList<SandboxDelivery> deliveries = [];
    private readonly Dictionary<string, SandboxQrCode> qrCodes = [];
    private readonly LinkedList<SandboxQrCode> qrCodeOrder = [];
    private long lastMsgId = 1_988_810_812_324_364_290; // above 2^53, like the msgids WeChat has been seen to return
    private long qrCodeSerial;
    private int phoneAnswers;

    /// <summary>Registers an app of a given kind (the 3-argument overload registers a mini-program).</summary>
    public void RegisterApp(string appId, string appSecret, bool boundToOpenPlatform, SandboxAppKind kind)
    {
        RegisterApp(appId, appSecret, boundToOpenPlatform);
        appKinds[appId] = kind;
    }

    /// <summary>The kind of a registered app (apps registered without one are mini-programs).</summary>
    public SandboxAppKind KindOf(string appId) => appKinds.GetValueOrDefault(appId, SandboxAppKind.MiniProgram);

    /// <summary>
    /// Pages of the released mini-program version, without leading slash or query. When set, a page outside it
    /// answers 41030 (subscribe <c>page</c>, mini-program codes with <c>check_path</c>) or 40165 (template
    /// <c>miniprogram.pagepath</c>); when null (the default), every page counts as released.
    /// </summary>
    public IReadOnlyCollection<string>? ReleasedPages { get; set; }

    /// <summary>Words that make <c>msg_sec_check</c> answer <c>risky</c>, each with its label (e.g. 20006 crime).</summary>
    public IDictionary<string, int> RiskyWords { get; } = new ConcurrentDictionary<string, int>();

    /// <summary>Words that make <c>msg_sec_check</c> answer <c>review</c>, each with its label.</summary>
    public IDictionary<string, int> ReviewWords { get; } = new ConcurrentDictionary<string, int>();

    /// <summary>Makes an openid known to a mini-program, as if the user had opened it (login codes do this too).</summary>
    public void RegisterUser(string appId, string openId)
    {
        lock (apiSync)
        {
            knownUsers.Add((appId, openId));
        }
    }

    /// <summary>
    /// What a <c>getPhoneNumber</c> button would give <paramref name="openId"/>: a code for
    /// <c>getuserphonenumber</c>, single-use and valid for <see cref="CodeLifetime"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The app is not registered.</exception>
    public string IssuePhoneCode(string appId, string openId, string phone, string countryCode = "86")
    {
        if (!apps.ContainsKey(appId))
        {
            throw new InvalidOperationException($"App {appId} is not registered in the sandbox.");
        }
        var code = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var now = Time.GetUtcNow();
        lock (apiSync)
        {
            foreach (var stale in phoneCodes.Where(p => p.Value.ExpiresAt <= now).Select(p => p.Key).ToList())
            {
                phoneCodes.Remove(stale);
            }
            phoneCodes[code] = new PhoneCode(appId, openId, phone, countryCode, now + CodeLifetime);
            knownUsers.Add((appId, openId));
        }
        return code;
    }

    /// <summary>
    /// Registers a subscribe-message template by its keywords (<c>thing1</c>, <c>time2</c>, …); each value is checked
    /// against the rule of its type (the prefix). Registering again replaces the keywords.
    /// </summary>
    public void RegisterSubscribeTemplate(string templateId, params string[] keys)
    {
        lock (apiSync)
        {
            subscribeTemplates[templateId] = new SubscribeTemplate([.. keys], new Dictionary<string, string[]>());
        }
    }

    /// <summary>Whether a template of either kind (subscribe or Official Account) is registered.</summary>
    public bool KnowsTemplate(string templateId)
    {
        lock (apiSync)
        {
            return subscribeTemplates.ContainsKey(templateId) || templates.ContainsKey(templateId);
        }
    }

    /// <summary>Limits an <c>enum</c> keyword of a subscribe template to <paramref name="values"/>.</summary>
    /// <exception cref="InvalidOperationException">The template is not registered.</exception>
    public void SetEnumValues(string templateId, string key, params string[] values)
    {
        lock (apiSync)
        {
            if (!subscribeTemplates.TryGetValue(templateId, out var template))
            {
                throw new InvalidOperationException($"Subscribe template {templateId} is not registered.");
            }
            template.EnumValues[key] = values;
        }
    }

    /// <summary>What the user accepting the template in <c>wx.requestSubscribeMessage</c> grants: <paramref name="count"/> more sends.</summary>
    public void GrantSubscription(string openId, string templateId, int count = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        lock (apiSync)
        {
            subscriptions[(openId, templateId)] = subscriptions.GetValueOrDefault((openId, templateId)) + count;
        }
    }

    /// <summary>How many more subscribe messages of a template the user would accept.</summary>
    public int SubscriptionsLeft(string openId, string templateId)
    {
        lock (apiSync)
        {
            return subscriptions.GetValueOrDefault((openId, templateId));
        }
    }

    /// <summary>Registers an Official Account template-message template by its keywords.</summary>
    public void RegisterTemplate(string templateId, params string[] keys)
    {
        lock (apiSync)
        {
            templates[templateId] = [.. keys];
        }
    }

    /// <summary>
    /// Makes an Official Account openid a follower. <paramref name="unionId"/> links it to a mini-program user (pass
    /// <see cref="UnionIdOf"/> of their mini-program openid); by default it gets a UnionID of its own.
    /// </summary>
    public void Follow(string oaOpenId, string? unionId = null)
    {
        lock (apiSync)
        {
            followers[oaOpenId] = new Follower(unionId ?? UnionIdOf(oaOpenId), Time.GetUtcNow());
        }
    }

    /// <summary>The user stops following the Official Account.</summary>
    public void Unfollow(string oaOpenId)
    {
        lock (apiSync)
        {
            followers.Remove(oaOpenId);
        }
    }

    /// <summary>Whether the Official Account openid follows the account.</summary>
    public bool IsFollowing(string oaOpenId)
    {
        lock (apiSync)
        {
            return followers.ContainsKey(oaOpenId);
        }
    }

    /// <summary>Every accepted subscribe and template message, oldest first (the latest <see cref="MaxRecorded"/>).</summary>
    public IReadOnlyList<SandboxDelivery> Deliveries
    {
        get
        {
            lock (apiSync)
            {
                return [.. deliveries];
            }
        }
    }

    /// <summary>Every parameterised QR code created, oldest first (the latest <see cref="MaxRecorded"/>).</summary>
    public IReadOnlyList<SandboxQrCode> QrCodes
    {
        get
        {
            lock (apiSync)
            {
                return [.. qrCodeOrder];
            }
        }
    }

    /// <summary>The QR code of a ticket, expired or not (see <see cref="SandboxQrCode.IsActiveAt"/>), or null.</summary>
    public SandboxQrCode? FindQrCode(string ticket)
    {
        lock (apiSync)
        {
            return qrCodes.GetValueOrDefault(ticket);
        }
    }

    internal SandboxAnswer GetUserPhoneNumber(string? accessToken, JsonElement? body)
    {
        if (Authorize(accessToken, SandboxAppKind.MiniProgram, out var appId) is { } refused) return refused;
        if (body is null) return SandboxAnswer.Error(47001, "data format error");
        var code = Text(body.Value, "code");
        if (string.IsNullOrEmpty(code)) return SandboxAnswer.Error(40029, "invalid code");
        var now = Time.GetUtcNow();
        PhoneCode phone;
        lock (apiSync)
        {
            if (!phoneCodes.TryGetValue(code, out var found) || found.AppId != appId || found.Used || found.ExpiresAt <= now)
            {
                return SandboxAnswer.Error(40029, "invalid code");
            }
            phone = found;
            phoneCodes[code] = found with { Used = true };
        }
        // WeChat documents countryCode as a string but its own example sends a number: alternate, so clients cope with both.
        object countryCode = Interlocked.Increment(ref phoneAnswers) % 2 == 0 || !long.TryParse(phone.CountryCode, out var numeric)
            ? phone.CountryCode : numeric;
        return SandboxAnswer.Ok(new Dictionary<string, object?>
        {
            ["phone_info"] = new Dictionary<string, object?>
            {
                ["phoneNumber"] = phone.CountryCode == "86" ? phone.Phone : $"+{phone.CountryCode}{phone.Phone}",
                ["purePhoneNumber"] = phone.Phone,
                ["countryCode"] = countryCode,
                ["watermark"] = new Dictionary<string, object?> { ["timestamp"] = now.ToUnixTimeSeconds(), ["appid"] = appId },
            },
        }, includeErrCode: true);
    }

    internal SandboxAnswer SendSubscribeMessage(string? accessToken, JsonElement? body)
    {
        if (Authorize(accessToken, SandboxAppKind.MiniProgram, out var appId) is { } refused) return refused;
        if (body is not { } json) return SandboxAnswer.Error(47001, "data format error");
        var toUser = Text(json, "touser");
        var templateId = Text(json, "template_id");
        var page = Text(json, "page");
        var state = Text(json, "miniprogram_state");
        if (string.IsNullOrEmpty(toUser) || !IsKnownUser(appId, toUser)) return SandboxAnswer.Error(40003, "invalid openid");
        SubscribeTemplate? template;
        lock (apiSync)
        {
            template = string.IsNullOrEmpty(templateId) ? null : subscribeTemplates.GetValueOrDefault(templateId);
        }
        if (template is null) return SandboxAnswer.Error(40037, "invalid template id");
        if (!string.IsNullOrEmpty(page) && !IsReleased(page)) return SandboxAnswer.Error(41030, "invalid page");
        if (state is not (null or "developer" or "trial" or "formal")) return SandboxAnswer.Error(47003, "argument invalid! miniprogram_state");

        var data = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var key in template.Keys)
        {
            var value = DataValue(json, key) ?? "";
            var problem = SandboxValueRules.Check(SandboxValueRules.TypeOf(key), value, template.EnumValues.GetValueOrDefault(key));
            if (problem is not null) return SandboxAnswer.Error(47003, $"argument invalid! data.{key}.value {problem}");
            data[key] = value;
        }

        lock (apiSync)
        {
            var left = subscriptions.GetValueOrDefault((toUser, templateId!));
            if (left <= 0) return SandboxAnswer.Error(43101, "user refuse to accept the msg");
            subscriptions[(toUser, templateId!)] = left - 1;
            var msgId = Interlocked.Increment(ref lastMsgId);
            Record(new SandboxDelivery(SandboxChannel.SubscribeMessage, appId, toUser, templateId!, page, null, data, msgId, Time.GetUtcNow(), null));
            return SentAnswer(msgId);
        }
    }

    internal SandboxAnswer SendTemplateMessage(string? accessToken, JsonElement? body)
    {
        if (Authorize(accessToken, SandboxAppKind.OfficialAccount, out var appId) is { } refused) return refused;
        if (body is not { } json) return SandboxAnswer.Error(47001, "data format error");
        var toUser = Text(json, "touser");
        var templateId = Text(json, "template_id");
        var url = Text(json, "url");
        var clientMsgId = Text(json, "client_msg_id");
        string? pagePath = null;
        if (json.TryGetProperty("miniprogram", out var mp) && mp.ValueKind == JsonValueKind.Object)
        {
            pagePath = Text(mp, "pagepath");
            if (string.IsNullOrEmpty(Text(mp, "appid"))) return SandboxAnswer.Error(47003, "argument invalid! miniprogram.appid is empty");
            if (string.IsNullOrEmpty(pagePath) || !IsReleased(pagePath)) return SandboxAnswer.Error(40165, "invalid weapp pagepath");
        }
        if (string.IsNullOrEmpty(toUser)) return SandboxAnswer.Error(40003, "invalid openid");
        if (!json.TryGetProperty("data", out var dataJson) || dataJson.ValueKind != JsonValueKind.Object)
        {
            return SandboxAnswer.Error(47003, "argument invalid! data is empty");
        }

        var now = Time.GetUtcNow();
        lock (apiSync)
        {
            if (string.IsNullOrEmpty(templateId) || !templates.TryGetValue(templateId, out var keys)) return SandboxAnswer.Error(40037, "invalid template_id");
            if (!followers.ContainsKey(toUser)) return SandboxAnswer.Error(43004, "require subscribe");

            foreach (var stale in clientMsgIds.Where(c => now - c.Value.At >= ClientMsgIdWindow).Select(c => c.Key).ToList())
            {
                clientMsgIds.Remove(stale);
            }
            if (!string.IsNullOrEmpty(clientMsgId) && clientMsgIds.TryGetValue((toUser, clientMsgId), out var earlier))
            {
                return SentAnswer(earlier.MsgId); // the same openid and client_msg_id within 10 minutes: sent once
            }

            // Since 2023 WeChat shows at most 20 characters per value, on one line, and cuts silently rather than refusing.
            var data = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var key in keys)
            {
                var value = DataValue(json, key) ?? "";
                value = string.Join(' ', value.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries));
                var info = new StringInfo(value);
                data[key] = info.LengthInTextElements > 20 ? info.SubstringByTextElements(0, 20) : value;
            }
            var msgId = Interlocked.Increment(ref lastMsgId);
            if (!string.IsNullOrEmpty(clientMsgId))
            {
                clientMsgIds[(toUser, clientMsgId)] = (msgId, now);
            }
            Record(new SandboxDelivery(SandboxChannel.TemplateMessage, appId, toUser, templateId, pagePath, url, data, msgId, now, clientMsgId));
            return SentAnswer(msgId);
        }
    }

    internal (byte[]? Png, SandboxAnswer? Error) GetUnlimitedCode(string? accessToken, JsonElement? body)
    {
        if (Authorize(accessToken, SandboxAppKind.MiniProgram, out _) is { } refused) return (null, refused);
        if (body is not { } json) return (null, SandboxAnswer.Error(40169, "invalid length for scene, or the data is not json string"));
        var scene = Text(json, "scene");
        if (string.IsNullOrEmpty(scene) || scene.Length > 32)
        {
            return (null, SandboxAnswer.Error(40169, "invalid length for scene, or the data is not json string"));
        }
        if (scene.Any(c => !SceneCharacters.Contains(c))) return (null, SandboxAnswer.Error(40129, "invalid scene"));
        var env = Text(json, "env_version") ?? "release";
        if (env is not ("release" or "trial" or "develop")) return (null, SandboxAnswer.Error(40097, "invalid env_version"));
        var page = Text(json, "page");
        var checkPath = !json.TryGetProperty("check_path", out var check) || check.ValueKind != JsonValueKind.False;
        if (!string.IsNullOrEmpty(page) && (page.StartsWith('/') || page.Contains('?') || checkPath && !IsReleased(page)))
        {
            return (null, SandboxAnswer.Error(41030, "invalid page"));
        }
        var width = json.TryGetProperty("width", out var w) && w.TryGetInt32(out var requested) ? Math.Clamp(requested, 280, 1280) : 430;
        return (SandboxPng.DrawCode(scene, width), null);
    }

    internal SandboxAnswer MsgSecCheck(string? accessToken, JsonElement? body)
    {
        if (Authorize(accessToken, SandboxAppKind.MiniProgram, out var appId) is { } refused) return refused;
        if (body is not { } json) return SandboxAnswer.Error(47001, "data format error");
        if (!json.TryGetProperty("version", out var version) || !version.TryGetInt32(out var v) || v != 2)
        {
            return SandboxAnswer.Error(47001, "data format error"); // the sandbox speaks version 2 only
        }
        var openId = Text(json, "openid");
        if (string.IsNullOrEmpty(openId)) return SandboxAnswer.Error(40003, "invalid openid");
        if (!IsKnownUser(appId, openId))
        {
            return apps.Keys.Any(other => IsKnownUser(other, openId))
                ? SandboxAnswer.Error(43104, "appid not match openid")
                : SandboxAnswer.Error(40003, "invalid openid");
        }
        if (!json.TryGetProperty("scene", out var s) || !s.TryGetInt32(out var scene) || scene is < 1 or > 4)
        {
            return SandboxAnswer.Error(40129, "invalid scene");
        }
        var content = Text(json, "content");
        if (content is null) return SandboxAnswer.Error(44002, "empty post data");

        var text = string.Join('\n', new[] { content, Text(json, "nickname"), Text(json, "title"), Text(json, "signature") }.OfType<string>());
        var (suggest, label, keyword) = Verdict(text);
        var detail = new List<object>
        {
            new Dictionary<string, object?> { ["strategy"] = "content_model", ["errcode"] = 0, ["suggest"] = suggest, ["label"] = label, ["prob"] = keyword is null ? 0 : 90 },
        };
        if (keyword is not null)
        {
            detail.Add(new Dictionary<string, object?> { ["strategy"] = "keyword", ["errcode"] = 0, ["suggest"] = suggest, ["label"] = label, ["level"] = 20, ["keyword"] = keyword });
        }
        return SandboxAnswer.Ok(new Dictionary<string, object?>
        {
            ["trace_id"] = TraceId(),
            ["result"] = new Dictionary<string, object?> { ["suggest"] = suggest, ["label"] = label },
            ["detail"] = detail,
        }, includeErrCode: true);
    }

    internal SandboxAnswer CreateQrCode(string? accessToken, JsonElement? body)
    {
        if (Authorize(accessToken, SandboxAppKind.OfficialAccount, out var appId) is { } refused) return refused;
        if (body is not { } json) return SandboxAnswer.Error(47001, "data format error");
        var action = Text(json, "action_name");
        var permanent = action is "QR_LIMIT_SCENE" or "QR_LIMIT_STR_SCENE";
        if (action is not ("QR_SCENE" or "QR_STR_SCENE") && !permanent) return SandboxAnswer.Error(47001, "data format error");

        // WeChat does not refuse a request without action_info.scene: the code then carries scene "0".
        var scene = "0";
        if (json.TryGetProperty("action_info", out var info) && info.ValueKind == JsonValueKind.Object
            && info.TryGetProperty("scene", out var sceneJson) && sceneJson.ValueKind == JsonValueKind.Object)
        {
            if (action is "QR_STR_SCENE" or "QR_LIMIT_STR_SCENE")
            {
                var str = Text(sceneJson, "scene_str");
                if (str is not null)
                {
                    if (str.Length is 0 or > 64) return SandboxAnswer.Error(47001, "data format error");
                    scene = str;
                }
            }
            else if (sceneJson.TryGetProperty("scene_id", out var id) && id.TryGetInt64(out var sceneId))
            {
                if (sceneId == 0 || sceneId > (permanent ? 100_000 : uint.MaxValue) || sceneId < (permanent ? 1 : int.MinValue))
                {
                    return SandboxAnswer.Error(47001, "data format error");
                }
                scene = sceneId.ToString(CultureInfo.InvariantCulture);
            }
        }
        int? expireSeconds = null;
        if (!permanent)
        {
            expireSeconds = json.TryGetProperty("expire_seconds", out var e) && e.TryGetInt32(out var asked) && asked > 0
                ? Math.Min(asked, 2_592_000)
                : 60;
        }

        var now = Time.GetUtcNow();
        var serial = Interlocked.Increment(ref qrCodeSerial);
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes($"{appId}\n{scene}\n{serial}"));
        var url = "http://weixin.qq.com/q/" + Convert.ToBase64String(digest, 0, 16).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var code = new SandboxQrCode(Ticket(url, now, expireSeconds), scene, expireSeconds is { } s ? now.AddSeconds(s) : null, url, appId);
        lock (apiSync)
        {
            qrCodes[code.Ticket] = code;
            qrCodeOrder.AddLast(code);
            while (qrCodeOrder.Count > MaxRecorded)
            {
                qrCodes.Remove(qrCodeOrder.First!.Value.Ticket);
                qrCodeOrder.RemoveFirst();
            }
        }
        var answer = new Dictionary<string, object?> { ["ticket"] = code.Ticket };
        if (expireSeconds is not null)
        {
            answer["expire_seconds"] = expireSeconds;
        }
        answer["url"] = url;
        return SandboxAnswer.Ok(answer, includeErrCode: false);
    }

    internal SandboxAnswer GetUserInfo(string? accessToken, string? openId)
    {
        if (Authorize(accessToken, SandboxAppKind.OfficialAccount, out var appId) is { } refused) return refused;
        if (string.IsNullOrEmpty(openId)) return SandboxAnswer.Error(40003, "invalid openid");
        Follower? follower;
        lock (apiSync)
        {
            follower = followers.GetValueOrDefault(openId);
        }
        if (follower is null)
        {
            return SandboxAnswer.Ok(new Dictionary<string, object?> { ["subscribe"] = 0, ["openid"] = openId }, includeErrCode: false);
        }
        var answer = new Dictionary<string, object?>
        {
            ["subscribe"] = 1,
            ["openid"] = openId,
            ["language"] = "zh_CN",
            ["subscribe_time"] = follower.Since.ToUnixTimeSeconds(),
            ["remark"] = "",
            ["groupid"] = 0,
            ["tagid_list"] = Array.Empty<int>(),
            ["subscribe_scene"] = "ADD_SCENE_QR_CODE",
        };
        if (apps.TryGetValue(appId, out var app) && app.BoundToOpenPlatform)
        {
            answer["unionid"] = follower.UnionId;
        }
        return SandboxAnswer.Ok(answer, includeErrCode: false);
    }

    // 41001 / 40001 / 42001 as CheckAccessToken decides; a valid token of the wrong kind of app is 48001.
    private SandboxAnswer? Authorize(string? accessToken, SandboxAppKind kind, out string appId)
    {
        appId = "";
        var check = CheckAccessToken(accessToken);
        if (check != 0)
        {
            return SandboxAnswer.Error(check, check switch
            {
                41001 => "access_token missing",
                42001 => "access_token expired",
                _ => "invalid credential, access_token is invalid or not latest",
            });
        }
        appId = tokens[accessToken!].AppId;
        return KindOf(appId) == kind ? null : SandboxAnswer.Error(48001, "api unauthorized");
    }

    private bool IsKnownUser(string appId, string openId)
    {
        lock (apiSync)
        {
            if (knownUsers.Contains((appId, openId)))
            {
                return true;
            }
        }
        return codes.Values.Any(c => c.AppId == appId && c.OpenId == openId);
    }

    private bool IsReleased(string page)
    {
        var path = page.Split('?', 2)[0].TrimStart('/');
        return ReleasedPages is not { } released || released.Contains(path);
    }

    private (string Suggest, int Label, string? Keyword) Verdict(string text)
    {
        if (V1RiskyTestStrings.FirstOrDefault(text.Contains) is { } testString)
        {
            return ("risky", 21000, testString);
        }
        foreach (var (words, suggest) in new[] { (RiskyWords, "risky"), (ReviewWords, "review") })
        {
            var hit = words.Where(w => w.Key.Length > 0 && text.Contains(w.Key, StringComparison.Ordinal))
                .OrderBy(w => w.Key, StringComparer.Ordinal).FirstOrDefault();
            if (hit.Key is not null)
            {
                return (suggest, hit.Value, hit.Key);
            }
        }
        return ("pass", 100, null);
    }

    private void Record(SandboxDelivery delivery)
    {
        deliveries.AddLast(delivery);
        while (deliveries.Count > MaxRecorded)
        {
            deliveries.RemoveFirst();
        }
    }

    private static SandboxAnswer SentAnswer(long msgId) =>
        SandboxAnswer.Ok(new Dictionary<string, object?> { ["msgid"] = msgId }, includeErrCode: true);

    // Shaped like WeChat's tickets: base64 of a small binary record holding the URL and the expiry, so it has + / =.
    private static string Ticket(string url, DateTimeOffset now, int? expireSeconds)
    {
        var record = new List<byte> { 0x81, 0x01, 0x3A, 0x00 };
        record.AddRange(BitConverter.GetBytes(now.ToUnixTimeMilliseconds()));
        record.Add(0x2C);
        record.AddRange(Encoding.ASCII.GetBytes(url));
        record.AddRange([0x00, 0x02, 0x04]);
        record.AddRange(BitConverter.GetBytes((uint)now.ToUnixTimeSeconds()));
        record.AddRange([0x03, 0x04]);
        record.AddRange(BitConverter.GetBytes(expireSeconds ?? 0));
        return Convert.ToBase64String([.. record]);
    }

    private static string TraceId()
    {
        var hex = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        return $"{hex[..8]}-{hex[8..16]}-{hex[16..]}";
    }

    private static string? Text(JsonElement json, string name) =>
        json.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    // data.<key>.value: a string, or a number taken as written.
    private static string? DataValue(JsonElement body, string key)
    {
        if (!body.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Object
            || !data.TryGetProperty(key, out var field) || field.ValueKind != JsonValueKind.Object
            || !field.TryGetProperty("value", out var value))
        {
            return null;
        }
        return value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Number => value.GetRawText(),
            _ => null,
        };
    }

    private sealed record PhoneCode(string AppId, string OpenId, string Phone, string CountryCode, DateTimeOffset ExpiresAt, bool Used = false);

    private sealed record SubscribeTemplate(string[] Keys, Dictionary<string, string[]> EnumValues);

    private sealed record Follower(string UnionId, DateTimeOffset Since);
}
