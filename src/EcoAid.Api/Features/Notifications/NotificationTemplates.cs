using System.Text.RegularExpressions;
using EcoAid.Wechat;
using Microsoft.Extensions.Options;

namespace EcoAid.Api.Features.Notifications;

/// <summary>A WeChat template of one kind: its id and the layout of each keyword.</summary>
public sealed record ChannelTemplate(string TemplateId, IReadOnlyList<(string Key, Layout Layout)> Data)
{
    public IReadOnlyList<string> Keys => [.. Data.Select(d => d.Key).Order(StringComparer.Ordinal)];

    /// <summary>The keyword values for a notification, each shaped to its type.</summary>
    public Dictionary<string, string> Render(PayloadValues values) =>
        Data.ToDictionary(d => d.Key, d => FieldShaping.Shape(d.Key, d.Layout.Render(p => values[p])), StringComparer.Ordinal);
}

/// <summary>Everything the dispatcher needs to write one kind: inbox wording, page, and the templates per channel.</summary>
public sealed record KindTemplate(KindInfo Info, Layout Title, Layout Summary, Layout Page, ChannelTemplate? OfficialAccount, ChannelTemplate? Subscribe)
{
    public const int TitleMax = 100;
    public const int SummaryMax = 500;
    public const int PageMax = 300;

    public string RenderTitle(PayloadValues values) => WechatText.Truncate(WechatText.SingleLine(Title.Render(p => values[p])), TitleMax);

    // A summary such as "{title}：{text}" without a text should not end in a dangling colon.
    public string RenderSummary(PayloadValues values) =>
        WechatText.Truncate(WechatText.SingleLine(Summary.Render(p => values[p])).TrimEnd('：', ':', '，', ',', ' '), SummaryMax);

    public string? RenderPage(PayloadValues values) =>
        Page.Source.Length == 0 ? null : Page.Render(p => Uri.EscapeDataString(values[p]));
}

/// <summary>
/// The templates of every kind, compiled from <see cref="NotificationOptions.Templates"/> over the catalogue's defaults.
/// The settings were checked at startup by <see cref="NotificationOptionsValidator"/>, so compiling cannot fail here.
/// </summary>
public sealed class NotificationTemplates
{
    private readonly Dictionary<string, KindTemplate> kinds;

    public NotificationTemplates(IOptions<NotificationOptions> options)
    {
        kinds = Compile(options.Value, out var errors);
        if (errors.Count > 0)
        {
            throw new OptionsValidationException(nameof(NotificationOptions), typeof(NotificationOptions), errors);
        }
    }

    public KindTemplate For(string kind) => kinds.TryGetValue(kind, out var template) ? template
        : new KindTemplate(NotificationCatalog.Unknown(kind), Layout.Parse("新消息", out _), Layout.Parse("您有一条新消息", out _), Layout.Parse("", out _), null, null);

    public IEnumerable<KindTemplate> All => kinds.Values;

    /// <summary>Each Official Account template in use, with its keywords.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> OfficialAccountTemplates =>
        kinds.Values.Where(k => k.OfficialAccount is not null).GroupBy(k => k.OfficialAccount!.TemplateId)
            .ToDictionary(g => g.Key, g => g.First().OfficialAccount!.Keys);

    /// <summary>Each subscribe template in use, with its keywords.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> SubscribeTemplates =>
        kinds.Values.Where(k => k.Subscribe is not null).GroupBy(k => k.Subscribe!.TemplateId)
            .ToDictionary(g => g.Key, g => g.First().Subscribe!.Keys);

    /// <summary>The kinds each subscribe template is used for.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<KindInfo>> SubscribeTemplateKinds =>
        kinds.Values.Where(k => k.Subscribe is not null).GroupBy(k => k.Subscribe!.TemplateId)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<KindInfo>)[.. g.Select(k => k.Info).OrderBy(i => i.Kind, StringComparer.Ordinal)]);

    private static readonly Regex TemplateIdPattern = new("^[A-Za-z0-9_-]{1,64}$", RegexOptions.CultureInvariant);
    private static readonly Regex OfficialAccountKeyPattern = new("^[a-z][a-z_]*[0-9]*$", RegexOptions.CultureInvariant);
    private static readonly Regex SubscribeKeyPattern = new("^([a-z_]+?)([0-9]+)$", RegexOptions.CultureInvariant);

    /// <summary>Compiles every kind; <paramref name="errors"/> names the setting and the kind of each problem, in Chinese.</summary>
    public static Dictionary<string, KindTemplate> Compile(NotificationOptions options, out List<string> errors)
    {
        errors = [];
        var result = new Dictionary<string, KindTemplate>(StringComparer.Ordinal);
        foreach (var name in options.Templates.Keys.Where(k => !NotificationCatalog.Kinds.ContainsKey(k)).Order(StringComparer.Ordinal))
        {
            errors.Add($"Notifications:Templates:{name}：没有名为“{name}”的通知类型。可用的类型：{string.Join("、", NotificationCatalog.Kinds.Keys)}。");
        }
        foreach (var info in NotificationCatalog.Kinds.Values)
        {
            var settings = options.Templates.GetValueOrDefault(info.Kind) ?? new KindTemplateOptions();
            var path = $"Notifications:Templates:{info.Kind}";
            var title = Text(errors, info, $"{path}:Title", settings.Title ?? info.DefaultTitle);
            var summary = Text(errors, info, $"{path}:Summary", settings.Summary ?? info.DefaultSummary);
            var page = Text(errors, info, $"{path}:Page", settings.Page ?? info.DefaultPage);
            if (page.Source.StartsWith('/'))
            {
                errors.Add($"{path}:Page（通知类型 {info.Kind}）：小程序页面路径不以“/”开头，如 pages/demand/detail?id={{demandId}}。");
            }
            var oa = settings.OfficialAccount is null ? null : Channel(errors, info, $"{path}:OfficialAccount", settings.OfficialAccount, subscribe: false);
            var sub = settings.Subscribe is null ? null : Channel(errors, info, $"{path}:Subscribe", settings.Subscribe, subscribe: true);
            result[info.Kind] = new KindTemplate(info, title, summary, page, oa, sub);
        }
        SameKeysPerTemplate(errors, result.Values, k => k.OfficialAccount, "OfficialAccount");
        SameKeysPerTemplate(errors, result.Values, k => k.Subscribe, "Subscribe");
        return result;
    }

    private static Layout Text(List<string> errors, KindInfo info, string path, string source)
    {
        var layout = Layout.Parse(source, out var syntax);
        if (syntax is not null)
        {
            errors.Add($"{path}（通知类型 {info.Kind}）：{syntax}。");
        }
        foreach (var unknown in layout.Placeholders.Where(p => NotificationCatalog.TypeOf(info, p) is null).Distinct())
        {
            errors.Add($"{path}（通知类型 {info.Kind}）：未知的占位符 {{{unknown}}}。此类型可用：{Available(info)}。");
        }
        return layout;
    }

    private static ChannelTemplate? Channel(List<string> errors, KindInfo info, string path, WechatTemplateOptions settings, bool subscribe)
    {
        var before = errors.Count;
        if (settings.TemplateId is null || !TemplateIdPattern.IsMatch(settings.TemplateId))
        {
            errors.Add($"{path}:TemplateId（通知类型 {info.Kind}）：模板 ID 须为 1 到 64 位字母、数字、“-”或“_”（从微信后台复制）。");
        }
        if (settings.Data.Count == 0)
        {
            errors.Add($"{path}:Data（通知类型 {info.Kind}）：至少要有一个关键词，如 \"thing1\": \"{{title}}\"。");
        }
        var data = new List<(string, Layout)>();
        foreach (var (key, source) in settings.Data.OrderBy(d => d.Key, StringComparer.Ordinal))
        {
            var keyPath = $"{path}:Data:{key}";
            var layout = Text(errors, info, keyPath, source ?? "");
            data.Add((key, layout));
            if (!subscribe)
            {
                if (!OfficialAccountKeyPattern.IsMatch(key))
                {
                    errors.Add($"{keyPath}（通知类型 {info.Kind}）：关键词“{key}”无效，应与公众号模板中的关键词一致，如 thing1、time2、keyword1。");
                }
                continue;
            }
            var match = SubscribeKeyPattern.Match(key);
            var type = match.Success ? match.Groups[1].Value : "";
            if (!FieldShaping.SubscribeTypes.Contains(type))
            {
                errors.Add($"{keyPath}（通知类型 {info.Kind}）：关键词“{key}”无效，订阅消息关键词为类型加序号，类型为 {string.Join("、", FieldShaping.SubscribeTypes)} 之一，如 thing1、time2。");
                continue;
            }
            CheckSubscribeValue(errors, info, keyPath, key, type, layout);
        }
        return errors.Count > before ? null : new ChannelTemplate(settings.TemplateId!, data);
    }

    // Free text in a keyword that only takes letters, digits or dates would be stripped to nothing: refuse it here, and
    // check what a sample value turns into with WeChat's own rules.
    private static void CheckSubscribeValue(List<string> errors, KindInfo info, string keyPath, string key, string type, Layout layout)
    {
        if (!FieldShaping.TextTypes.Contains(type))
        {
            var text = layout.Placeholders.Where(p => NotificationCatalog.TypeOf(info, p) == PlaceholderType.Text).Distinct().ToList();
            if (text.Count > 0)
            {
                errors.Add($"{keyPath}（通知类型 {info.Kind}）：{string.Join("、", text.Select(t => $"{{{t}}}"))} 是文字，不能填入 {type} 类型的关键词；文字请用 thing 类关键词。");
                return;
            }
        }
        // A fixed value must fit as written; a value with placeholders is checked as it would be sent.
        var rendered = layout.Render(p => PayloadValues.Sample(NotificationCatalog.TypeOf(info, p) ?? PlaceholderType.Text));
        var sample = layout.Placeholders.Any() ? FieldShaping.Shape(key, rendered) : rendered;
        if (SubscribeDataValidator.Validate(key, sample) is { } problem)
        {
            errors.Add($"{keyPath}（通知类型 {info.Kind}）：“{layout.Source}”写出的值（如“{sample}”）不符合 {type} 类型的规则（{problem.Rule}），微信会拒绝发送。");
        }
    }

    private static void SameKeysPerTemplate(List<string> errors, IEnumerable<KindTemplate> kinds, Func<KindTemplate, ChannelTemplate?> channel, string section)
    {
        foreach (var group in kinds.Where(k => channel(k) is not null).GroupBy(k => channel(k)!.TemplateId))
        {
            var distinct = group.Select(k => string.Join(",", channel(k)!.Keys)).Distinct().ToList();
            if (distinct.Count > 1)
            {
                errors.Add($"Notifications:Templates:*:{section}：模板 {group.Key} 在 {string.Join("、", group.Select(k => k.Info.Kind))} 中的关键词不一致"
                    + $"（{string.Join(" / ", distinct)}）。同一模板的关键词是固定的，各类型须使用相同的关键词。");
            }
        }
    }

    private static string Available(KindInfo info) =>
        string.Join("、", info.Placeholders.Keys.Append(NotificationCatalog.At).Distinct().Select(p => $"{{{p}}}"));
}

/// <summary>Checks the notification settings at startup: a wrong template stops the service with a message naming it.</summary>
public sealed class NotificationOptionsValidator(IOptions<Infrastructure.Wechat.WechatOptions> wechat) : IValidateOptions<NotificationOptions>
{
    public ValidateOptionsResult Validate(string? name, NotificationOptions options)
    {
        NotificationTemplates.Compile(options, out var errors);
        var d = options.Dispatcher;
        if (d.Interval < TimeSpan.FromMilliseconds(10) || d.Interval > TimeSpan.FromHours(1))
        {
            errors.Add("Notifications:Dispatcher:Interval 须在 10 毫秒到 1 小时之间。");
        }
        if (d.BatchSize is < 1 or > 1000)
        {
            errors.Add("Notifications:Dispatcher:BatchSize 须在 1 到 1000 之间。");
        }
        if (d.Concurrency is < 1 or > 64)
        {
            errors.Add("Notifications:Dispatcher:Concurrency 须在 1 到 64 之间。");
        }
        if (d.HeartbeatTimeout < TimeSpan.FromSeconds(3) || d.HeartbeatTimeout >= d.Lease)
        {
            errors.Add("Notifications:Dispatcher:HeartbeatTimeout 至少 3 秒，且须短于 Lease。");
        }
        if (d.Lease < TimeSpan.FromSeconds(30))
        {
            errors.Add("Notifications:Dispatcher:Lease 至少 30 秒（须长于一批消息的发送时间）。");
        }
        else if (d.BatchSize >= 1 && d.Concurrency >= 1)
        {
            // A batch is claimed while the one before it is still sending, so its lease must outlast both, even when every
            // send waits out the WeChat time-out twice (a token refresh, then the send). Otherwise another instance could
            // take over rows that are about to be sent, and subscribe messages have no de-duplication key.
            var waves = (d.BatchSize + d.Concurrency - 1) / d.Concurrency;
            var worstCase = 2 * waves * 2 * wechat.Value.Timeout;
            if (d.Lease < worstCase)
            {
                errors.Add($"Notifications:Dispatcher:Lease（{d.Lease}）须不短于 {worstCase}：两批消息在每次发送都超时（Wechat:Timeout = {wechat.Value.Timeout}）时的发送时间。" +
                    "请加长 Lease，或减小 BatchSize、增大 Concurrency。");
            }
        }
        if (d.MaxAttempts is < 1 or > 100)
        {
            errors.Add("Notifications:Dispatcher:MaxAttempts 须在 1 到 100 之间。");
        }
        if (d.RetryBaseDelay <= TimeSpan.Zero || d.RetryMaxDelay < d.RetryBaseDelay || d.QuotaRetryDelay <= TimeSpan.Zero)
        {
            errors.Add("Notifications:Dispatcher：RetryBaseDelay、QuotaRetryDelay 须为正，RetryMaxDelay 不小于 RetryBaseDelay。");
        }
        var r = options.Reminders;
        if (r.Interval < TimeSpan.FromSeconds(1) || r.Interval > TimeSpan.FromHours(1))
        {
            errors.Add("Notifications:Reminders:Interval 须在 1 秒到 1 小时之间。");
        }
        if (r.Stages.Any(s => s is < 0 or > 30) || r.Stages.Distinct().Count() != r.Stages.Count)
        {
            errors.Add("Notifications:Reminders:DueSoonStages 须为 0 到 30 之间互不相同的工作日数，如 [3, 0]。");
        }
        if (r.EscalateToCommissionerAfter < 1 || r.EscalateToSecretaryAfter < r.EscalateToCommissionerAfter)
        {
            errors.Add("Notifications:Reminders：EscalateToCommissionerAfter 至少为 1，EscalateToSecretaryAfter 不小于它。");
        }
        if (options.MiniProgramState is not ("developer" or "trial" or "formal"))
        {
            errors.Add("Notifications:MiniProgramState 须为 developer、trial 或 formal。");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
