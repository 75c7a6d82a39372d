namespace EcoAid.Wechat.Sandbox;

public sealed partial class WechatSandbox
{
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
}
