namespace EcoAid.Wechat.Sandbox;

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
