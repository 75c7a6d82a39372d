namespace EcoAid.Wechat.Sandbox;

public sealed partial class WechatSandbox
{
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
}
