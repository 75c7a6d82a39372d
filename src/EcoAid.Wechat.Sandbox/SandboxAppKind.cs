namespace EcoAid.Wechat.Sandbox;

/// <summary>Which kind of WeChat app a registered app is; business APIs accept only tokens of their kind (48001 otherwise).</summary>
public enum SandboxAppKind
{
    /// <summary>A mini-program: phone number, subscribe messages, mini-program codes, content check.</summary>
    MiniProgram,
    /// <summary>An Official Account: template messages, parameterised QR codes, user info.</summary>
    OfficialAccount,
}
