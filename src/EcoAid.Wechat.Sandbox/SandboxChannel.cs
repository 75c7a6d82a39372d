namespace EcoAid.Wechat.Sandbox;

/// <summary>Where a recorded message went.</summary>
public enum SandboxChannel
{
    /// <summary>A mini-program subscribe message.</summary>
    SubscribeMessage,
    /// <summary>An Official Account template message.</summary>
    TemplateMessage,
}
