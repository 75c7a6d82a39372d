namespace EcoAid.Wechat;

/// <summary>The credentials of one WeChat application: the mini-program or the Official Account.</summary>
/// <param name="AppId">The application's appid.</param>
/// <param name="AppSecret">The application's AppSecret. Never logged, never sent to a client.</param>
public sealed record WechatApp(string AppId, string AppSecret)
{
    /// <summary>Keeps the secret out of any string that might be logged.</summary>
    public override string ToString() => $"WechatApp {{ AppId = {AppId} }}";
}
