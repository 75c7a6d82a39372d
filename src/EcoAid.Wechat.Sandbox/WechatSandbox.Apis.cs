namespace EcoAid.Wechat.Sandbox;

// The state behind the business APIs of the fake WeChat (wechat-reference §4, §5, §6, §9.1, §10, §11, §12, §14), the
// calls that arrange it, and what the APIs share; each API stands in a file of its own (WechatSandbox.<Api>.cs).
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
