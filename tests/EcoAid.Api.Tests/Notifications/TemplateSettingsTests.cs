using EcoAid.Api.Features.Notifications;
using EcoAid.Api.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace EcoAid.Api.Tests.Notifications;

/// <summary>Templates are settings: a wrong one stops startup with a message that names the kind and the key.</summary>
public class TemplateSettingsTests(EcoAidFixture fixture) : IClassFixture<EcoAidFixture>
{
    private static NotificationOptions Options(params (string Key, string Value)[] settings)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>("Notifications:" + s.Key, s.Value)))
            .Build();
        return configuration.GetSection("Notifications").Get<NotificationOptions>() ?? new NotificationOptions();
    }

    private static IReadOnlyList<string> Failures(NotificationOptions options) =>
        new NotificationOptionsValidator(Microsoft.Extensions.Options.Options.Create(new EcoAid.Api.Infrastructure.Wechat.WechatOptions()))
            .Validate(null, options) is { Failed: true } result ? [.. result.Failures] : [];

    [Fact]
    public void ALeaseShorterThanTwoTimedOutBatchesIsRefused()
    {
        // 100 rows, 8 at a time: 13 waves; two batches of two 5-second time-outs each are 260 s.
        Assert.Contains(Failures(Options(("Dispatcher:Lease", "00:04:00"))), f => f.Contains("Notifications:Dispatcher:Lease", StringComparison.Ordinal));
        Assert.DoesNotContain(Failures(Options(("Dispatcher:Lease", "00:04:20"))), f => f.Contains("Notifications:Dispatcher:Lease", StringComparison.Ordinal));
        Assert.DoesNotContain(Failures(Options(("Dispatcher:Lease", "00:01:00"), ("Dispatcher:BatchSize", "16"), ("Dispatcher:Concurrency", "8"))),
            f => f.Contains("Notifications:Dispatcher:Lease", StringComparison.Ordinal));
    }

    [Fact]
    public async Task UnknownPlaceholderStopsStartupNamingKindAndKey()
    {
        await using var app = new EcoAidApp(fixture, s => s["Notifications:Templates:demand_urged:OfficialAccount:Data:thing2"] = "{urgency}");

        var error = Assert.Throws<OptionsValidationException>(() => app.Services);

        Assert.Contains("Notifications:Templates:demand_urged:OfficialAccount:Data:thing2", error.Message);
        Assert.Contains("demand_urged", error.Message);
        Assert.Contains("{urgency}", error.Message);
    }

    [Fact]
    public async Task InvalidSubscribeKeyStopsStartupNamingKindAndKey()
    {
        await using var app = new EcoAidApp(fixture, s => s["Notifications:Templates:demand_accepted:Subscribe:Data:thingy1"] = "{title}");

        var error = Assert.Throws<OptionsValidationException>(() => app.Services);

        Assert.Contains("Notifications:Templates:demand_accepted:Subscribe:Data:thingy1", error.Message);
        Assert.Contains("“thingy1”无效", error.Message);
    }

    [Theory]
    [InlineData("Templates:demand_accepted:Subscribe:Data:time2", "{title}", "demand_accepted:Subscribe:Data:time2", "是文字")]
    [InlineData("Templates:demand_accepted:Subscribe:Data:time2", "{dueDate}", "demand_accepted:Subscribe:Data:time2", "time 类型的规则")]
    [InlineData("Templates:demand_accepted:Subscribe:Data:number2", "{enterpriseName}", "demand_accepted:Subscribe:Data:number2", "是文字")]
    [InlineData("Templates:demand_accepted:Subscribe:Data:phrase2", "已受理了的诉求", "demand_accepted:Subscribe:Data:phrase2", "phrase 类型的规则")]
    [InlineData("Templates:demand_accepted:Subscribe:Data:thing", "{title}", "demand_accepted:Subscribe:Data:thing", "无效")]
    [InlineData("Templates:demand_urged:OfficialAccount:Data:Thing-1", "{title}", "demand_urged:OfficialAccount:Data:Thing-1", "无效")]
    [InlineData("Templates:demand_urged:OfficialAccount:Data:thing1", "{title", "demand_urged:OfficialAccount:Data:thing1", "占位符写法不对")]
    [InlineData("Templates:visit_due:Summary", "{title}", "visit_due:Summary", "未知的占位符 {title}")]
    [InlineData("Templates:demand_urged:OfficialAccount:TemplateId", "has space", "demand_urged:OfficialAccount:TemplateId", "模板 ID")]
    [InlineData("Templates:demand_urged:Page", "/pages/demand/detail?id={demandId}", "demand_urged:Page", "不以“/”开头")]
    [InlineData("Templates:demand_exploded:Title", "爆了", "demand_exploded", "没有名为“demand_exploded”的通知类型")]
    public void EachKindOfMistakeIsNamed(string key, string value, string where, string what)
    {
        var settings = new List<(string, string)> { (key, value) };
        if (key.Contains(":Data:", StringComparison.Ordinal))
        {
            var channel = key[..key.IndexOf(":Data:", StringComparison.Ordinal)];
            settings.Add(($"{channel}:TemplateId", "tmpl-under-test"));
        }

        var failures = Failures(Options([.. settings]));

        Assert.Contains(failures, f => f.Contains(where, StringComparison.Ordinal) && f.Contains(what, StringComparison.Ordinal));
    }

    [Fact]
    public void OneTemplateMustHaveTheSameKeywordsWhereverItIsUsed()
    {
        var failures = Failures(Options(
            ("Templates:demand_progress:Subscribe:TemplateId", "progress-tmpl"),
            ("Templates:demand_progress:Subscribe:Data:thing1", "{title}"),
            ("Templates:demand_returned:Subscribe:TemplateId", "progress-tmpl"),
            ("Templates:demand_returned:Subscribe:Data:thing2", "{title}")));

        var failure = Assert.Single(failures);
        Assert.Contains("progress-tmpl", failure);
        Assert.Contains("demand_progress", failure);
        Assert.Contains("demand_returned", failure);
    }

    [Fact]
    public void DispatcherAndReminderNumbersAreChecked()
    {
        var failures = Failures(Options(("Dispatcher:BatchSize", "0"), ("Dispatcher:Lease", "00:00:05"),
            ("Dispatcher:HeartbeatTimeout", "00:00:03"), ("Reminders:DueSoonStages:0", "3"),
            ("Reminders:DueSoonStages:1", "3"), ("Reminders:EscalateToSecretaryAfter", "1"), ("MiniProgramState", "beta")));

        Assert.Equal(5, failures.Count);
    }

    [Theory]
    [InlineData("appsettings.example.json")]
    [InlineData("src/EcoAid.Api/appsettings.Development.json")]
    public void TheShippedSettingsAreValidAndComplete(string file)
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "EcoAid.Wechat.sln")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("repository root not found");
        }
        var options = new ConfigurationBuilder().AddJsonFile(Path.Combine(root, file)).Build().GetSection("Notifications").Get<NotificationOptions>()!;

        Assert.Empty(Failures(options));
        // Every kind is worded, and each one that reaches WeChat has a template for its audience's channel.
        Assert.Equal(NotificationCatalog.Kinds.Keys.Order(), options.Templates.Keys.Order());
        foreach (var (kind, template) in options.Templates)
        {
            var staffOnly = NotificationCatalog.Kinds[kind].Audience.All(r => r == "staff");
            Assert.True(template.Subscribe is not null, $"{kind} has no subscribe template");
            Assert.True(staffOnly || template.OfficialAccount is not null, $"{kind} has no Official Account template");
        }
    }

    [Fact]
    public void ValuesAreShapedToTheirKeywordTypes()
    {
        var templates = new NotificationTemplates(Microsoft.Extensions.Options.Options.Create(Options(
            ("Templates:demand_accepted:Subscribe:TemplateId", "accepted-tmpl"),
            ("Templates:demand_accepted:Subscribe:Data:thing1", "{title}"),
            ("Templates:demand_accepted:Subscribe:Data:character_string2", "{number}"),
            ("Templates:demand_accepted:Subscribe:Data:phrase3", "已受理"),
            ("Templates:demand_accepted:Subscribe:Data:date4", "{dueDate}"),
            ("Templates:demand_accepted:Subscribe:Data:time5", "{at}"),
            ("Templates:demand_accepted:Subscribe:Data:thing6", "{text}"))));
        var kind = templates.For("demand_accepted");
        var values = new PayloadValues(kind.Info, """
            {"title":"危险废物暂存间标识不全、台账记录不完整需现场指导","number":"SQ2026-0042","dueDate":"2026-03-20","at":"2026-03-02T15:30:00+00:00"}
            """, DateTimeOffset.UnixEpoch);

        var data = kind.Subscribe!.Render(values);

        Assert.Equal("危险废物暂存间标识不全、台账记录不完整…", data["thing1"]);
        Assert.Equal(20, data["thing1"].Length);
        Assert.Equal("SQ2026-0042", data["character_string2"]);
        Assert.Equal("已受理", data["phrase3"]);
        Assert.Equal("2026年3月20日", data["date4"]);
        Assert.Equal("2026年3月2日 23:30", data["time5"]); // Asia/Shanghai
        Assert.Equal("-", data["thing6"]); // the payload has no text: a dash, not an empty value WeChat would refuse
        Assert.All(data, d => Assert.Null(EcoAid.Wechat.SubscribeDataValidator.Validate(d.Key, d.Value)));
    }
}
