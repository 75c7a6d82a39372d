using EcoAid.Api.Features.Notifications;
using EcoAid.Wechat.Sandbox;

namespace EcoAid.Api.Tests.Infrastructure;

/// <summary>
/// The notification templates of the test apps: every kind may go out as the Official Account template
/// <see cref="OfficialAccount"/> and as the subscribe template <see cref="Subscribe"/>, both with the keywords
/// thing1 (the subject), thing2 (what happened) and time3 (when). The fixture's sandbox knows both.
/// </summary>
public static class TestTemplates
{
    public const string OfficialAccount = "test-oa-todo";
    public const string Subscribe = "test-sub-todo";
    public static readonly string[] Keys = ["thing1", "thing2", "time3"];

    public static void AddTo(IDictionary<string, string?> settings)
    {
        foreach (var kind in NotificationCatalog.Kinds.Values)
        {
            var subject = kind.Placeholders.ContainsKey("title") ? "{title}" : "{enterpriseName}";
            foreach (var (channel, id) in new[] { ("OfficialAccount", OfficialAccount), ("Subscribe", Subscribe) })
            {
                var prefix = $"Notifications:Templates:{kind.Kind}:{channel}";
                settings[$"{prefix}:TemplateId"] = id;
                settings[$"{prefix}:Data:thing1"] = subject;
                settings[$"{prefix}:Data:thing2"] = kind.DefaultTitle;
                settings[$"{prefix}:Data:time3"] = "{at}";
            }
        }
    }

    public static void RegisterIn(WechatSandbox sandbox)
    {
        sandbox.RegisterTemplate(OfficialAccount, Keys);
        sandbox.RegisterSubscribeTemplate(Subscribe, Keys);
    }
}
