namespace EcoAid.Wechat.Sandbox;

/// <summary>A message the sandbox accepted, as the user would see it.</summary>
/// <param name="Channel">Subscribe or template message.</param>
/// <param name="AppId">The app whose token sent it.</param>
/// <param name="ToUser">The recipient's openid (mini-program or Official Account).</param>
/// <param name="TemplateId">The template.</param>
/// <param name="Page">The mini-program page it opens (<c>page</c>, or <c>miniprogram.pagepath</c>), if any.</param>
/// <param name="Url">The web page it opens (template messages), if any.</param>
/// <param name="Data">The keyword values, after WeChat's own cutting (template messages show at most 20 characters).</param>
/// <param name="MsgId">The msgid returned to the sender.</param>
/// <param name="SentAt">When it was accepted, on the sandbox's clock.</param>
/// <param name="ClientMsgId">The sender's de-duplication id (template messages), if any.</param>
public sealed record SandboxDelivery(SandboxChannel Channel, string AppId, string ToUser, string TemplateId, string? Page, string? Url,
    IReadOnlyDictionary<string, string> Data, long MsgId, DateTimeOffset SentAt, string? ClientMsgId);
