namespace EcoAid.Wechat.Sandbox;

public sealed partial class WechatSandbox
{
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
}
