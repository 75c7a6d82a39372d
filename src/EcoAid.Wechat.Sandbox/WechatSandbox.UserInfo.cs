namespace EcoAid.Wechat.Sandbox;

public sealed partial class WechatSandbox
{
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
}
