namespace EcoAid.Wechat.Sandbox;

public sealed partial class WechatSandbox
{
    /// <summary>
    /// A WeChat user scans an Official Account QR code: someone not yet following gets a <c>subscribe</c> event with
    /// <c>qrscene_</c> + scene (and now follows), a follower a <c>SCAN</c> event with the bare scene — pushed to
    /// <see cref="PushTarget"/> signed (and encrypted unless <paramref name="mode"/> is plain). An unknown or expired
    /// ticket pushes nothing, as WeChat shows the user an error instead; the result then has status 0.
    /// </summary>
    public async Task<SandboxPushResult> ScanAsync(HttpClient http, string ticket, string openId, PushMode mode = PushMode.Safe, CancellationToken ct = default)
    {
        var code = FindQrCode(ticket);
        if (code is null || !code.IsActiveAt(Time.GetUtcNow()))
        {
            return new SandboxPushResult(0, code is null ? "unknown ticket" : "expired", 0);
        }
        if (IsFollowing(openId))
        {
            return await PushAsync(http, EventXml(openId, "SCAN", code.Scene, ticket), mode, ct);
        }
        Follow(openId);
        return await PushAsync(http, EventXml(openId, "subscribe", "qrscene_" + code.Scene, ticket), mode, ct);
    }

    /// <summary>The user stops following the Official Account, and WeChat tells the server.</summary>
    public async Task<SandboxPushResult> UnfollowAsync(HttpClient http, string openId, PushMode mode = PushMode.Safe, CancellationToken ct = default)
    {
        Unfollow(openId);
        return await PushAsync(http, EventXml(openId, "unsubscribe"), mode, ct);
    }

    /// <summary>The image of an Official Account QR ticket (what showqrcode serves), or null for an unknown ticket.</summary>
    public byte[]? QrImage(string ticket) => FindQrCode(ticket) is { } code ? SandboxPng.DrawCode(code.Url, 344) : null;
}
